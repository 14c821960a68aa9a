// k.conv: convolution with explicit pads (auto_pad resolved at lowering) and a fused epilogue
// (bias as an extra input of shape [C,1,1], activation, residual add, folded batch norm).

import { type OpDef, registerOps } from '../../ir/op-def.js';
import { type Dim, freshDim } from '../../ir/shape.js';
import { numGetter, Tensor } from '../../ir/tensor.js';
import { formatType } from '../../ir/text-common.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from '../util.js';
import { evalAs } from './delegate.js';
import { applyEpilogue, checkExtras, EPILOGUE_ATTR, epilogueFlops } from './epilogue.js';

const kconv: OpDef = {
  name: 'k.conv',
  inputs: ['X', 'W', 'extras...?'],
  outputs: ['Y'],
  attrs: {
    strides: { kind: 'ints', required: true },
    pads: { kind: 'ints', required: true },
    dilations: { kind: 'ints', required: true },
    group: { kind: 'int', default: 1 },
    ...EPILOGUE_ATTR,
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    const w = inType(ctx, 1, 'W');
    checkDType(x, FLOATS, 'X');
    if (!x.shape || !w.shape) return [{ dtype: x.dtype }];
    const sp = x.shape.length - 2;
    if (w.shape.length !== x.shape.length)
      throw new Error(`W ${formatType(w)} must have the rank of X ${formatType(x)}`);
    const strides = ctx.attrs.ints('strides'),
      pads = ctx.attrs.ints('pads'),
      dil = ctx.attrs.ints('dilations');
    if (strides.length !== sp || dil.length !== sp || pads.length !== 2 * sp)
      throw new Error(`strides/dilations need ${sp} entries and pads ${2 * sp}`);
    const spatial: Dim[] = x.shape.slice(2).map((d, i) => {
      const k = w.shape![i + 2]!;
      if (typeof d !== 'number' || typeof k !== 'number') return freshDim('conv');
      return Math.floor((d + pads[i]! + pads[i + sp]! - dil[i]! * (k - 1) - 1) / strides[i]!) + 1;
    });
    const out = { dtype: x.dtype, shape: [x.shape[0]!, w.shape[0]!, ...spatial] };
    checkExtras(ctx, 2, out);
    return [out];
  },
  run({ inputs, attrs }) {
    const [x, w, ...extras] = inputs as Tensor[];
    const a = {
      strides: attrs.ints('strides'),
      pads: attrs.ints('pads'),
      dilations: attrs.ints('dilations'),
      group: attrs.int('group', 1),
    };
    const [y] = evalAs('nn.Conv', [x, w], {
      strides: { kind: 'ints', value: a.strides },
      pads: { kind: 'ints', value: a.pads },
      dilations: { kind: 'ints', value: a.dilations },
      group: { kind: 'int', value: a.group },
    });
    const get = numGetter(y!);
    const acc = new Float64Array(y!.size).map((_, i) => get(i));
    return [applyEpilogue(attrs.string('epilogue', '$0'), acc, Tensor.zeros(y!.type, y!.dims), extras)];
  },
  cost(ctx) {
    const w = ctx.types[1];
    const perOut = w?.shape ? w.shape.slice(1).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1) : 1;
    const n = numelOf(ctx.outTypes[0]);
    return {
      flops: 2 * n * perOut + n * epilogueFlops(ctx.attrs.string('epilogue', '$0')),
      bytes: ctx.types.reduce((s, t) => s + bytesOf(t), 0) + bytesOf(ctx.outTypes[0]),
    };
  },
};

registerOps([kconv]);
