// A WASM kernel between PARALLEL_MIN and ADAPTIVE_MAX times its first runs on the main thread and
// split across the workers, in turn, then keeps the faster: every run, trial or settled, gives
// the reference's answer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { ADAPTIVE_MAX, PARALLEL_MIN } from '../../src/backends/wasm/plan.js';
import { GraphBuilder, Session, Tensor } from '../../src/index.js';

test('kernels that try both thread counts give the same answer on every run', async () => {
  const [M, K, N] = [32, 64, 48];
  assert.ok(M * K * N * 2 > PARALLEL_MIN && M * K * N * 2 < ADAPTIVE_MAX, 'the matmul is in the adaptive range');
  const mk = () => {
    const b = new GraphBuilder();
    const a = b.input('a', 'float32', [M, K]);
    const w = b.input('w', 'float32', [K, N]);
    const y = b.op('MatMul', [a, w]);
    b.output(b.op('Add', [y, y]), 'out');
    return b.build();
  };
  const feeds = {
    a: new Tensor(
      'float32',
      Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)),
      [M, K],
    ),
    w: new Tensor(
      'float32',
      Float32Array.from({ length: K * N }, (_, i) => Math.cos(i)),
      [K, N],
    ),
  };
  const ref = mk();
  const want = interpret(ref, [feeds.a, feeds.w])[0]!.data as Float32Array;
  const s = await Session.create(mk(), { backend: 'wasm', threads: 2 });
  try {
    // 4 trials of each way, then settled: 12 runs cover both
    for (let r = 0; r < 12; r++) {
      const got = (await s.run(feeds)).out!.data as Float32Array;
      for (let i = 0; i < want.length; i++)
        assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)), `run ${r}, element ${i}`);
    }
  } finally {
    await s.release();
  }
});
