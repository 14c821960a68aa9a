// WGSL code generation regressions: CastLike's type-donor input is never bound (it used to be
// broadcast into the output and, when of higher rank, produced `x1_0[(c-1 * 2u + c0)]`), and a
// shader that does not compile is a thrown error that names the kernel, with nothing on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
    x: Tensor.from('float32', [2.7, -3.2]), s: Tensor.from('float32', [1.5], []),
    like: Tensor.zeros('int32', [2, 2, 2]), like2: Tensor.zeros('float16', [3, 4]),
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
      await c.request('k', '@compute @workgroup_size(1) fn main() { let v = nope; }', [], 'test:broken');
      process.stderr.write('NO ERROR');
    } catch (e) { process.stderr.write('THROWN ' + e.message); }
    device.destroy();
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)) });
  assert.match(r.stderr, /THROWN WGSL kernel test:broken failed to compile: line 1: unresolved value 'nope'/);
  assert.equal(r.stdout, '', `stdout should stay empty, got: ${r.stdout}`);
});
