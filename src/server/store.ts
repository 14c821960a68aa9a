// Content-addressed blob store in SharedArrayBuffers (compute workers view weights without copies).
// Bounded: when full, blobs no loaded graph pins are evicted least-recently-used first; when that is
// not enough the upload is refused (507) rather than growing without limit.

import { createHash } from 'node:crypto';
import { ProtocolError } from '../protocol/errors.js';

interface Blob {
  bytes: Uint8Array;
  pins: number;
  used: number;
}

export class BlobStore {
  private blobs = new Map<string, Blob>();
  private total = 0;
  /** bytes promised to uploads in progress, so two big uploads cannot both overfill the store */
  private reserved = 0;
  constructor(readonly maxBytes: number) {}

  get count(): number {
    return this.blobs.size;
  }
  get bytes(): number {
    return this.total;
  }

  has(sha: string): boolean {
    return this.blobs.has(sha);
  }

  get(sha: string): Uint8Array | undefined {
    const b = this.blobs.get(sha);
    if (b) b.used = performance.now();
    return b?.bytes;
  }

  pin(shas: string[], by: 1 | -1): void {
    for (const h of shas) {
      const b = this.blobs.get(h);
      if (b) b.pins = Math.max(0, b.pins + by);
    }
  }

  private makeRoom(n: number): void {
    if (this.total + this.reserved + n <= this.maxBytes) return;
    const victims = [...this.blobs].filter(([, b]) => b.pins === 0).sort((a, b) => a[1].used - b[1].used);
    for (const [h, b] of victims) {
      if (this.total + this.reserved + n <= this.maxBytes) break;
      this.blobs.delete(h);
      this.total -= b.bytes.length;
    }
    if (this.total + this.reserved + n > this.maxBytes) {
      throw new ProtocolError(
        'store_full',
        `blob store is full: ${this.total} of ${this.maxBytes} bytes held by loaded graphs, ${n} more requested`,
        { retryAfterS: 30 },
      );
    }
  }

  /**
   * Store `length` bytes read from `body`, refusing them unless their SHA-256 is `sha`.
   * The length is known up front (Content-Length), so the SharedArrayBuffer is allocated once.
   */
  async put(sha: string, body: AsyncIterable<Uint8Array>, length: number): Promise<boolean> {
    if (this.blobs.has(sha)) {
      // already held: still check what was sent, so a wrong body is an error however it arrives
      const h = createHash('sha256');
      for await (const chunk of body) h.update(chunk);
      const got = h.digest('hex');
      if (got !== sha)
        throw new ProtocolError('hash_mismatch', `blob bytes hash to sha256 ${got}, not ${sha} as the URL says`);
      return false;
    }
    this.makeRoom(length);
    this.reserved += length;
    try {
      const bytes = new Uint8Array(new SharedArrayBuffer(length));
      const h = createHash('sha256');
      let o = 0;
      for await (const chunk of body) {
        if (o + chunk.length > length)
          throw new ProtocolError('bad_request', `blob body is longer than its Content-Length of ${length} bytes`);
        bytes.set(chunk, o);
        h.update(chunk);
        o += chunk.length;
      }
      if (o !== length) throw new ProtocolError('bad_request', `blob body ended after ${o} of ${length} bytes`);
      const got = h.digest('hex');
      if (got !== sha)
        throw new ProtocolError(
          'hash_mismatch',
          `blob bytes hash to sha256 ${got}, not ${sha} as the URL says; nothing was stored`,
        );
      this.reserved -= length;
      length = 0;
      if (!this.blobs.has(sha)) {
        this.blobs.set(sha, { bytes, pins: 0, used: performance.now() });
        this.total += bytes.length;
      }
      return true;
    } finally {
      this.reserved -= length;
    }
  }
}
