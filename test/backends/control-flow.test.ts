// Control flow on the kernel backends: WASM drives a Loop from the host with its body compiled for
// the device (recorded, with the reason), and the planner (backend 'auto') places the Loop as a
// task of its own on the host; both give the reference's results.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { parseGraph } from '../../src/ir/parser.js';
import { Tensor } from '../../src/ir/tensor.js';
import { OptionalValue, TensorSequence } from '../../src/ir/values.js';
import { Session } from '../../src/runtime/session.js';

process.env.SWITCHYARD_CACHE ??= mkdtempSync(join(tmpdir(), 'sy-cache-'));

const LOOP = `graph @"main"(%n: i64[], %x: f32[2]) -> (?, ?) opsets {"": 17} {
  %w = nn.Mul %x, %x : (f32[2], f32[2]) -> f32[2]
  %y, %ys = nn.Loop %n, _, %x, %w {body = graph @"body"(%i: i64[], %c: i1[], %acc: f32[2]) captures(%w: f32[2]) -> (i1[], f32[2], f32[2]) {
      %acc2 = nn.Add %acc, %w : (f32[2], f32[2]) -> f32[2]
      return %c, %acc2, %acc2
    }} : (i64[], _, f32[2], f32[2]) -> (?, ?)
  %z = nn.Relu %y : (?) -> ?
  return %z, %ys
}
`;
const feeds = { n: Tensor.from('int64', [3n], []), x: Tensor.from('float32', [1, -2]) };

async function outputs(backend: string): Promise<[number[], number[], Session]> {
  const s = await Session.create(parseGraph(LOOP), {
    backend,
    threads: 1,
    devices: backend === 'auto' ? [{ kind: 'wasm', threads: 1 }] : undefined,
  });
  const out = await s.run(feeds);
  return [out.z!.toNumbers(), out.ys!.toNumbers(), s];
}

test('wasm: the Loop is driven from the host, its body runs on wasm, and the record says so', async () => {
  const [z, ys, s] = await outputs('wasm');
  const [rz, rys, r] = await outputs('reference');
  assert.deepEqual([z, ys], [rz, rys]);
  assert.deepEqual(rz, [4, 10]); // relu(x + 3·x²)
  assert.match(s.fallbacks.get('nn.Loop') ?? '', /runs as one unit driven from the host; its body runs on wasm/);
  // the body's Add became a wasm kernel: nothing of the body is listed as run on the host
  assert.deepEqual(
    [...s.fallbacks.keys()].filter((k) => k.includes('body')),
    [],
    JSON.stringify([...s.fallbacks]),
  );
  await s.release();
  await r.release();
});

test('auto: the planner places the Loop as one task on the host', async () => {
  const [z, ys, s] = await outputs('auto');
  assert.deepEqual(z, [4, 10]);
  assert.deepEqual(ys, [2, 2, 3, 6, 4, 10]);
  const plan = s.hetero!.plan;
  const loopTasks = plan.assignments.filter((a) => /Loop/.test(a.task));
  assert.equal(loopTasks.length, 1, JSON.stringify(plan.assignments.map((a) => a.task)));
  assert.equal(loopTasks[0]!.device, s.hetero!.devices.find((d) => d.device.kind === 'reference')!.device.id);
  await s.release();
});

test('auto and wasm: sequence and optional values in and out (runValues), beside device kernels', async () => {
  const text = `graph @"o"(%s: seq<f32[2]>, %o: opt<f32[2]>, %x: f32[2]) -> (?, ?, ?) opsets {"": 18} {
  %has = nn.OptionalHasElement %o : (opt<f32[2]>) -> ?
  %sq = nn.Mul %x, %x : (f32[2], f32[2]) -> ?
  %s2 = nn.SequenceInsert %s, %sq : (seq<f32[2]>, ?) -> ?
  %cat = nn.ConcatFromSequence %s2 {axis = 0} : (?) -> ?
  %r = nn.Relu %cat : (?) -> ?
  return %has, %r, %s2
}
`;
  const s = new TensorSequence('float32', [Tensor.from('float32', [1, -2])]);
  const feeds = {
    s,
    o: new OptionalValue({ dtype: 'float32', shape: [2] }, Tensor.from('float32', [0, 0])),
    x: Tensor.from('float32', [3, -4]),
  };
  for (const backend of ['auto', 'wasm']) {
    const session = await Session.create(parseGraph(text), {
      backend,
      threads: 1,
      devices: backend === 'auto' ? [{ kind: 'wasm', threads: 1 }] : undefined,
    });
    const out = await session.runValues(feeds);
    assert.deepEqual((out.has as Tensor).toNumbers(), [1], backend);
    assert.deepEqual((out.r as Tensor).toNumbers(), [1, 0, 9, 16], backend);
    assert.ok(out.s2 instanceof TensorSequence && out.s2.length === 2, backend);
    await session.release();
  }
});
