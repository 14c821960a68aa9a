// WGSL code generation regressions: CastLike's type-donor input is never bound (it used to be
// broadcast into the output and, when of higher rank, produced `x1_0[(c-1 * 2u + c0)]`), and a
// shader that does not compile is a thrown error that names the kernel, with nothing on stdout.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import '../../src/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

test('CastLike with a target of higher rank than the input compiles and matches the reference', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [2]);
  const s = g.input('s', 'float32', []);
  const like = g.input('like', 'int32', [2, 2, 2]);
  g.output(g.op('CastLike', [x, like]), 'y');
  g.output(g.op('CastLike', [s, g.input('like2', 'float16', [3, 4])]), 'z');
  const model = g.build();
  const feeds = {
    x: Tensor.from('float32', [2.7, -3.2]),
    s: Tensor.from('float32', [1.5], []),
    like: Tensor.zeros('int32', [2, 2, 2]),
    like2: Tensor.zeros('float16', [3, 4]),
  };
  const ref = await Session.create(model, { backend: 'reference' });
  const gpu = await Session.create(model, { backend: 'webgpu', adapter: 'swiftshader' });
  try {
    const want = await ref.run(feeds);
    const got = await gpu.run(feeds);
    assert.deepEqual([got.y!.type, got.y!.dims, got.y!.toNumbers()], [want.y!.type, want.y!.dims, [2, -3]]);
    assert.deepEqual([got.z!.type, got.z!.toNumbers()], ['float16', [1.5]]);
  } finally {
    await gpu.release();
    await ref.release();
  }
});

test('a WGSL compile error is thrown with the kernel name, and Dawn prints nothing on stdout', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const cache = new URL('../../src/backends/webgpu/pipeline-cache.js', import.meta.url).href;
  const gpu = new URL('../../src/backends/webgpu/gpu.js', import.meta.url).href;
  const script = `
    const { PipelineCache } = await import(${JSON.stringify(cache)});
    const { findAdapter } = await import(${JSON.stringify(gpu)});
    const { adapter } = await findAdapter({ adapter: 'swiftshader' });
    const device = await adapter.requestDevice();
    const c = new PipelineCache(device);
    try {
      const code = '@compute @workgroup_size(1) fn main() { let v = nope; }';
      const variant = { family: 'test', name: 'broken', key: {} };
      await c.request({ code, variant, bindings: [], tensors: [], grid: [1, 1, 1], label: 'test:broken' });
      process.stderr.write('NO ERROR');
    } catch (e) { process.stderr.write('THROWN ' + e.message); }
    device.destroy();
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  assert.match(r.stderr, /THROWN WGSL kernel test:broken failed to compile: line 1: unresolved value 'nope'/);
  assert.equal(r.stdout, '', `stdout should stay empty, got: ${r.stdout}`);
});

test('bit ops on WebGPU (shifts by the width or more, narrow widths, broadcast) match the reference without fallback', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const g = new GraphBuilder();
  const a = g.input('a', 'uint32', [6]),
    s = g.input('s', 'uint32', [6]);
  g.output(g.op('BitShift', [a, s], { direction: 'LEFT' }), 'l');
  g.output(g.op('BitShift', [a, s], { direction: 'RIGHT' }), 'r');
  const b = g.input('b', 'uint8', [2, 3]),
    sb = g.input('sb', 'uint8', [3]);
  g.output(g.op('BitShift', [b, sb], { direction: 'LEFT' }), 'l8');
  const c = g.input('c', 'int8', [2, 3]),
    d = g.input('d', 'int8', [3]);
  g.output(g.op('BitwiseAnd', [c, d]), 'and');
  g.output(g.op('BitwiseOr', [c, d]), 'or');
  g.output(g.op('BitwiseXor', [c, d]), 'xor');
  g.output(g.op('BitwiseNot', [c]), 'not');
  g.output(g.op('BitwiseNot', [b]), 'not8');
  const model = g.build();
  const feeds = {
    a: Tensor.from('uint32', [1, 0x80000001, 7, 0xffffffff, 5, 3]),
    s: Tensor.from('uint32', [31, 1, 32, 40, 0, 2]),
    b: Tensor.from('uint8', [1, 0x81, 255, 3, 4, 5], [2, 3]),
    sb: Tensor.from('uint8', [7, 1, 8]),
    c: Tensor.from('int8', [-128, 5, -1, 127, 0, -7], [2, 3]),
    d: Tensor.from('int8', [127, -6, 3]),
  };
  const ref = await Session.create(model, { backend: 'reference' });
  const gpu = await Session.create(model, { backend: 'webgpu', adapter: 'swiftshader' });
  try {
    const want = await ref.run(feeds),
      got = await gpu.run(feeds);
    for (const k of ['l', 'r', 'l8', 'and', 'or', 'xor', 'not', 'not8'])
      assert.deepEqual(got[k]!.toNumbers(), want[k]!.toNumbers(), k);
    assert.deepEqual(got.l!.toNumbers(), [0x80000000, 2, 0, 0, 5, 12]);
    assert.deepEqual([...gpu.fallbacks.entries()], [], 'no fallback');
  } finally {
    await gpu.release();
    await ref.release();
  }
});
