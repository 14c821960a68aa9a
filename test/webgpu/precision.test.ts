// f16: with precision 'f16' a device uses f16 kernels only where the adapter has shader-f16;
// elsewhere (SwiftShader, llvmpipe) it runs f32 kernels and records that as a fallback. Accuracy
// of a float16 model against the reference interpreter is measured either way.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { adapterName, findAdapter } from '../../src/backends/webgpu/gpu.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { f16ToF32, f32ToF16 } from '../../src/ir/float16.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

function f16Model() {
  const g = new GraphBuilder();
  const x = g.input('x', 'float16', [32, 64]);
  const w = Tensor.zeros('float16', [64, 48]);
  (w.data as Uint16Array).forEach((_, i, a) => {
    a[i] = f32ToF16(Math.cos(i) * 0.2);
  });
  g.output(g.op('Softmax', [g.relu(g.matmul(x, g.constant(w, 'w')))], { axis: -1 }), 'y');
  return g.build();
}

/** The f16 model on `adapter` with precision 'f16' against the reference: max abs error and the fallback note. */
async function f16Run(adapter: string): Promise<{ maxErr: number; fallback?: string }> {
  const x = Tensor.zeros('float16', [32, 64]);
  (x.data as Uint16Array).forEach((_, i, a) => {
    a[i] = f32ToF16(Math.sin(i));
  });
  const ref = await Session.create(f16Model(), { backend: 'reference' });
  const gpu = await Session.create(f16Model(), { backend: 'webgpu', adapter, precision: 'f16' });
  try {
    const want = (await ref.run({ x })).y!;
    const got = (await gpu.run({ x })).y!;
    assert.equal(got.type, 'float16');
    let maxErr = 0;
    for (let i = 0; i < got.size; i++)
      maxErr = Math.max(
        maxErr,
        Math.abs(f16ToF32((got.data as Uint16Array)[i]!) - f16ToF32((want.data as Uint16Array)[i]!)),
      );
    return { maxErr, fallback: gpu.fallbacks.get('precision f16') };
  } finally {
    await gpu.release();
    await ref.release();
  }
}

test('precision f16 falls back to f32 kernels without shader-f16, recorded, and stays accurate', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const { maxErr, fallback } = await f16Run('swiftshader');
  console.log(`# float16 model, webgpu (f32 kernels) vs reference: max abs error ${maxErr}`);
  assert.ok(maxErr < 2e-3, `max abs error ${maxErr}`);
  assert.match(fallback ?? '', /has no shader-f16: float kernels run in f32/);
});

// Runs only where an adapter has shader-f16 (a real GPU; none of the software adapters of CI has
// it): there the f16 kernels run, nothing falls back, and the error stays within f16's precision.
test('precision f16 on an adapter with shader-f16 runs f16 kernels, accurate to f16 precision', async (t) => {
  const found = await findAdapter({ adapter: 'default' }).catch(() => undefined);
  if (!found || !found.adapter.features.has('shader-f16')) {
    t.skip(`no adapter with shader-f16 here (default: ${found ? adapterName(found.info) : 'none'})`);
    return;
  }
  const { maxErr, fallback } = await f16Run('default');
  assert.equal(fallback, undefined, 'f16 kernels expected on this adapter');
  console.log(
    `# float16 model, webgpu f16 kernels on ${adapterName(found.info)} vs reference: max abs error ${maxErr}`,
  );
  assert.ok(maxErr < 5e-3, `max abs error ${maxErr}`);
});
