// Faults on a real server process: killed in the middle of a run, hung (timeout), and gone before
// the session starts. Each time the session still returns the reference answer, reuses what the
// server had already computed, and records the fallback.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpret } from '../../src/backends/reference/interpreter.js';
import type { RemoteDevice } from '../../src/backends/remote/index.js';
import { Session } from '../../src/runtime/session.js';
import { closeTo, input, mlp, spawnServer, TOKEN } from '../helpers/offload.js';

const deviceOf = (s: Session) => (s.preparedModel as unknown as { device: RemoteDevice }).device;

test("killing the server in the middle of a run: the rest runs locally, the first unit's result is reused", async () => {
  const srv = await spawnServer(['--slow-ms', '600']);
  try {
    // Softmax stays local, so the graph is remote [MatMul, Relu] -> local Softmax -> remote [MatMul, Tanh]
    const session = await Session.create(mlp(20), {
      backend: 'remote',
      trace: true,
      devices: [{ kind: 'remote', url: srv.url, token: TOKEN, unsupportedOps: ['nn.Softmax'] }],
    });
    const dev = deviceOf(session);
    const realRun = dev.client.run.bind(dev.client);
    let calls = 0;
    dev.client.run = (...args) => {
      if (++calls === 2) setTimeout(() => srv.kill('SIGKILL'), 200); // while the second unit computes
      return realRun(...args);
    };
    const x = input(20, 5);
    const { y } = await session.run({ x });
    assert.ok(closeTo(y!, interpret(mlp(20), [x])[0]!));
    assert.equal(calls, 2);
    assert.equal(dev.lastRuns.length, 1, 'the first unit finished remotely and was not recomputed');
    const fb = session.deviceFallbacks;
    assert.equal(fb.length, 1);
    assert.equal(fb[0]!.phase, 'run');
    assert.equal(fb[0]!.step, 2);
    assert.equal(fb[0]!.code, 'unreachable');
    assert.deepEqual(fb[0]!.nodes.length, 2);
    assert.equal(await srv.exited, null);
    // the trace shows the remote unit that finished and the fallback (Chrome trace events)
    const events = session.trace!.toJSON().traceEvents;
    assert.equal(
      events.filter((e) => e.ph === 'X' && e.cat === 'run').length,
      2,
      'two remote unit spans (one finished, one cut off)',
    );
    assert.ok(
      events.some(
        (e) =>
          e.ph === 'i' &&
          /^fallback: run of step 2/.test(e.name) &&
          (e.args as { code: string }).code === 'unreachable',
      ),
    );
    // the next run does not wait on the dead server (it is skipped for a while) and is still right
    const again = await session.run({ x: input(21, 2) });
    assert.ok(closeTo(again.y!, interpret(mlp(20), [input(21, 2)])[0]!));
    assert.equal(calls, 2);
    await session.release();
  } finally {
    srv.kill('SIGKILL');
  }
});

test('a hung server times out and the session falls back', async () => {
  const srv = await spawnServer();
  try {
    const session = await Session.create(mlp(22), {
      backend: 'remote',
      devices: [{ kind: 'remote', url: srv.url, token: TOKEN, deadlineMs: 200 }],
    });
    srv.kill('SIGSTOP');
    const x = input(22, 3);
    const { y } = await session.run({ x });
    assert.ok(closeTo(y!, interpret(mlp(22), [x])[0]!));
    assert.equal(session.deviceFallbacks[0]!.code, 'timeout');
    await session.release();
  } finally {
    srv.kill('SIGKILL');
  }
});

test('a server that is gone before the session starts: everything runs locally, recorded', async () => {
  const srv = await spawnServer();
  srv.kill('SIGKILL');
  await srv.exited;
  const session = await Session.create(mlp(23), {
    backend: 'remote',
    devices: [{ kind: 'remote', url: srv.url, token: TOKEN }],
  });
  const x = input(23, 2);
  const { y } = await session.run({ x });
  assert.ok(closeTo(y!, interpret(mlp(23), [x])[0]!));
  assert.equal(session.deviceFallbacks.length, 1);
  assert.equal(session.deviceFallbacks[0]!.code, 'unreachable');
  assert.equal(session.deviceFallbacks[0]!.step, -1);
  // with fallback disabled (--backend remote) the failure surfaces instead
  await assert.rejects(
    Session.create(mlp(23), {
      backend: 'remote',
      fallback: false,
      devices: [{ kind: 'remote', url: srv.url, token: TOKEN }],
    }),
    /ECONNREFUSED|unreachable|fetch failed/,
  );
});
