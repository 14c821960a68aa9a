// Request and response bodies for the routes: exact-length reads, bounded text reads, addresses.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
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
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ProtocolError('bad_request', `Content-Length ${JSON.stringify(h)} is not a byte count`);
  if (n > maxBody)
    throw new ProtocolError(
      'payload_too_large',
      `body of ${n} bytes is larger than this server's limit of ${maxBody} bytes (--max-body-mb)`,
    );
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
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ProtocolError('bad_request', 'body is not valid UTF-8');
  }
}

/** Read a body of known length into one buffer with 'data' events (cheaper than async iteration). */
export function readExactly(stream: NodeJS.ReadableStream, n: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const out = new Uint8Array(n);
    let o = 0;
    const fail = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onData = (c: Buffer) => {
      if (o + c.length > n)
        return fail(new ProtocolError('bad_request', `body is longer than its Content-Length of ${n} bytes`));
      out.set(c, o);
      o += c.length;
    };
    const onEnd = () => {
      cleanup();
      if (o !== n) reject(new ProtocolError('bad_request', `body ended after ${o} of ${n} bytes`));
      else resolve(out);
    };
    const onClose = () => fail(new ProtocolError('bad_request', `connection closed after ${o} of ${n} body bytes`));
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', fail);
      stream.off('close', onClose);
    };
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

/** How much of a refused request's body the server reads and discards before it closes (nginx's lingering close). */
export const LINGER = { maxBytes: 64 * 1024 * 1024, maxMs: 10_000, idleMs: 2_000 };

/**
 * A refusal sent before the body was read (401, 413, …) closes the connection; closing at once
 * while the client still writes makes the client's TCP stack see a reset, and a client that writes
 * the whole body before it reads (most do) gets a broken pipe instead of the status. So, as nginx
 * does, the server half-closes (its response is complete), then reads and discards what the client
 * still sends, up to `maxBytes`, `maxMs` in all and `idleMs` between reads, and only then closes.
 * A body declared larger than `maxBytes` is not waited for. Returns whether it lingers.
 */
export function lingeringClose(req: IncomingMessage, limits = LINGER): boolean {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  if (req.complete || socket.destroyed) return false;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxBytes) return false;
  let read = 0;
  const stop = () => {
    clearTimeout(total);
    clearTimeout(idle);
    socket.destroy();
  };
  const total = setTimeout(stop, limits.maxMs);
  const idle = setTimeout(stop, limits.idleMs);
  total.unref();
  idle.unref();
  socket.on('data', (c: Buffer) => {
    read += c.length;
    if (read > limits.maxBytes) stop();
    else idle.refresh();
  });
  socket.once('end', stop);
  socket.once('close', () => {
    clearTimeout(total);
    clearTimeout(idle);
  });
  // node ends a `connection: close` response with destroySoon(): keep the read side open instead
  socket.destroySoon = () => {
    socket.end();
    socket.resume();
  };
  req.resume();
  return true;
}

/** The request says a body follows (a length above zero, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}
