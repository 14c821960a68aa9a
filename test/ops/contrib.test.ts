// com.microsoft contrib ops beyond the suite's numbers: import/export of the domain, errors that
// name the op and the limit, and which ops the WASM backend runs on kernels (no fallback).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Tensor } from '../../src/ir/tensor.js';
import '../../src/index.js';
import { readDataSets } from '../../src/conformance/runner.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { Session } from '../../src/runtime/session.js';
import { REPO } from '../helpers/paths.js';

const SUITE = join(REPO, 'test/data/contrib');
const modelOf = (name: string) => new Uint8Array(readFileSync(join(SUITE, `test_${name}`, 'model.onnx')));

function oneNode(
  opType: string,
  domain: string,
  inputs: { name: string; dims: number[]; elem?: number }[],
  attrs: object[] = [],
  imports = true,
) {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }, ...(imports ? [{ domain, version: 1 }] : [])],
      graph: {
        name: 'g',
        node: [{ name: 'n', opType, domain, input: inputs.map((i) => i.name), output: ['y'], attribute: attrs }],
        input: inputs.map((i) => ({
          name: i.name,
          type: { tensorType: { elemType: i.elem ?? 1, shape: { dim: i.dims.map((d) => ({ dimValue: d })) } } },
        })),
        output: [{ name: 'y' }],
      },
    }),
  ).finish();
}

test('com.microsoft ops import as ms.*, export back with their domain, and run the same', async () => {
  for (const name of [
    'skiplayernorm_bias_sum',
    'matmulnbits_k64_n16_b32_zp',
    'gqa_decode_rotary',
    'simplifiedlayernorm_0',
  ]) {
    const g = importOnnx(modelOf(name), { source: name });
    assert.ok(
      g.nodes.some((n) => n.op.startsWith('ms.')),
      `${name} has contrib nodes`,
    );
    const again = importOnnx(exportOnnx(g), { source: `${name} (exported)` });
    assert.deepEqual(
      again.nodes.map((n) => n.op),
      g.nodes.map((n) => n.op),
    );
    const [set] = readDataSets(join(SUITE, `test_${name}`));
    const feeds = Object.fromEntries(g.inputs.map((v, i) => [v.name, set!.inputs[i]!.value as Tensor]));
    const a = await Session.create(g),
      b = await Session.create(again);
    const ya = await a.run(feeds),
      yb = await b.run(feeds);
    for (const k of Object.keys(ya)) assert.deepEqual([...yb[k]!.data], [...ya[k]!.data], `${name} ${k}`);
  }
  const exported = onnx.ModelProto.decode(exportOnnx(importOnnx(modelOf('gelu_0'))));
  assert.ok(exported.opsetImport.some((o) => o.domain === 'com.microsoft'));
  assert.equal(exported.graph!.node![0]!.domain, 'com.microsoft');
});

test('errors name the contrib op, the domain and the limit', () => {
  assert.throws(
    () => importOnnx(oneNode('NoSuchOp', 'com.microsoft', [{ name: 'x', dims: [2] }])),
    /unknown op com\.microsoft\.NoSuchOp \(opset 1\)/,
  );
  assert.throws(
    () => importOnnx(oneNode('Gelu', 'com.microsoft', [{ name: 'x', dims: [2] }], [], false)),
    /domain 'com\.microsoft' is not in the model's opset_import/,
  );
  const nbits = (b: number[]) =>
    oneNode(
      'MatMulNBits',
      'com.microsoft',
      [
        { name: 'a', dims: [1, 64] },
        { name: 'b', dims: b, elem: 2 },
        { name: 's', dims: [16] },
      ],
      [
        { name: 'K', type: 2, i: 64 },
        { name: 'N', type: 2, i: 8 },
        { name: 'block_size', type: 2, i: 32 },
      ],
    );
  assert.throws(
    () => importOnnx(nbits([8, 3, 16])),
    /MatMulNBits.*B has shape \[8,3,16\]; it must be \[N, k_blocks, blob_size\] = \[8,2,16\]/,
  );
  const gqa = oneNode(
    'GroupQueryAttention',
    'com.microsoft',
    [
      { name: 'q', dims: [1, 1, 32] },
      { name: 'k', dims: [1, 1, 16] },
      { name: 'v', dims: [1, 1, 16] },
    ],
    [
      { name: 'num_heads', type: 2, i: 3 },
      { name: 'kv_num_heads', type: 2, i: 2 },
    ],
  );
  assert.throws(() => importOnnx(gqa), /num_heads \(3\) must be a positive multiple of kv_num_heads \(2\)/);
  const conv = oneNode(
    'FusedConv',
    'com.microsoft',
    [
      { name: 'x', dims: [1, 1, 3, 3] },
      { name: 'w', dims: [1, 1, 1, 1] },
    ],
    [{ name: 'activation', type: 3, s: new TextEncoder().encode('Gelu') }],
  );
  assert.throws(
    () => importOnnx(conv),
    /activation 'Gelu' is not supported \(Relu, Tanh, Sigmoid, LeakyRelu, Clip, HardSigmoid\)/,
  );
});

test('the WASM backend runs the common contrib ops on kernels (no ms.* fallback)', async () => {
  const onKernels = [
    'gelu_1',
    'fastgelu_bias_1',
    'quickgelu_1',
    'biasadd_0',
    'biassplitgelu_0',
    'skiplayernorm_bias_sum',
    'skipsimplifiedlayernorm_1',
    'simplifiedlayernorm_0',
    'matmulnbits_k64_n16_b32_zp',
    'matmulnbits_k100_n3_b16_ragged',
    'fusedmatmul_batched_transB',
    'fusedconv_relu_z',
    'rotary_3d_partial',
    'rotary_offset',
    'mha_past_bias',
    'mha_mask_2d',
    'attention_past',
    'attention_mask_2d',
    'embedlayernorm_1',
  ];
  for (const name of onKernels) {
    const s = await Session.create(modelOf(name), { backend: 'wasm', threads: 1 });
    const [set] = readDataSets(join(SUITE, `test_${name}`));
    await s.run(Object.fromEntries(s.inputNames.map((n, i) => [n, set!.inputs[i]!.value as Tensor])));
    const contrib = [...s.fallbacks.keys()].filter((k) => k.startsWith('ms.'));
    assert.deepEqual(contrib, [], `${name}: ${[...s.fallbacks.entries()].join('; ')}`);
    await s.release();
  }
  // and the 4-bit MatMulNBits stays one node, read by the direct kernel
  const s = await Session.create(modelOf('matmulnbits_k64_n16_b32_zp'), { backend: 'wasm', threads: 1 });
  assert.deepEqual(
    s.graph.nodes.map((n) => n.op),
    ['ms.MatMulNBits'],
  );
  await s.release();
});
