// Model-level suites: vision models in the model-zoo style and graphs shaped like PyTorch exports,
// exported to ONNX, with expected outputs computed by onnxruntime (an independent engine), written
// in ONNX's test-folder layout without a MANIFEST, then run by the conformance runner on the
// reference backend, unlowered and through the kernel pipeline (lowering + fusion).

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { randomFeeds } from '../../src/cli/random-inputs.js';
import { runSuite } from '../../src/conformance/runner.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { Tensor } from '../../src/ir/tensor.js';
import { KERNEL_PIPELINE } from '../../src/passes/index.js';
import { ortRun, writeTestCase } from '../helpers/ort.js';
import { PYTORCH } from './pytorch-patterns.js';
import { VISION } from './vision-blocks.js';

const root = mkdtempSync(join(tmpdir(), 'sy-models-'));

test('generated model suites: onnxruntime writes the expected outputs', async () => {
  for (const [name, make] of Object.entries({ ...VISION, ...PYTORCH })) {
    const graph = make().build();
    const bytes = exportOnnx(graph);
    const feeds = randomFeeds(graph, 3, { batch: 2 });
    if (name === 'encoderLayer') feeds.len = Tensor.from('int64', [4n]);
    const outs = await ortRun(bytes, feeds);
    writeTestCase(
      root,
      `test_${name}`,
      bytes,
      graph.inputs.map((v) => [v.name, feeds[v.name]!]),
      graph.outputs.map((v) => [v.name, outs[v.name]!]),
    );
  }
});

for (const [label, passes] of [
  ['reference', undefined],
  ['reference + kernel pipeline', KERNEL_PIPELINE],
] as const) {
  test(`generated model suites pass on ${label}`, async () => {
    const suite = await runSuite(root, { backend: 'reference', passes: passes ? [...passes] : undefined });
    const bad = suite.results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.message}`);
    assert.deepEqual(bad, []);
    assert.equal(suite.passed, Object.keys({ ...VISION, ...PYTORCH }).length);
  });
}
