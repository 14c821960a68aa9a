// Request and response bodies for the routes: exact-length reads, bounded text reads, addresses.

import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { ProtocolError } from '../protocol/errors.js';
import { Sha256 } from '../protocol/schemas.js';

export function shaParam(p: unknown, what: string): string {
  const r = Sha256.safeParse(p);
  if (!r.success) throw new ProtocolError('bad_request', `${what} must be a lowercase hex SHA-256 (64 characters)`);
  return r.data;
}

/** Content-Length, refused (413) over `maxBody` before a byte of the body is read. */
export function contentLength(req: FastifyRequest, maxBody: number, required: boolean): number | undefined {
  const h = req.headers['content-length'];
  if (h === undefined) {
    if (required) throw new ProtocolError('bad_request', 'Content-Length is required for this route');
    return undefined;
  }
  const n = Number(h);
  if (!Number.isSafeInteger(n) || n < 0) throw new ProtocolError('bad_request', `Content-Length ${JSON.stringify(h)} is not a byte count`);
  if (n > maxBody) throw new ProtocolError('payload_too_large', `body of ${n} bytes is larger than this server's limit of ${maxBody} bytes (--max-body-mb)`);
  return n;
}

export async function readText(req: FastifyRequest, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req.raw as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new ProtocolError('payload_too_large', `body is larger than the limit of ${limit} bytes`);
    chunks.push(c);
  }
  try { return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)); } catch { throw new ProtocolError('bad_request', 'body is not valid UTF-8'); }
}

/** Read a body of known length into one buffer with 'data' events (cheaper than async iteration). */
export function readExactly(stream: NodeJS.ReadableStream, n: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const out = new Uint8Array(n);
    let o = 0;
    const fail = (e: Error) => { cleanup(); reject(e); };
    const onData = (c: Buffer) => {
      if (o + c.length > n) return fail(new ProtocolError('bad_request', `body is longer than its Content-Length of ${n} bytes`));
      out.set(c, o);
      o += c.length;
    };
    const onEnd = () => { cleanup(); if (o !== n) reject(new ProtocolError('bad_request', `body ended after ${o} of ${n} bytes`)); else resolve(out); };
    const onClose = () => fail(new ProtocolError('bad_request', `connection closed after ${o} of ${n} body bytes`));
    const cleanup = () => { stream.off('data', onData); stream.off('end', onEnd); stream.off('error', fail); stream.off('close', onClose); };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', fail);
    stream.on('close', onClose);
  });
}

/** A response body from frame parts: one buffer up to 8 MiB (fastest), a stream of the parts above. */
export function bodyOf(parts: Uint8Array[], n: number): Buffer | Readable {
  const bufs = parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  if (n <= 8 << 20 || bufs.length === 1) return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs, n);
  return Readable.from(bufs, { objectMode: false });
}
