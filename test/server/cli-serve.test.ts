// The commands as a user types them: switchyard serve, run --remote/--backend remote, serve --fleet.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { findNginx } from '../../src/server/fleet.js';
import { spawnServer, TOKEN } from '../helpers/offload.js';
import { CLI, REPO } from '../helpers/paths.js';

const MODEL = join(REPO, 'examples/models/tiny-cnn.onnx');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, SWITCHYARD_TOKEN: '' } });

test('run --remote: forced with --backend remote, planned with auto; bad flags and tokens are one-line errors', async () => {
  const srv = await spawnServer(['--log-level', 'warn']);
  try {
    const local = JSON.parse(cli('run', MODEL, '--json').stdout) as { outputs: { data: number[] }[] };
    const forced = cli('run', MODEL, '--backend', 'remote', '--remote', srv.url, '--token', TOKEN, '--json');
    assert.equal(forced.status, 0, forced.stderr);
    const f = JSON.parse(forced.stdout) as { backend: string; outputs: { data: number[] }[] };
    assert.equal(f.backend, 'remote');
    f.outputs[0]!.data.forEach((v, i) => assert.ok(Math.abs(v - local.outputs[0]!.data[i]!) < 1e-5));
    const planned = cli('run', MODEL, '--remote', srv.url, '--token', TOKEN);
    assert.equal(planned.status, 0, planned.stderr);
    assert.match(planned.stdout, /backend auto/);
    const bad = cli('run', MODEL, '--backend', 'remote', '--remote', srv.url, '--token', 'wrong');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /^switchyard: error: .*bearer token is not valid/m);
    assert.match(cli('run', MODEL, '--backend', 'remote').stderr, /--backend remote needs --remote URL/);
    assert.match(cli('run', MODEL, '--backend', 'reference', '--remote', srv.url).stderr, /not --backend reference/);
    assert.match(cli('serve', '--port', 'x').stderr, /--port must be an integer/);
    assert.match(
      cli('serve', '--host', '0.0.0.0', '--port', '0').stderr,
      /refusing to serve on 0.0.0.0 without a token/,
    );
    assert.match(
      cli('serve', '--port', '0', '--llm', 'chat').stderr,
      /^switchyard: error: --llm chat: expected name=path/m,
    );
    assert.match(
      cli('serve', '--port', '0', '--log-level', 'warn', '--llm', 'chat=/nonexistent').stderr,
      /^switchyard: error: --llm chat=\/nonexistent: \/nonexistent: expected a \.gguf file/m,
    );
  } finally {
    srv.kill('SIGKILL');
  }
});

test('serve stops cleanly on SIGTERM', async () => {
  const srv = await spawnServer(['--log-level', 'warn']);
  srv.kill('SIGTERM');
  assert.equal(await srv.exited, 0);
});

test('serve --fleet 2: nginx in front, health through it, SIGTERM stops everything', {
  skip: findNginx() ? false : 'nginx is not installed',
}, async () => {
  const proc = spawn(
    process.execPath,
    [CLI, 'serve', '--fleet', '2', '--port', '0', '--token', TOKEN, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  const info = await new Promise<{ url: string; servers: { pid: number }[] }>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      try {
        const j = JSON.parse(l) as { msg?: string };
        if (j.msg === 'switchyard fleet listening') resolve(j as never);
      } catch {
        /* other output */
      }
    });
    proc.on('exit', (c) => reject(new Error(`fleet exited with ${c}`)));
  });
  try {
    assert.equal(info.servers.length, 2);
    const h = await fetch(`${info.url}/v1/health`);
    assert.equal(h.status, 200);
    assert.equal((await fetch(`${info.url}/v1/info`)).status, 401);
  } finally {
    proc.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  for (const s of info.servers) assert.throws(() => process.kill(s.pid, 0), 'server process is gone');
});
