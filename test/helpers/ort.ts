// onnxruntime-node as an independent oracle in tests: run ONNX bytes, convert tensors both ways.

import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeTensorFile } from '../../src/frontend/onnx/tensor-proto.js';
import type { DType, TypedArray } from '../../src/ir/dtype.js';
import { Tensor } from '../../src/ir/tensor.js';

const require = createRequire(import.meta.url);

interface OrtTensor {
  type: string;
  data: TypedArray;
  dims: readonly number[];
}
interface OrtModule {
  InferenceSession: {
    create(
      bytes: Uint8Array,
      opts?: object,
    ): Promise<{
      inputNames: string[];
      outputNames: string[];
      run(f: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
      release(): Promise<void>;
    }>;
  };
  Tensor: new (type: string, data: TypedArray, dims: readonly number[]) => OrtTensor;
}

export const ort = require('onnxruntime-node') as OrtModule;

export async function ortRun(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const f: Record<string, OrtTensor> = {};
  for (const [k, t] of Object.entries(feeds)) f[k] = new ort.Tensor(t.type, t.data, t.dims);
  const out = await s.run(f);
  await s.release();
  const res: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(out)) res[k] = new Tensor(t.type as DType, t.data, t.dims);
  return res;
}

/** Write one ONNX backend-test folder: model.onnx and test_data_set_0/{input,output}_N.pb. */
export function writeTestCase(
  root: string,
  name: string,
  model: Uint8Array,
  inputs: [string, Tensor][],
  outputs: [string, Tensor][],
): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'test_data_set_0'), { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), model);
  inputs.forEach(([n, t], i) => writeFileSync(join(dir, 'test_data_set_0', `input_${i}.pb`), writeTensorFile(t, n)));
  outputs.forEach(([n, t], i) => writeFileSync(join(dir, 'test_data_set_0', `output_${i}.pb`), writeTensorFile(t, n)));
  return dir;
}
