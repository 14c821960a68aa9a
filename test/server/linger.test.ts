// Refusals before the body is read (413 over --max-body-mb, 401 without the token) close the
// connection only after reading what the client still sends (a lingering close, bounded), so a
// raw node:http client that writes its whole body before it looks at the answer reads the status
// instead of a broken pipe; and the bound holds: past it the server closes.

import { strict as assert } from 'node:assert';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import type { OffloadServer } from '../../src/server/app.js';
import { lingeringClose } from '../../src/server/http.js';
import { TOKEN, testServer } from '../helpers/offload.js';

let server: OffloadServer;
before(async () => {
  server = await testServer({ maxBodyMb: 1 });
});
after(async () => {
  await server.close();
});

interface Outcome {
  status?: number;
  body: string;
  error?: string;
  written: number;
}

/**
 * Write `total` bytes (64 KiB at a time, waiting for drain, as a client sending a file does) and
 * collect the answer and any socket error (EPIPE, ECONNRESET: the broken pipe) until a moment after
 * the answer ended. node:http stops writing by itself once the server's answer and FIN arrived.
 */
function upload(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  total: number,
  chunked = false,
): Promise<Outcome> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const out: Outcome = { body: '', written: 0 };
    const settle = () => setTimeout(() => resolve(out), 200);
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method,
      path,
      agent: false,
      headers: { ...headers, ...(chunked ? {} : { 'content-length': String(total) }) },
    });
    req.on('response', (res) => {
      out.status = res.statusCode;
      res.on('data', (d) => {
        out.body += d;
      });
      res.on('end', settle);
      res.on('error', (e: NodeJS.ErrnoException) => {
        out.error ??= e.code ?? e.message;
        settle();
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      out.error ??= e.code ?? e.message;
      settle();
    });
    const chunk = Buffer.alloc(64 * 1024, 7);
    const pump = () => {
      while (out.written < total && !req.destroyed) {
        out.written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };
const blob = '/v1/blobs/' + 'ab'.repeat(32);
const octets = { 'content-type': 'application/octet-stream' };

describe('lingering close: refusals before the body is read', () => {
  for (const mb of [2, 8]) {
    it(`${mb} MB to a 1 MB limit: the client writes it all and reads 413`, async () => {
      const r = await upload(server.url, 'PUT', blob, { ...auth, ...octets }, mb << 20);
      assert.equal(r.error, undefined, `no broken pipe (wrote ${r.written} bytes)`);
      assert.equal(r.status, 413);
      assert.equal(JSON.parse(r.body).error.code, 'payload_too_large');
    });
  }

  it('8 MB without the token: the client reads 401', async () => {
    const r = await upload(server.url, 'PUT', blob, octets, 8 << 20);
    assert.equal(r.error, undefined);
    assert.equal(r.status, 401);
    assert.equal(JSON.parse(r.body).error.code, 'unauthorized');
  });

  it('a chunked body that grows past the limit while it is read: 413, no reset', async () => {
    const r = await upload(
      server.url,
      'POST',
      '/v1/chat/completions',
      { ...auth, 'content-type': 'application/json' },
      8 << 20,
      true,
    );
    assert.equal(r.error, undefined);
    assert.ok(r.status === 413 || r.status === 404, `status ${r.status}`); // 404: this server serves no model, refused first
  });

  it('the server still answers on a fresh connection afterwards', async () => {
    const res = await fetch(`${server.url}/v1/health`);
    assert.equal(res.status, 200);
  });

  it('the bound holds: a client that keeps writing past maxBytes is cut off', async () => {
    const s = http.createServer((req, res) => {
      res.writeHead(413, { connection: 'close', 'content-type': 'text/plain' });
      lingeringClose(req, { maxBytes: 1 << 20, maxMs: 5000, idleMs: 1000 });
      res.end('too large');
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    try {
      const within = await upload(url, 'POST', '/', {}, 512 << 10);
      assert.equal(within.error, undefined);
      assert.equal(within.status, 413);
      // a raw socket that ignores the answer and keeps writing is reset past the bound
      const sock = net.connect(Number(new URL(url).port), '127.0.0.1');
      const err = await new Promise<string | undefined>((resolve) => {
        sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
        sock.on('close', () => resolve(undefined));
        sock.write('POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
        const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 1), Buffer.from('\r\n')]);
        let n = 0;
        const pump = () => {
          while (n < 64) {
            n++;
            if (!sock.write(chunk)) {
              sock.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      assert.ok(err === 'ECONNRESET' || err === 'EPIPE' || err === undefined);
      assert.ok(sock.destroyed, 'the server closed the connection');
    } finally {
      s.close();
    }
  });
});
