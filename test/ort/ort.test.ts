// switchyard/ort as a drop-in for onnxruntime's JS API: test/ort/sample-app.mjs, an
// onnxruntime-web style app, runs with its import changed to onnxruntime-node (the oracle) and to
// switchyard/ort, and the outputs must match. Plus the API surface the sample does not cover:
// provider lists, GPU-buffer outputs, fromGpuBuffer feeds, externalData, metadata, errors.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from '../../src/ort/index.js';
import { devicesFor } from '../../src/ort/session.js';
import { REPO } from '../helpers/paths.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

function runVariant(runtime: string): Record<string, unknown> {
  const src = readFileSync(join(REPO, 'test/ort/sample-app.mjs'), 'utf8');
  const ported = src.replace("import * as ort from 'onnxruntime-web';", `import * as ort from '${runtime}';`);
  assert.notEqual(ported, src, 'the sample imports onnxruntime-web');
  // inside the package, so 'switchyard/ort' resolves through package.json "exports"
  const dir = join(REPO, 'dist/test/ort/ported');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${runtime.replace(/\W/g, '_')}.mjs`);
  writeFileSync(file, ported);
  const r = spawnSync(process.execPath, [file, REPO], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `${runtime}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function close(a: unknown, b: unknown, path: string): void {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= 1e-4 + 1e-3 * Math.abs(b), `${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: length`);
    a.forEach((x, i) => close(x, b[i], `${path}[${i}]`));
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${path}: keys`);
    for (const k of Object.keys(a))
      close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
  } else assert.deepEqual(a, b, path);
}

test("an onnxruntime-web sample app gives onnxruntime-node's outputs on switchyard/ort with only its import changed", () => {
  const oracle = runVariant('onnxruntime-node');
  const ours = runVariant('switchyard/ort');
  close(ours, oracle, 'outputs');
});

test('execution providers become the allowed devices', () => {
  assert.deepEqual(devicesFor(undefined), ['wasm']);
  assert.deepEqual(devicesFor(['webgpu', { name: 'wasm' }, 'cpu']), ['webgpu', 'wasm']);
  assert.deepEqual(devicesFor(['webnn', 'wasm']), ['wasm']);
  assert.throws(() => devicesFor(['webnn']), /none of the execution providers webnn/);
});

test('Tensor: ORT constructors, CPU location, reshape, dispose, string tensors refused', async () => {
  const t = new ort.Tensor('float32', [1, 2, 3, 4], [2, 2]);
  assert.equal(t.location, 'cpu');
  assert.equal(t.size, 4);
  assert.deepEqual([...(await t.getData())], [1, 2, 3, 4]);
  assert.deepEqual(t.reshape([4]).dims, [4]);
  const b = new ort.Tensor(new BigInt64Array([1n, 2n]), [2]);
  assert.equal(b.type, 'int64');
  t.dispose();
  assert.equal(t.location, 'none');
  assert.throws(() => t.data, /disposed/);
  assert.throws(() => new ort.Tensor('string', ['a'] as never, [1]), /string tensors are not supported/);
});

test('metadata, externalData and freeDimensionOverrides', async () => {
  const s = await ort.InferenceSession.create(join(REPO, 'examples/models/tiny-cnn.onnx'), {
    executionProviders: ['reference'],
  });
  assert.deepEqual(s.inputMetadata, [{ name: 'image', isTensor: true, type: 'float32', shape: ['batch', 3, 32, 32] }]);
  await s.release();
  const fixed = await ort.InferenceSession.create(join(REPO, 'examples/models/tiny-cnn.onnx'), {
    executionProviders: ['reference'],
    freeDimensionOverrides: { batch: 3 },
  });
  assert.deepEqual(fixed.outputMetadata[0]!.shape, [3, 10]);
  await fixed.release();
  // a model whose initializer lives in an external file, given as bytes
  const { onnx } = await import('../../src/frontend/onnx/proto.js');
  const w = new Float32Array([1, 2, 3]);
  const m = onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 3 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 3 }] } } } }],
        initializer: [
          { name: 'w', dataType: 1, dims: [3], dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] },
        ],
      },
    }),
  ).finish();
  await assert.rejects(
    ort.InferenceSession.create(m, {
      executionProviders: ['reference'],
      externalData: [{ path: 'other.bin', data: new Uint8Array(12) }],
    }),
    /w\.bin.*was not given/,
  );
  const s2 = await ort.InferenceSession.create(m, {
    executionProviders: ['reference'],
    externalData: [{ path: './w.bin', data: new Uint8Array(w.buffer) }],
  });
  const r = await s2.run({ x: new ort.Tensor('float32', [10, 20, 30], [3]) });
  assert.deepEqual([...r.y!.data], [11, 22, 33]);
  await s2.release();
});

test('WebGPU: gpu-buffer outputs feed the next session without a download; fromGpuBuffer feeds', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  ort.env.webgpu.adapterName = 'swiftshader';
  const model = join(REPO, 'examples/models/mini-encoder.onnx');
  const hidden = new ort.Tensor(
    'float32',
    Float32Array.from({ length: 64 * 128 }, (_, i) => Math.cos(i * 0.01) * 0.5),
    [1, 64, 128],
  );
  const cpu = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const want1 = (await cpu.run({ hidden })).output!;
  const want2 = (await cpu.run({ hidden: want1 })).output!;
  const gpu = await ort.InferenceSession.create(model, {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
  });
  const r1 = (await gpu.run({ hidden })).output!;
  assert.equal(r1.location, 'gpu-buffer');
  assert.ok(r1.gpuBuffer);
  assert.throws(() => r1.data, /getData/);
  const r2 = (await gpu.run({ hidden: r1 })).output!;
  const got = await r2.getData();
  const a = want2.data as Float32Array;
  assert.ok(
    (got as Float32Array).every((v, i) => Math.abs(v - a[i]!) < 1e-3),
    'chained GPU outputs match the WASM run',
  );
  r1.dispose();
  r2.dispose();
  // a buffer the app made on env.webgpu.device
  const device = await ort.env.webgpu.device;
  const buf = device.createBuffer({
    size: hidden.size * 4,
    usage: 0x80 | 0x04 | 0x08 /* STORAGE | COPY_SRC | COPY_DST */,
  });
  device.queue.writeBuffer(buf, 0, hidden.data as Float32Array);
  const fed = ort.Tensor.fromGpuBuffer(buf, { dataType: 'float32', dims: [1, 64, 128] });
  assert.equal(fed.location, 'gpu-buffer');
  const r3 = await cpu.run({ hidden: fed });
  assert.ok((r3.output!.data as Float32Array).every((v, i) => Math.abs(v - (want1.data as Float32Array)[i]!) < 1e-5));
  await gpu.release();
  await cpu.release();
});
