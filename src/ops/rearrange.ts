// Rearranging ops that move elements without computing: DepthToSpace (DCR or CRD order) and
// SpaceToDepth on NCHW tensors, and ReverseSequence (reverse the first sequence_lens[b] steps
// along time_axis of every batch entry b). Every dtype; elements are copied exactly.

import { type CostContext, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { Tensor, toIntArray } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { slots } from './layout.js';
import { ALL, bytesOf, checkDType, inType } from './util.js';

const moveCost = (ctx: CostContext) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) * 2 });

function blockOf(b: number): number {
  if (!Number.isInteger(b) || b < 1) throw new Error(`blocksize ${b} must be a positive integer`);
  return b;
}

const mulDim = (d: Dim, k: number): Dim => (typeof d === 'number' ? d * k : freshDim('d'));

const depthToSpace: OpDef = {
  name: 'nn.DepthToSpace',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { blocksize: { kind: 'int', required: true }, mode: { kind: 'string', default: 'DCR' } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    checkDType(x, ALL, 'input');
    const b = blockOf(ctx.attrs.int('blocksize'));
    const mode = ctx.attrs.string('mode', 'DCR');
    if (mode !== 'DCR' && mode !== 'CRD') throw new Error(`mode '${mode}': DCR or CRD expected`);
    if (!x.shape) return [{ dtype: x.dtype }];
    if (x.shape.length !== 4) throw new Error(`input ${formatType(x)} must be 4-D (NCHW)`);
    const [n, c, h, w] = x.shape as Dim[];
    if (typeof c === 'number' && c % (b * b) !== 0) {
      throw new Error(`input ${formatType(x)}: channels ${c} are not a multiple of blocksize² = ${b * b}`);
    }
    const co = typeof c === 'number' ? c / (b * b) : freshDim('c');
    return [{ dtype: x.dtype, shape: [n!, co, mulDim(h!, b), mulDim(w!, b)] }];
  },
  run({ inputs: [xt], attrs }) {
    const x = xt!;
    const b = blockOf(attrs.int('blocksize'));
    const crd = attrs.string('mode', 'DCR') === 'CRD';
    const [N, C, H, W] = x.dims as [number, number, number, number];
    if (C % (b * b) !== 0) throw new Error(`channels ${C} are not a multiple of blocksize² = ${b * b}`);
    const Co = C / (b * b);
    const out = Tensor.zeros(x.type, [N, Co, H * b, W * b]);
    const src = slots(x.data),
      dst = slots(out.data);
    let k = 0;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < Co; c++) {
        for (let y = 0; y < H * b; y++) {
          for (let xw = 0; xw < W * b; xw++) {
            const bh = y % b,
              bw = xw % b;
            // DCR: depth holds (bh, bw, c); CRD: (c, bh, bw)
            const ci = crd ? (c * b + bh) * b + bw : (bh * b + bw) * Co + c;
            dst[k++] = src[((n * C + ci) * H + Math.floor(y / b)) * W + Math.floor(xw / b)]!;
          }
        }
      }
    }
    return [out];
  },
  cost: moveCost,
  onnx: { type: 'DepthToSpace', minOpset: 1 },
};

const spaceToDepth: OpDef = {
  name: 'nn.SpaceToDepth',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { blocksize: { kind: 'int', required: true } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    checkDType(x, ALL, 'input');
    const b = blockOf(ctx.attrs.int('blocksize'));
    if (!x.shape) return [{ dtype: x.dtype }];
    if (x.shape.length !== 4) throw new Error(`input ${formatType(x)} must be 4-D (NCHW)`);
    const [n, c, h, w] = x.shape as Dim[];
    const div = (d: Dim, what: string): Dim => {
      if (typeof d !== 'number') return freshDim('d');
      if (d % b !== 0) throw new Error(`input ${formatType(x)}: ${what} ${d} is not a multiple of blocksize ${b}`);
      return d / b;
    };
    return [{ dtype: x.dtype, shape: [n!, mulDim(c!, b * b), div(h!, 'height'), div(w!, 'width')] }];
  },
  run({ inputs: [xt], attrs }) {
    const x = xt!;
    const b = blockOf(attrs.int('blocksize'));
    const [N, C, H, W] = x.dims as [number, number, number, number];
    if (H % b || W % b) throw new Error(`height ${H} and width ${W} must be multiples of blocksize ${b}`);
    const Ho = H / b,
      Wo = W / b;
    const out = Tensor.zeros(x.type, [N, C * b * b, Ho, Wo]);
    const src = slots(x.data),
      dst = slots(out.data);
    let k = 0;
    for (let n = 0; n < N; n++) {
      for (let co = 0; co < C * b * b; co++) {
        // output channel = (bh, bw, c), the inverse of DepthToSpace's DCR order
        const c = co % C,
          bw = Math.floor(co / C) % b,
          bh = Math.floor(co / (C * b));
        for (let y = 0; y < Ho; y++) {
          for (let xw = 0; xw < Wo; xw++) dst[k++] = src[((n * C + c) * H + y * b + bh) * W + xw * b + bw]!;
        }
      }
    }
    return [out];
  },
  cost: moveCost,
  onnx: { type: 'SpaceToDepth', minOpset: 1 },
};

const reverseSequence: OpDef = {
  name: 'nn.ReverseSequence',
  inputs: ['input', 'sequence_lens'],
  outputs: ['Y'],
  attrs: { batch_axis: { kind: 'int', default: 1 }, time_axis: { kind: 'int', default: 0 } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    const l = inType(ctx, 1, 'sequence_lens');
    checkDType(x, ALL, 'input');
    checkDType(l, ['int64'], 'sequence_lens');
    const ba = ctx.attrs.int('batch_axis', 1),
      ta = ctx.attrs.int('time_axis', 0);
    if (!((ba === 0 && ta === 1) || (ba === 1 && ta === 0))) {
      throw new Error(`batch_axis ${ba} and time_axis ${ta}: one must be 0 and the other 1`);
    }
    if (x.shape && x.shape.length < 2) throw new Error(`input ${formatType(x)} must have rank >= 2`);
    if (l.shape && l.shape.length !== 1) throw new Error(`sequence_lens ${formatType(l)} must be 1-D`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [xt, lt], attrs }) {
    const x = xt!;
    const ba = attrs.int('batch_axis', 1),
      ta = attrs.int('time_axis', 0);
    const lens = toIntArray(lt!);
    const B = x.dims[ba]!,
      T = x.dims[ta]!;
    if (lens.length !== B) throw new Error(`sequence_lens has ${lens.length} values but the batch axis has ${B}`);
    const inner = x.dims.slice(2).reduce((a, b) => a * b, 1);
    const out = new Tensor(x.type, x.data.slice(), x.dims);
    const src = slots(x.data),
      dst = slots(out.data);
    const at = (t: number, bi: number) => (ta === 0 ? t * B + bi : bi * T + t) * inner;
    for (let bi = 0; bi < B; bi++) {
      const len = lens[bi]!;
      if (len < 0 || len > T) throw new Error(`sequence_lens[${bi}] = ${len} is outside [0, ${T}]`);
      for (let t = 0; t < len; t++) {
        const from = at(len - 1 - t, bi),
          to = at(t, bi);
        for (let i = 0; i < inner; i++) dst[to + i] = src[from + i]!;
      }
    }
    return [out];
  },
  cost: moveCost,
  onnx: { type: 'ReverseSequence', minOpset: 10 },
};

registerOps([depthToSpace, spaceToDepth, reverseSequence]);
