// Fuzz: thousands of malformed, truncated and oversized requests (seeded, bounded, loopback only).
// Every one gets a 4xx answer with a JSON error body (HEAD answers have no body), the server never
// crashes, and a well-formed run still works afterwards.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, test } from 'node:test';
import { RemoteClient } from '../../src/backends/remote/client.js';
import { rng } from '../../src/cli/random-inputs.js';
import { Tensor } from '../../src/ir/tensor.js';
import { encodeFrame, frameBytes } from '../../src/protocol/framing.js';
import { graphToWire } from '../../src/protocol/graph-wire.js';
import { sha256Hex } from '../../src/protocol/hash.js';
import { input, mlp, TOKEN, testServer } from '../helpers/offload.js';

const N_HTTP = 3000;
const N_RAW = 300;

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  why: string;
}

test('fuzz: malformed, truncated and oversized requests all get 4xx JSON errors', { timeout: 240_000 }, async () => {
  const s = await testServer({ maxBodyMb: 1, maxQueue: 4 });
  after(() => s.close());
  const client = new RemoteClient({ url: s.url, token: TOKEN });
  const w = await graphToWire(mlp(30, 8, 8));
  await client.ensureGraph(w);
  const good = frameBytes(encodeFrame([['x', input(30, 2, 8)]]));
  const r = rng(12345);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number) => Math.floor(r() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
  const auth = { authorization: `Bearer ${TOKEN}` };
  const runHeaders = () => ({ ...auth, 'switchyard-graph': w.id, 'switchyard-deadline-ms': '5000' });
  const mutate = (b: Uint8Array): Uint8Array => {
    const c = b.slice();
    switch (int(5)) {
      case 0:
        return c.subarray(0, int(c.length)); // truncated
      case 1: {
        // header bytes changed
        const n = Number(new DataView(c.buffer).getBigUint64(0, true));
        for (let i = 0; i < 1 + int(4); i++) c[8 + int(n)] ^= 1 + int(255);
        return c;
      }
      case 2:
        new DataView(c.buffer).setBigUint64(0, BigInt(int(2 ** 31)), true);
        return c; // header length lies
      case 3: {
        const d = new Uint8Array(c.length + 1 + int(16));
        d.set(c);
        return d;
      } // trailing bytes
      default:
        return bytes(int(200)); // noise
    }
  };
  const frameWith = (header: unknown, data: Uint8Array) => {
    const h = new TextEncoder().encode(JSON.stringify(header));
    const b = new Uint8Array(8 + h.length + data.length);
    new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
    b.set(h, 8);
    b.set(data, 8 + h.length);
    return b;
  };
  const graphText = w.text;
  const lastReturn = graphText.lastIndexOf('return');

  const gens: (() => Req | Promise<Req>)[] = [
    () => ({
      method: pick(['GET', 'PUT', 'POST', 'HEAD']),
      path: pick(['/v1/info', '/metrics', '/v1/run', `/v1/blobs/${hex(64)}`, `/v1/graphs/${w.id}`]),
      headers: pick<Record<string, string>>([
        {},
        { authorization: `Bearer ${hex(int(40) + 1)}` },
        { authorization: 'Bearer' },
        { authorization: `Basic ${hex(8)}` },
        { authorization: TOKEN },
      ]),
      body: r() < 0.5 ? bytes(int(100)) : undefined,
      why: 'auth',
    }),
    () => ({
      method: pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']),
      path: pick([
        '/',
        '/v1',
        '/v1/',
        '/v1/nope',
        `/v${1 + int(9)}/run`,
        `/${hex(int(300))}`,
        '/v1/blobs',
        '/v1/blobs/',
        '/%2e%2e/etc/passwd',
        '/v1/run/../info/x',
        `/v1/${'a/'.repeat(int(50))}`,
        '/v1/health/x',
        '/metricsx',
      ]),
      headers: auth,
      body: r() < 0.3 ? bytes(int(50)) : undefined,
      why: 'route',
    }),
    () => ({
      method: pick(['DELETE', 'PATCH', 'GET']),
      path: pick(['/v1/run', '/v1/blobs/' + hex(64), '/v1/graphs']),
      headers: auth,
      why: 'method',
    }),
    () => ({
      method: pick(['PUT', 'HEAD', 'GET']),
      path: `/v1/${pick(['blobs', 'graphs'])}/${pick([hex(63), hex(65), hex(64).toUpperCase(), 'zz' + hex(62), '', '%00' + hex(61), hex(200)])}`,
      headers: auth,
      body: undefined,
      why: 'bad address',
    }),
    async () => {
      const b = bytes(1 + int(2000));
      const h = r() < 0.5 ? hex(64) : await sha256Hex(bytes(5));
      return { method: 'PUT', path: `/v1/blobs/${h}`, headers: auth, body: b, why: 'blob hash mismatch' };
    },
    () => ({
      method: 'PUT',
      path: `/v1/blobs/${hex(64)}`,
      headers: auth,
      body: new Uint8Array((1 << 20) + 1 + int(1 << 20)),
      why: 'oversized blob',
    }),
    async () => {
      const t = graphText.slice(0, int(lastReturn));
      return {
        method: 'PUT',
        path: `/v1/graphs/${await sha256Hex(t)}`,
        headers: auth,
        body: new TextEncoder().encode(t),
        why: 'truncated graph text',
      };
    },
    async () => {
      const t = graphText.replace(/nn\.\w+/, pick(['nn.Nope', 'k.nope', 'agent.x', '']));
      return {
        method: 'PUT',
        path: `/v1/graphs/${await sha256Hex(t)}`,
        headers: auth,
        body: new TextEncoder().encode(t),
        why: 'unknown op',
      };
    },
    async () => {
      const t = String.fromCharCode(...bytes(int(300)));
      return {
        method: 'PUT',
        path: `/v1/graphs/${await sha256Hex(t)}`,
        headers: auth,
        body: new TextEncoder().encode(t),
        why: 'noise graph',
      };
    },
    () => ({
      method: 'PUT',
      path: `/v1/graphs/${w.id}`,
      headers: auth,
      body: new TextEncoder().encode(graphText + 'x'),
      why: 'graph hash mismatch',
    }),
    () => ({ method: 'POST', path: '/v1/run', headers: runHeaders(), body: mutate(good), why: 'mutated frame' }),
    () => ({
      method: 'POST',
      path: '/v1/run',
      headers: { ...runHeaders(), 'switchyard-graph': pick([hex(64), hex(10), '', 'x'.repeat(64)]) },
      body: good,
      why: 'bad graph header',
    }),
    () => ({
      method: 'POST',
      path: '/v1/run',
      headers: { ...runHeaders(), 'switchyard-deadline-ms': pick(['0', '-5', 'abc', '1e99', '', '99999999', '1.5']) },
      body: good,
      why: 'bad deadline',
    }),
    () => ({
      method: 'POST',
      path: '/v1/run',
      headers: runHeaders(),
      body: frameWith(
        pick([
          {
            x: { dtype: 'F32', shape: [2, 8], data_offsets: [0, 64] },
            y: { dtype: 'F32', shape: [1], data_offsets: [64, 68] },
          },
          { z: { dtype: 'F32', shape: [2, 8], data_offsets: [0, 64] } },
          { x: { dtype: 'I32', shape: [2, 8], data_offsets: [0, 64] } },
          { x: { dtype: 'F32', shape: [2, 9], data_offsets: [0, 72] } },
          { x: { dtype: 'F32', shape: [2, 8, 1], data_offsets: [0, 64] } },
          {
            x: { dtype: 'F32', shape: [2, 8], data_offsets: [0, 64] },
            __metadata__: { switchyard: pick(['{', '{"outputs": 3}', '{"outputs": ["nope"]}', '{"extra": 1}', '[]']) },
          },
          {},
          { x: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 64] } },
        ]),
        new Uint8Array(r() < 0.5 ? 64 : 72),
      ),
      why: 'wrong inputs',
    }),
    () => ({
      method: 'POST',
      path: '/v1/run',
      headers: runHeaders(),
      body: new Uint8Array((1 << 20) + 16),
      why: 'oversized run',
    }),
    () => ({
      method: pick(['GET', 'POST']),
      path: pick(['/v1/info', '/v1/run', '/v1/health']),
      headers: { ...auth, 'switchyard-protocol': pick(['0', '2', 'abc', '1.0', '99999']) },
      why: 'version',
    }),
    () => ({
      method: 'GET',
      path: `/v1/probe?bytes=${pick(['-1', 'x', String(2 ** 40), '1e3'])}`,
      headers: auth,
      why: 'bad probe',
    }),
    () => ({
      method: 'POST',
      path: '/v1/blobs/query',
      headers: auth,
      body: pick([
        bytes(int(100)),
        new TextEncoder().encode(
          pick([
            '{"sha256": 1}',
            '{"sha256": ["' + hex(63) + '"]}',
            'null',
            '{"sha256": [], "x": 2}',
            '"' + hex(64) + '"',
          ]),
        ),
      ]),
      why: 'bad blob query',
    }),
  ];

  const failures: string[] = [];
  let done = 0;
  const worker = async () => {
    while (done < N_HTTP) {
      done++;
      const q = await pick(gens)();
      let res: Response;
      try {
        const body = q.method === 'GET' || q.method === 'HEAD' ? undefined : q.body;
        res = await fetch(s.url + q.path, {
          method: q.method,
          headers: q.headers,
          body: body as Uint8Array<ArrayBuffer> | undefined,
          signal: AbortSignal.timeout(30_000),
        });
      } catch (e) {
        // the server may close the connection on an unread oversized body after answering 413
        if (!/oversized/.test(q.why))
          failures.push(`${q.why}: ${q.method} ${q.path.slice(0, 80)}: ${(e as Error).message}`);
        continue;
      }
      const text = await res.text();
      if (res.status < 400 || res.status >= 500) {
        failures.push(`${q.why}: ${q.method} ${q.path.slice(0, 80)} -> ${res.status} ${text.slice(0, 200)}`);
        continue;
      }
      if (q.method === 'HEAD') continue;
      try {
        const b = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
        if (typeof b.error?.code !== 'string' || typeof b.error?.message !== 'string') throw new Error('shape');
      } catch {
        failures.push(
          `${q.why}: ${q.method} ${q.path.slice(0, 80)} -> ${res.status} non-JSON error ${text.slice(0, 200)}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));

  // raw sockets: broken HTTP
  const port = Number(new URL(s.url).port);
  const rawCases = [
    () => `${hex(1 + int(40))}\r\n\r\n`,
    () => `GET /v1/health HTTP/1.1\r\nHost: x\r\n${'X-' + hex(8)}: ${'a'.repeat(20_000 + int(60_000))}\r\n\r\n`,
    () => `POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`,
    () => `GET /v1/health HTTP/9.9\r\n\r\n`,
    () => `GET /v1/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n`,
    () => `PUT /v1/blobs/${hex(64)} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
    () => `GET /\x00\x01 HTTP/1.1\r\n\r\n`,
    () => `GET /v1/health HTTP/1.1\r\nBad Header\r\n\r\n`,
  ];
  for (let i = 0; i < N_RAW; i++) {
    const req = pick(rawCases)();
    const out = await new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      let data = '';
      sock.setTimeout(10_000, () => sock.destroy());
      sock.on('data', (d) => {
        data += String(d);
      });
      sock.on('close', () => resolve(data));
      sock.on('error', () => {});
      sock.write(req);
    });
    const m = /^HTTP\/1\.1 (\d{3})/.exec(out);
    if (!m || Number(m[1]) < 400 || Number(m[1]) >= 500) {
      failures.push(`raw ${JSON.stringify(req.slice(0, 60))} -> ${out.slice(0, 120)}`);
      continue;
    }
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    try {
      assert.equal(typeof (JSON.parse(body) as { error: { code: string } }).error.code, 'string');
    } catch {
      failures.push(`raw ${JSON.stringify(req.slice(0, 60))} -> non-JSON ${body.slice(0, 100)}`);
    }
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${N_HTTP + N_RAW} requests got no 4xx JSON error`);

  // still alive and still right
  assert.equal((await fetch(`${s.url}/v1/health`)).status, 200);
  const ok = await client.run(w.id, [['x', input(30, 2, 8)]], { deadlineMs: 10_000 });
  assert.deepEqual(ok.outputs.get('y')!.dims, [2, 8]);
  assert.ok(Tensor);
});
