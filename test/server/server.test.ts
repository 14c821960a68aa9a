// The offload server and the remote device on loopback: auth, limits, errors as JSON, content
// addressing and dedup, runs through a Session, deadlines refused before queueing, queue limits,
// CORS, metrics and draining.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { RemoteClient, RemoteDevice, RemoteError } from '../../src/backends/remote/index.js';
import { Tensor } from '../../src/ir/tensor.js';
import { encodeFrame, frameBytes } from '../../src/protocol/framing.js';
import { graphToWire } from '../../src/protocol/graph-wire.js';
import { sha256Hex } from '../../src/protocol/hash.js';
import { toDeviceProfile } from '../../src/protocol/profile.js';
import { Session } from '../../src/runtime/session.js';
import type { OffloadServer } from '../../src/server/app.js';
import { closeTo, input, mlp, TOKEN, testServer } from '../helpers/offload.js';

const servers: OffloadServer[] = [];
async function server(o: Parameters<typeof testServer>[0] = {}) {
  const s = await testServer(o);
  servers.push(s);
  return s;
}
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const auth = { authorization: `Bearer ${TOKEN}`, 'switchyard-protocol': '1' };

async function errorOf(res: Response): Promise<{ code: string; message: string; [k: string]: unknown }> {
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const b = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(typeof b.error.code, 'string');
  assert.equal(typeof b.error.message, 'string');
  return b.error;
}

test('health needs no token; every other route answers 401 JSON without the right one', async () => {
  const s = await server();
  const h = await fetch(`${s.url}/v1/health`);
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { status: 'ok', protocol: [1], version: '0.1.0' });
  for (const [method, path] of [
    ['GET', '/v1/info'],
    ['GET', '/metrics'],
    ['HEAD', `/v1/blobs/${'a'.repeat(64)}`],
    ['PUT', `/v1/blobs/${'a'.repeat(64)}`],
    ['POST', '/v1/run'],
    ['PUT', `/v1/graphs/${'b'.repeat(64)}`],
  ]) {
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: 'Basic abc' }] as Record<
      string,
      string
    >[]) {
      const r = await fetch(s.url + path, {
        method,
        headers,
        body: method === 'PUT' || method === 'POST' ? 'x' : undefined,
      });
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.match(r.headers.get('www-authenticate') ?? '', /Bearer/);
      if (method !== 'HEAD') assert.equal((await errorOf(r)).code, 'unauthorized');
    }
  }
  assert.equal((await fetch(`${s.url}/v1/info`, { headers: auth })).status, 200);
  await assert.rejects(
    RemoteDevice.connect({ url: s.url, token: 'nope' }),
    (e: unknown) => e instanceof RemoteError && e.code === 'unauthorized' && e.status === 401,
  );
});

test('unknown routes, other protocol versions and bad headers are JSON 4xx errors', async () => {
  const s = await server();
  let r = await fetch(`${s.url}/nope`, { headers: auth });
  assert.equal(r.status, 404);
  assert.equal((await errorOf(r)).code, 'not_found');
  r = await fetch(`${s.url}/v2/info`, { headers: auth });
  assert.equal(r.status, 400);
  const e = await errorOf(r);
  assert.equal(e.code, 'protocol_version');
  assert.match(e.message, /\/v2\/.*\/v1\//);
  r = await fetch(`${s.url}/v1/info`, { headers: { ...auth, 'switchyard-protocol': '7' } });
  assert.equal(r.status, 400);
  assert.match((await errorOf(r)).message, /the client speaks 7, this server speaks 1/);
  r = await fetch(`${s.url}/v1/blobs/XYZ`, { method: 'PUT', headers: auth, body: 'x' });
  assert.equal(r.status, 400);
  r = await fetch(`${s.url}/v1/run`, {
    method: 'POST',
    headers: { ...auth, 'switchyard-graph': 'a'.repeat(64) },
    body: 'x',
  });
  assert.equal(r.status, 400);
  assert.match((await errorOf(r)).message, /switchyard-deadline-ms/);
  r = await fetch(`${s.url}/v1/run`, {
    method: 'POST',
    headers: { ...auth, 'switchyard-graph': 'a'.repeat(64), 'switchyard-deadline-ms': '1000' },
    body: 'x',
  });
  assert.equal(r.status, 404);
  assert.equal((await errorOf(r)).code, 'unknown_graph');
  // a client meeting a server of another version says so
  const fake: typeof fetch = async () =>
    new Response(JSON.stringify({ status: 'ok', protocol: [2], version: '9' }), {
      headers: { 'content-type': 'application/json' },
    });
  await assert.rejects(
    new RemoteClient({ url: 'http://127.0.0.1:1', fetch: fake }).health(),
    /protocol version mismatch: the server speaks 2, this client speaks 1/,
  );
});

test('size limits: 413 JSON for blobs, graphs and runs over --max-body-mb', async () => {
  const s = await server({ maxBodyMb: 0.01 });
  const big = new Uint8Array(20_000);
  let r = await fetch(`${s.url}/v1/blobs/${await sha256Hex(big)}`, { method: 'PUT', headers: auth, body: big });
  assert.equal(r.status, 413);
  assert.equal((await errorOf(r)).code, 'payload_too_large');
  r = await fetch(`${s.url}/v1/graphs/${'c'.repeat(64)}`, { method: 'PUT', headers: auth, body: 'x'.repeat(20_000) });
  assert.equal(r.status, 413);
  const c = new RemoteClient({ url: s.url, token: TOKEN });
  const w = await graphToWire(mlp(4, 8, 8));
  await c.ensureGraph(w);
  const body = frameBytes(encodeFrame([['x', Tensor.zeros('float32', [1000, 8])]]));
  r = await fetch(`${s.url}/v1/run`, {
    method: 'POST',
    headers: { ...auth, 'switchyard-graph': w.id, 'switchyard-deadline-ms': '5000' },
    body: body as Uint8Array<ArrayBuffer>,
  });
  assert.equal(r.status, 413);
  assert.match((await errorOf(r)).message, /limit of 10485 bytes/);
});

test('uploads are checked against their address; a graph names the blobs it lacks', async () => {
  const s = await server();
  const bytes = new TextEncoder().encode('weights');
  const wrong = await sha256Hex('other');
  let r = await fetch(`${s.url}/v1/blobs/${wrong}`, { method: 'PUT', headers: auth, body: bytes });
  assert.equal(r.status, 400);
  const e = await errorOf(r);
  assert.equal(e.code, 'hash_mismatch');
  assert.match(e.message, new RegExp(await sha256Hex(bytes)));
  assert.equal(
    (await fetch(`${s.url}/v1/blobs/${wrong}`, { method: 'HEAD', headers: auth })).status,
    404,
    'nothing stored',
  );
  const ok = await sha256Hex(bytes);
  r = await fetch(`${s.url}/v1/blobs/${ok}`, { method: 'PUT', headers: auth, body: bytes });
  assert.equal(r.status, 201);
  assert.deepEqual(await r.json(), { sha256: ok, bytes: bytes.length, created: true });
  r = await fetch(`${s.url}/v1/blobs/${ok}`, { method: 'HEAD', headers: auth });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('switchyard-blob-bytes'), String(bytes.length));

  r = await fetch(`${s.url}/v1/blobs/query`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ sha256: [ok, wrong] }),
  });
  assert.deepEqual(await r.json(), { missing: [wrong], present: [ok] });
  for (const bad of ['{', '{"sha256": ["x"]}', '{"sha256": [], "more": 1}', '[]']) {
    r = await fetch(`${s.url}/v1/blobs/query`, { method: 'POST', headers: auth, body: bad });
    assert.equal(r.status, 400, bad);
    assert.equal((await errorOf(r)).code, 'bad_request');
  }

  const w = await graphToWire(mlp(5));
  r = await fetch(`${s.url}/v1/graphs/${w.id}`, { method: 'PUT', headers: auth, body: w.text + ' ' });
  assert.equal((await errorOf(r)).code, 'hash_mismatch');
  r = await fetch(`${s.url}/v1/graphs/${w.id}`, { method: 'PUT', headers: auth, body: w.text });
  assert.equal(r.status, 409);
  const m = await errorOf(r);
  assert.equal(m.code, 'missing_blobs');
  assert.deepEqual((m.missing as string[]).sort(), [...w.blobs.keys()].sort());
  const bad = 'graph @"g"(%x: f32[2]) -> (f32[2]) {\n  %y = nn.NoSuchOp %x : (f32[2]) -> f32[2]\n  return %y\n}\n';
  r = await fetch(`${s.url}/v1/graphs/${await sha256Hex(bad)}`, { method: 'PUT', headers: auth, body: bad });
  assert.equal(r.status, 400);
  assert.equal((await errorOf(r)).code, 'compile_failed');
});

test('a session on the remote backend gives the reference answer; the profile maps onto the cost model', async () => {
  const s = await server({ pricePerHour: 2.5 });
  const g = mlp(6);
  const x = input(6, 4);
  const want = interpret(mlp(6), [x])[0]!;
  const session = await Session.create(g, {
    backend: 'remote',
    devices: [{ kind: 'remote', url: s.url, token: TOKEN }],
  });
  assert.equal(session.backend, 'remote');
  const { y } = await session.run({ x });
  assert.ok(closeTo(y!, want));
  assert.deepEqual(session.deviceFallbacks, []);
  const dev = (session.preparedModel as unknown as { device: RemoteDevice }).device;
  assert.equal(dev.lastRuns.length, 1);
  const p = toDeviceProfile(dev.profile());
  assert.equal(p.kind, 'remote');
  assert.equal(p.pricePerHour.value, 2.5);
  assert.ok(p.link.latency.value > 0 && p.link.bandwidth.value > 0);
  assert.ok(p.peakFlops.f32!.value > 0);
  const info = await new RemoteClient({ url: s.url, token: TOKEN }).info();
  assert.equal(info.graphs.length, 1);
  assert.equal(info.graphs[0]!.runs, 1);
  await session.release();
});

test('dedup: a second session uploads 0 bytes of weights', async () => {
  const s = await server();
  const runOnce = async () => {
    const session = await Session.create(mlp(7, 64, 256), {
      backend: 'remote',
      devices: [{ kind: 'remote', url: s.url, token: TOKEN }],
    });
    await session.run({ x: input(7, 2, 64) });
    const dev = (session.preparedModel as unknown as { device: RemoteDevice }).device;
    await session.release();
    return dev.client.stats;
  };
  const first = await runOnce();
  assert.equal(first.blobBytesUploaded, 2 * 64 * 256 * 4);
  const second = await runOnce();
  assert.equal(second.blobBytesUploaded, 0);
  assert.equal(second.blobsSkipped, 2);
  assert.equal(second.blobBytesSkipped, 2 * 64 * 256 * 4);
});

test('deadlines: a slow server refuses at once, before queueing, and the session falls back with the right answer', async () => {
  const s = await server({ slowMs: 400 });
  const c = new RemoteClient({ url: s.url, token: TOKEN });
  const w = await graphToWire(mlp(8));
  await c.ensureGraph(w);
  const body = frameBytes(encodeFrame([['x', input(8, 2)]]));
  const r = await fetch(`${s.url}/v1/run`, {
    method: 'POST',
    headers: { ...auth, 'switchyard-graph': w.id, 'switchyard-deadline-ms': '50' },
    body: body as Uint8Array<ArrayBuffer>,
  });
  assert.equal(r.status, 503);
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
  const e = await errorOf(r);
  assert.equal(e.code, 'deadline_unmeetable');
  assert.match(e.message, /cannot finish within the 50 ms deadline/);
  assert.equal((await c.info()).graphs[0]!.runs, 0, 'nothing was computed');

  const x = input(8, 3);
  const session = await Session.create(mlp(8), {
    backend: 'remote',
    devices: [{ kind: 'remote', url: s.url, token: TOKEN, deadlineMs: 50 }],
  });
  const { y } = await session.run({ x });
  assert.ok(closeTo(y!, interpret(mlp(8), [x])[0]!));
  assert.equal(session.deviceFallbacks.length, 1);
  assert.equal(session.deviceFallbacks[0]!.code, 'deadline_unmeetable');
  assert.equal(session.deviceFallbacks[0]!.phase, 'run');
  await session.release();
  // a deadline it can meet is served
  const ok = await c.run(w.id, [['x', x]], { deadlineMs: 10_000 });
  assert.ok(closeTo(ok.outputs.get('y')!, interpret(mlp(8), [x])[0]!));
  assert.ok(ok.meta.computeMs >= 0);
});

test('a full queue answers 429 with Retry-After; bad inputs are 400 naming the input', async () => {
  const s = await server({ slowMs: 300, maxQueue: 0 });
  const c = new RemoteClient({ url: s.url, token: TOKEN });
  const w = await graphToWire(mlp(9));
  await c.ensureGraph(w);
  const send = (t: Tensor, name = 'x') =>
    fetch(`${s.url}/v1/run`, {
      method: 'POST',
      headers: { ...auth, 'switchyard-graph': w.id, 'switchyard-deadline-ms': '20000' },
      body: frameBytes(encodeFrame([[name, t]])) as Uint8Array<ArrayBuffer>,
    });
  const [a, b] = await Promise.all([
    send(input(9, 1)),
    new Promise<Response>((r) => setTimeout(() => r(send(input(9, 1))), 100)),
  ]);
  assert.equal(a.status, 200);
  assert.equal(b.status, 429);
  assert.ok(Number(b.headers.get('retry-after')) >= 1);
  assert.equal((await errorOf(b)).code, 'queue_full');
  const bad = await send(Tensor.zeros('float32', [2, 5]));
  assert.equal(bad.status, 400);
  assert.match((await errorOf(bad)).message, /input 'x' has shape \[2,5\]/);
  const wrongName = await send(input(9, 1), 'z');
  assert.match((await errorOf(wrongName)).message, /unknown input 'z'/);
});

test('CORS answers only listed origins; metrics are Prometheus text', async () => {
  const s = await server({ corsOrigins: ['http://localhost:5173'] });
  const pre = await fetch(`${s.url}/v1/run`, {
    method: 'OPTIONS',
    headers: {
      origin: 'http://localhost:5173',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,switchyard-graph',
    },
  });
  assert.ok(pre.status < 300);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:5173');
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /switchyard-graph/);
  const other = await fetch(`${s.url}/v1/health`, { headers: { origin: 'http://evil.example' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  const m = await fetch(`${s.url}/metrics`, { headers: auth });
  const text = await m.text();
  for (const name of [
    'switchyard_queue_depth',
    'switchyard_http_requests_total',
    'switchyard_runs_in_progress',
    'switchyard_blob_store_bytes',
  ])
    assert.match(text, new RegExp(`^${name}`, 'm'));
});

test('draining: queued and running work finishes, new runs get 503 shutting_down, health says draining', async () => {
  const s = await testServer({ slowMs: 400 });
  const c = new RemoteClient({ url: s.url, token: TOKEN });
  const w = await graphToWire(mlp(10));
  await c.ensureGraph(w);
  const x = input(10, 2);
  const running = c.run(w.id, [['x', x]], { deadlineMs: 20_000 });
  await new Promise((r) => setTimeout(r, 100));
  const closing = s.close();
  const h = await fetch(`${s.url}/v1/health`);
  assert.equal(h.status, 503);
  assert.equal(((await h.json()) as { status: string }).status, 'draining');
  await assert.rejects(
    c.run(w.id, [['x', x]], { deadlineMs: 20_000 }),
    (e: unknown) => e instanceof RemoteError && e.code === 'shutting_down' && e.status === 503 && e.retryAfterS === 5,
  );
  const r = await running;
  assert.ok(closeTo(r.outputs.get('y')!, interpret(mlp(10), [x])[0]!));
  await closing;
});

test("backend 'auto': the remote device enters the plan with the server's profile and price; its loss is survived", async () => {
  const s = await testServer({ pricePerHour: 1.25 });
  const x = input(11, 4, 64);
  const want = interpret(mlp(11, 64, 256), [x])[0]!;
  const session = await Session.create(mlp(11, 64, 256), { devices: [{ kind: 'remote', url: s.url, token: TOKEN }] });
  assert.equal(session.backend, 'auto');
  const remote = session.hetero!.devices.find((e) => e.device.kind === 'remote')!;
  assert.equal(remote.device.id, `remote:${new URL(s.url).host}`);
  assert.equal(remote.profile.origin, 'server');
  assert.equal(remote.profile.pricePerHour.value, 1.25);
  assert.ok(remote.profile.link.latency.value > 0);
  assert.ok(closeTo((await session.run({ x })).y!, want));
  await s.close();
  // whatever the plan put on the server now runs locally, and the answer is the same
  assert.ok(closeTo((await session.run({ x })).y!, want));
  const usedRemote = session.hetero!.lastRunPlan!.assignments.some((a) => a.device === remote.device.id);
  if (usedRemote) assert.ok(session.hetero!.lastReport!.fallbacks.some((f) => f.from === remote.device.id));
  await session.release();
});
