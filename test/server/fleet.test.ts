// Three offload servers behind nginx (deploy/nginx/nginx.conf.template): graphs spread over the
// servers and stay where their weights are, answers are right, dedup holds through the balancer,
// nginx's own errors are JSON, and losing a server is survived.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { RemoteClient, type RemoteDevice } from '../../src/backends/remote/index.js';
import { Session } from '../../src/runtime/session.js';
import { type Fleet, findNginx, startFleet } from '../../src/server/fleet.js';
import { closeTo, input, mlp, TOKEN } from '../helpers/offload.js';

const nginx = findNginx();

test('nginx over three servers', {
  skip: nginx ? false : 'nginx is not installed (npm run setup installs nginx-light)',
  timeout: 180_000,
}, async () => {
  const fleet: Fleet = await startFleet({
    servers: 3,
    port: 0,
    token: TOKEN,
    dir: mkdtempSync(join(tmpdir(), 'sy-fleet-')),
    serveArgs: ['--log-level', 'warn'],
    maxBodyMb: 4,
  });
  after(() => fleet.stop());
  const devices = [{ kind: 'remote' as const, url: fleet.url, token: TOKEN }];
  const seeds = Array.from({ length: 12 }, (_, i) => 40 + i);

  // twelve graphs (different weights): right answers, spread over the servers by graph hash
  for (const seed of seeds) {
    const s = await Session.create(mlp(seed, 16, 32), { backend: 'remote', devices });
    const x = input(seed, 2, 16);
    assert.ok(closeTo((await s.run({ x })).y!, interpret(mlp(seed, 16, 32), [x])[0]!), `graph ${seed}`);
    assert.deepEqual(s.deviceFallbacks, []);
    await s.release();
  }
  const infos = await Promise.all(fleet.servers.map((sv) => new RemoteClient({ url: sv.url, token: TOKEN }).info()));
  const perServer = infos.map((i) => i.graphs.length);
  assert.equal(
    perServer.reduce((a, b) => a + b, 0),
    seeds.length,
    `each graph loaded on exactly one server: ${perServer}`,
  );
  assert.ok(perServer.filter((n) => n > 0).length >= 2, `graphs spread over servers: ${perServer}`);
  assert.ok(
    infos.every((i) => i.graphs.every((g) => g.runs === 1)),
    'each graph ran where it was loaded',
  );

  // a second session of a graph uploads no weights through the balancer
  const again = await Session.create(mlp(seeds[0]!, 16, 32), { backend: 'remote', devices });
  await again.run({ x: input(1, 1, 16) });
  const stats = (again.preparedModel as unknown as { device: RemoteDevice }).device.client.stats;
  assert.equal(stats.blobBytesUploaded, 0);
  assert.ok(stats.blobBytesSkipped > 0);
  await again.release();

  // nginx's own limit answers JSON
  const big = await fetch(`${fleet.url}/v1/blobs/${'a'.repeat(64)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}` },
    body: new Uint8Array(5 << 20),
  });
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'payload_too_large');

  // lose a server: every graph still answers right (re-placed by nginx, or by the local fallback)
  fleet.servers[0]!.proc.kill('SIGKILL');
  for (const seed of seeds.slice(0, 6)) {
    const s = await Session.create(mlp(seed, 16, 32), { backend: 'remote', devices });
    const x = input(seed + 7, 3, 16);
    assert.ok(
      closeTo((await s.run({ x })).y!, interpret(mlp(seed, 16, 32), [x])[0]!),
      `graph ${seed} after a server died`,
    );
    await s.release();
  }
});
