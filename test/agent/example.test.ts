// `npm start` (examples/agent/start.mjs): the example agent planned over the local devices and an
// offload server it starts on loopback itself, printing where each node ran, TTFT/TPOT against the
// SLA and the plan; the server is stopped at the end, on Ctrl-C, and when the example process is
// killed outright (it watches its IPC channel), so no server is left behind. `switchyard agent
// --remote --pin` runs the answer through the server's chat route.

import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, REPO } from '../helpers/paths.js';
import { tmp } from './helpers.js';

const START = join(REPO, 'examples/agent/start.mjs');
const env = { ...process.env, SWITCHYARD_CACHE: tmp('sy-example-cache-') };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function gone(pid: number): Promise<boolean> {
  // the server drains for at most 1 s (--drain-timeout-ms 1000) and is killed 3 s after SIGTERM
  for (let i = 0; i < 150 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

/** Start the example; resolve with the server's pid once it listens. */
function startExample(args: string[] = []): {
  proc: ChildProcess;
  listening: Promise<{ pid: number; url: string }>;
  err: () => string;
  exit: Promise<number | null>;
} {
  const proc = spawn(process.execPath, [START, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exit = new Promise<number | null>((r) => proc.on('exit', (c, s) => r(c ?? (s ? 128 : null))));
  proc.stdout!.resume();
  const listening = new Promise<{ pid: number; url: string }>((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += String(d);
      const m = /\[server\] listening at (http:\/\/127\.0\.0\.1:\d+) \(pid (\d+)/.exec(err);
      if (m) resolve({ url: m[1]!, pid: Number(m[2]) });
    });
    void exit.then((c) => reject(new Error(`the example exited (${c}) before its server listened: ${err}`)));
  });
  listening.catch(() => {});
  return { proc, listening, err: () => err, exit };
}

describe('npm start: the example agent with its own offload server', () => {
  it('runs the agent planned over the local devices and the server, explains it, and stops the server', async () => {
    const r = spawnSync(process.execPath, [START], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(/\(pid (\d+)/.exec(r.stderr)![1]);
    assert.match(r.stderr, /\[server\] llm chat: measured: TTFT/);
    assert.match(r.stderr, /devices: cpu \(reference\).*remote:127\.0\.0\.1:\d+ \(remote\)/);
    assert.match(r.stderr, /offload: remote:127\.0\.0\.1:\d+ serves model 'chat' as 'chat' with the same weights/);
    assert.match(
      r.stderr,
      /answer\s+llm\s+0\s+\S+\s+[\d.]+\s+\d+ prompt \+ \d+ new tokens, TTFT/,
      'where the answer ran',
    );
    assert.match(r.stderr, /TTFT\s+[\d.]+ ms \(target 3000 ms: (met|MISSED)\)/);
    assert.match(
      r.stderr,
      /offload: answer: wholly on remote:127\.0\.0\.1:\d+ the plan takes [\d.]+ ms.*: (remote:\S+ it is|stays off the server)/,
      'the planner says what it chose and why',
    );
    assert.match(r.stderr, /planned timeline:/);
    assert.match(r.stderr, /\[server\] stopped/);
    assert.ok(r.stdout.trim().length > 0, 'the streamed answer');
    assert.ok(await gone(pid), 'no server left behind');
  });

  it('Ctrl-C stops the agent and the server', async () => {
    const ex = startExample();
    const { pid } = await ex.listening;
    ex.proc.kill('SIGINT');
    assert.equal(await ex.exit, 130);
    assert.ok(await gone(pid), 'the server exited with the example');
  });

  it('killing the example outright still stops its server (it watches its IPC channel)', async () => {
    const ex = startExample();
    const { pid } = await ex.listening;
    ex.proc.kill('SIGKILL');
    await ex.exit;
    assert.ok(await gone(pid), 'the server noticed its parent was gone and exited');
  });

  it("--pin answer=remote sends the answer through the server's chat route", () => {
    const r = spawnSync(process.execPath, [START, '--', '--pin', 'answer=remote'], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /plan: .*answer@remote:127\.0\.0\.1:\d+ \(chat route\)/);
    assert.match(
      r.stderr,
      /answer\s+llm\s+0\s+remote:127\.0\.0\.1:\d+\s+[\d.]+\s+\d+ prompt \+ \d+ new tokens, TTFT [\d.]+ ms, TPOT [\d.]+ ms, through the server's \/v1\/chat\/completions/,
    );
    assert.match(r.stderr, /one request to the server's \/v1\/chat\/completions; the KV cache stays there/);
  });

  it('--pin of a node that reads private data to the server is refused with one line', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'agent', join(REPO, 'examples/agent/rag.yaml'), '--example', '--input', 'hi', '--pin', 'redact=remote'],
      { env, encoding: 'utf8' },
    );
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /--pin redact=remote: node 'redact' reads private input 'question' without a filter in between, so it stays on this machine/,
    );
  });
});
