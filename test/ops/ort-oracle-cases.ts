// One-node cases for ops the ONNX suite tests lightly, each run on the reference interpreter and
// on onnxruntime-node (the oracle) by test/ops/ort-oracle.test.ts. Inputs are seeded random
// values; every case names its opset so that onnxruntime picks the same operator version.

import { Tensor } from '../../src/ir/tensor.js';
import { rand, randT } from './nn-helpers.js';

type OnnxAttr = number | string | number[] | { f: number } | { floats: number[] };
export interface OracleCase {
  name: string;
  op: string;
  opset: number;
  inputs: ({ name: string; t: Tensor } | null)[];
  outputs: string[];
  attrs?: Record<string, OnnxAttr>;
  tol?: number;
}

const i64 = (v: number[], dims?: number[]) => Tensor.from('int64', v.map(BigInt), dims ?? [v.length]);
const f32 = (v: number[], dims?: number[]) => Tensor.from('float32', v, dims ?? [v.length]);
const scalarF = (v: number) => Tensor.from('float32', [v], []);

function gridSampleCases(): OracleCase[] {
  const out: OracleCase[] = [];
  let seed = 100;
  for (const mode of ['bilinear', 'nearest', 'bicubic']) {
    for (const pad of ['zeros', 'border', 'reflection']) {
      for (const align of [0, 1]) {
        // grid values reach beyond [-1, 1] so that every padding mode matters
        const grid = Tensor.from(
          'float32',
          rand(2 * 3 * 4 * 2, seed).map((v) => v * 1.6),
          [2, 3, 4, 2],
        );
        out.push({
          name: `GridSample ${mode} ${pad} align_corners=${align}`,
          op: 'GridSample',
          opset: 16,
          inputs: [
            { name: 'X', t: randT([2, 2, 4, 5], seed++) },
            { name: 'grid', t: grid },
          ],
          outputs: ['Y'],
          attrs: { mode, padding_mode: pad, align_corners: align },
        });
      }
    }
  }
  return out;
}

function nmsBoxes(n: number, seed: number): Tensor {
  const r = rand(n * 4, seed);
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = r[4 * i]! * 5,
      x = r[4 * i + 1]! * 5;
    v.push(y, x, y + 1 + Math.abs(r[4 * i + 2]!) * 3, x + 1 + Math.abs(r[4 * i + 3]!) * 3);
  }
  return f32(v, [1, n, 4]);
}

export const CASES: OracleCase[] = [
  ...gridSampleCases(),
  ...['avg', 'max'].flatMap((mode) =>
    ['half_pixel', 'output_half_pixel'].map(
      (ctm, k): OracleCase => ({
        name: `RoiAlign ${mode} ${ctm}`,
        op: 'RoiAlign',
        opset: 16,
        inputs: [
          { name: 'X', t: randT([2, 3, 8, 7], 7 + k) },
          { name: 'rois', t: f32([0.5, 1, 5.5, 6, 2, 0, 6.5, 7.5, -1, -1, 3, 4, 1, 2, 1.5, 2.5], [4, 4]) },
          { name: 'batch_indices', t: i64([0, 1, 1, 0]) },
        ],
        outputs: ['Y'],
        attrs: {
          mode,
          coordinate_transformation_mode: ctm,
          output_height: 3,
          output_width: 2,
          sampling_ratio: k,
          spatial_scale: { f: 0.9 },
        },
      }),
    ),
  ),
  ...[0.3, 0.6].map(
    (iou, k): OracleCase => ({
      name: `NonMaxSuppression iou ${iou}`,
      op: 'NonMaxSuppression',
      opset: 11,
      inputs: [
        { name: 'boxes', t: nmsBoxes(12, 3 + k) },
        { name: 'scores', t: Tensor.from('float32', rand(24, 9 + k).map(Math.abs), [1, 2, 12]) },
        { name: 'max', t: i64([4]) },
        { name: 'iou', t: Tensor.from('float32', [iou]) },
        { name: 'score', t: Tensor.from('float32', [0.2]) },
      ],
      outputs: ['selected'],
    }),
  ),
  {
    name: 'Col2Im strides, dilations, pads',
    op: 'Col2Im',
    opset: 18,
    inputs: [
      { name: 'x', t: randT([1, 2 * 6, 12], 31) },
      { name: 'img', t: i64([5, 6]) },
      { name: 'blk', t: i64([2, 3]) },
    ],
    outputs: ['y'],
    attrs: { strides: [2, 1], dilations: [1, 2], pads: [1, 1, 0, 1] },
  },
  {
    name: 'AffineGrid 2-D',
    op: 'AffineGrid',
    opset: 20,
    inputs: [
      { name: 'theta', t: randT([2, 2, 3], 41) },
      { name: 'size', t: i64([2, 3, 4, 5]) },
    ],
    outputs: ['grid'],
    attrs: { align_corners: 0 },
  },
  {
    name: 'AffineGrid 3-D align_corners',
    op: 'AffineGrid',
    opset: 20,
    inputs: [
      { name: 'theta', t: randT([1, 3, 4], 42) },
      { name: 'size', t: i64([1, 1, 2, 3, 4]) },
    ],
    outputs: ['grid'],
    attrs: { align_corners: 1 },
  },
  {
    name: 'DFT forward complex, dft_length padding',
    op: 'DFT',
    opset: 20,
    inputs: [
      { name: 'x', t: randT([2, 5, 2], 51) },
      { name: 'len', t: i64([7], []) },
      { name: 'axis', t: i64([1], []) },
    ],
    outputs: ['y'],
  },
  {
    name: 'DFT inverse onesided (irfft)',
    op: 'DFT',
    opset: 20,
    inputs: [{ name: 'x', t: randT([3, 4, 2], 52) }, null, { name: 'axis', t: i64([-2], []) }],
    outputs: ['y'],
    attrs: { inverse: 1, onesided: 1 },
  },
  {
    name: 'STFT with window',
    op: 'STFT',
    opset: 17,
    inputs: [
      { name: 's', t: randT([2, 40, 1], 53) },
      { name: 'step', t: i64([6], []) },
      { name: 'w', t: randT([10], 54) },
    ],
    outputs: ['y'],
  },
  {
    name: 'MelWeightMatrix',
    op: 'MelWeightMatrix',
    opset: 17,
    inputs: [
      { name: 'mel', t: i64([8], []) },
      { name: 'len', t: i64([64], []) },
      { name: 'rate', t: i64([16000], []) },
      { name: 'lo', t: scalarF(100) },
      { name: 'hi', t: scalarF(6000) },
    ],
    outputs: ['y'],
  },
  ...['HannWindow', 'HammingWindow', 'BlackmanWindow'].flatMap((op) =>
    [0, 1].map(
      (periodic): OracleCase => ({
        name: `${op} periodic=${periodic}`,
        op,
        opset: 17,
        inputs: [{ name: 'n', t: i64([11], []) }],
        outputs: ['y'],
        attrs: { periodic },
      }),
    ),
  ),
  {
    name: 'GroupNormalization',
    op: 'GroupNormalization',
    opset: 21,
    inputs: [
      { name: 'x', t: randT([2, 6, 3, 2], 61) },
      { name: 's', t: randT([6], 62) },
      { name: 'b', t: randT([6], 63) },
    ],
    outputs: ['y'],
    attrs: { num_groups: 3, epsilon: { f: 1e-3 } },
  },
  ...[1, 2].map(
    (p): OracleCase => ({
      name: `LpNormalization p=${p}`,
      op: 'LpNormalization',
      opset: 1,
      inputs: [{ name: 'x', t: randT([3, 4, 2], 64 + p) }],
      outputs: ['y'],
      attrs: { axis: 1, p },
    }),
  ),
  {
    name: 'MaxUnpool with pads and strides',
    op: 'MaxUnpool',
    opset: 11,
    inputs: [
      { name: 'x', t: randT([1, 2, 2, 2], 71) },
      { name: 'i', t: i64([0, 3, 10, 14, 20, 22, 29, 31], [1, 2, 2, 2]) },
    ],
    outputs: ['y'],
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
  },
  ...['none', 'sum', 'mean'].map(
    (reduction): OracleCase => ({
      name: `SoftmaxCrossEntropyLoss ${reduction} weights ignore_index`,
      op: 'SoftmaxCrossEntropyLoss',
      opset: 13,
      inputs: [
        { name: 'x', t: randT([3, 4, 2], 81) },
        { name: 't', t: i64([0, 3, 2, 1, 3, 0], [3, 2]) },
        { name: 'w', t: f32([0.5, 1, 2, 1.5]) },
      ],
      outputs: ['y', 'logp'],
      attrs: { reduction, ignore_index: 3 },
    }),
  ),
  {
    name: 'ReverseSequence time-major',
    op: 'ReverseSequence',
    opset: 10,
    inputs: [
      { name: 'x', t: randT([4, 3, 2], 91) },
      { name: 'l', t: i64([4, 1, 3]) },
    ],
    outputs: ['y'],
    attrs: { batch_axis: 1, time_axis: 0 },
  },
  {
    name: 'QLinearConv per-channel weights, bias',
    op: 'QLinearConv',
    opset: 10,
    inputs: [
      {
        name: 'x',
        t: Tensor.from(
          'uint8',
          rand(2 * 5 * 5, 95).map((v) => Math.round((v + 1) * 120)),
          [1, 2, 5, 5],
        ),
      },
      { name: 'xs', t: scalarF(0.02) },
      { name: 'xz', t: Tensor.from('uint8', [128], []) },
      {
        name: 'w',
        t: Tensor.from(
          'int8',
          rand(3 * 2 * 9, 96).map((v) => Math.round(v * 100)),
          [3, 2, 3, 3],
        ),
      },
      { name: 'ws', t: f32([0.01, 0.02, 0.015]) },
      { name: 'wz', t: Tensor.from('int8', [0, 0, 0]) },
      { name: 'ys', t: scalarF(0.05) },
      { name: 'yz', t: Tensor.from('uint8', [100], []) },
      { name: 'b', t: Tensor.from('int32', [100, -200, 300]) },
    ],
    outputs: ['y'],
    attrs: { pads: [1, 1, 1, 1] },
    tol: 1,
  },
];
