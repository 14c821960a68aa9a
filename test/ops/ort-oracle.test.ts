// Ops with few cases in the ONNX suite, checked against onnxruntime-node on seeded random inputs
// (the case list is in ort-oracle-cases.ts).

import { test } from 'node:test';
import { ortRun } from '../helpers/ort.js';
import { assertClose, onnxModel, runOnnx } from './nn-helpers.js';
import { CASES } from './ort-oracle-cases.js';

for (const c of CASES) {
  test(`${c.name} matches onnxruntime`, async () => {
    const bytes = onnxModel(c.op, c.opset, c.inputs, c.outputs, c.attrs ?? {});
    const feeds = c.inputs.filter((i) => i !== null);
    const ours = runOnnx(
      bytes,
      feeds.map((f) => f.t),
    ).outputs;
    const theirs = await ortRun(bytes, Object.fromEntries(feeds.map((f) => [f.name, f.t])));
    c.outputs.forEach((o, i) => assertClose(ours[i]!, theirs[o]!, c.tol ?? 1e-4, `${c.name} ${o}`));
  });
}
