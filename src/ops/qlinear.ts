// QLinearMatMul and QLinearConv: integer matmul / convolution of quantized operands, requantized
// to the output's scale and zero point.
//
// The integer part is MatMulInteger / ConvInteger (zero points subtracted, int32 sums); the sums
// are then scaled by a_scale*b_scale/y_scale (formed in the scales' own type, as the ONNX
// reference does, so float16 scales round alike), rounded half to even, offset by y_zero_point
// and saturated to the output type. QLinearConv adds its int32 bias (in x_scale*w_scale units)
// before scaling; w_scale may be per output channel, b_scale (QLinearMatMul) per column of B.

import { type DType, intRange } from '../ir/dtype.js';
import { lookupOp, type OpDef, type RunContext, registerOps } from '../ir/op-def.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { roundHalfEven } from './math.js';
import { roundToDType, toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

const Q8: DType[] = ['int8', 'uint8'];

/** Per-tensor (one value) or per-channel scale as a lookup from a channel index. */
function scaleOf(t: Tensor, n: number, what: string): (c: number) => number {
  const v = toF64(t);
  if (v.length === 1) return () => v[0]!;
  if (v.length !== n) throw new Error(`${what} has ${v.length} values; it must hold 1 or ${n} (one per channel)`);
  return (c) => v[c]!;
}

function zeroOf(t: Tensor | undefined, what: string): number {
  if (!t) return 0;
  if (t.size !== 1) throw new Error(`${what} has ${t.size} values; only a per-tensor zero point is supported here`);
  return Number(t.data[0]!);
}

/** Requantize int32 sums: channel(i) picks the per-channel multiplier of element i. */
function requantize(
  sums: Int32Array | Float64Array,
  dims: readonly number[],
  outType: DType,
  yZero: number,
  multiplier: (c: number) => number,
  channel: (i: number) => number,
): Tensor {
  const [lo, hi] = intRange(outType);
  const out = Tensor.zeros(outType, dims);
  const y = out.data as Int8Array;
  for (let i = 0; i < sums.length; i++) {
    const v = roundHalfEven(sums[i]! * multiplier(channel(i))) + yZero;
    y[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** a_scale * b_scale / y_scale in the scales' type. */
function multiplierOf(sa: (c: number) => number, sb: (c: number) => number, sy: number, scaleType: DType) {
  const r = roundToDType(scaleType === 'float64' ? 'float64' : scaleType);
  return (c: number) => r(r(sa(c) * sb(c)) / sy);
}

function checkQuantInputs(ctx: Parameters<OpDef['infer']>[0], names: string[]): void {
  const x = inType(ctx, 0, names[0]),
    w = inType(ctx, 3, names[3]);
  checkDType(x, Q8, names[0]!);
  checkDType(w, Q8, names[3]!);
  for (const i of [1, 4, 6]) checkDType(inType(ctx, i, names[i]), FLOATS, names[i]!);
  for (const [i, of] of [
    [2, 0],
    [5, 3],
  ] as const) {
    const z = ctx.types[i];
    if (z && z.dtype !== ctx.types[of]!.dtype)
      throw new Error(`${names[i]} ${formatType(z)} must have the type of ${names[of]}`);
  }
}

const MM_NAMES = ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'];

const qlinearMatMul: OpDef = {
  name: 'nn.QLinearMatMul',
  inputs: MM_NAMES,
  outputs: ['y'],
  infer(ctx) {
    checkQuantInputs(ctx, MM_NAMES);
    const yz = inType(ctx, 7, 'y_zero_point');
    checkDType(yz, Q8, 'y_zero_point');
    const [t] = lookupOp('nn.MatMulInteger')!.infer({ ...ctx, types: [ctx.types[0], ctx.types[3]], consts: [] });
    return [{ dtype: yz.dtype, shape: t!.shape }];
  },
  run({ node, attrs, inputs: [a, sa, za, b, sb, zb, sy, zy] }: RunContext) {
    const [sums] = lookupOp('nn.MatMulInteger')!.run({ node, attrs, inputs: [a, b, za, zb] });
    const N = b!.dims[b!.dims.length - 1]!;
    const mult = multiplierOf(
      scaleOf(sa!, 1, 'a_scale'),
      scaleOf(sb!, N, 'b_scale'),
      scaleOf(sy!, 1, 'y_scale')(0),
      sa!.type,
    );
    return [requantize(sums!.data as Int32Array, sums!.dims, zy!.type, zeroOf(zy, 'y_zero_point'), mult, (i) => i % N)];
  },
  cost(ctx) {
    return {
      flops: numelOf(ctx.outTypes[0]) * 2 * (Number(ctx.types[0]?.shape?.at(-1)) || 1),
      bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.types[3]) + bytesOf(ctx.outTypes[0]),
    };
  },
  onnx: { type: 'QLinearMatMul', minOpset: 10 },
};

const CONV_NAMES = ['x', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point', 'B?'];

const qlinearConv: OpDef = {
  name: 'nn.QLinearConv',
  inputs: CONV_NAMES,
  outputs: ['y'],
  attrs: lookupOp('nn.ConvInteger')!.attrs,
  infer(ctx) {
    checkQuantInputs(ctx, CONV_NAMES);
    const yz = inType(ctx, 7, 'y_zero_point');
    checkDType(yz, Q8, 'y_zero_point');
    const bias = ctx.types[8];
    if (bias) checkDType(bias, ['int32'], 'B');
    const [t] = lookupOp('nn.ConvInteger')!.infer({ ...ctx, types: [ctx.types[0], ctx.types[3]], consts: [] });
    return [{ dtype: yz.dtype, shape: t!.shape }];
  },
  run({ node, attrs, inputs: [x, sx, zx, w, sw, zw, sy, zy, bias] }: RunContext) {
    const [sums] = lookupOp('nn.ConvInteger')!.run({ node, attrs, inputs: [x, w, zx, zw] });
    const M = w!.dims[0]!;
    const dims = sums!.dims;
    const spatial = dims.slice(2).reduce((p, q) => p * q, 1);
    const channel = (i: number) => Math.floor(i / spatial) % M;
    const acc = toF64(sums!);
    if (bias) {
      if (bias.size !== M) throw new Error(`B has ${bias.size} values; it must hold ${M} (one per output channel)`);
      const bv = bias.data as Int32Array;
      for (let i = 0; i < acc.length; i++) acc[i] += bv[channel(i)]!;
    }
    const mult = multiplierOf(
      scaleOf(sx!, 1, 'x_scale'),
      scaleOf(sw!, M, 'w_scale'),
      scaleOf(sy!, 1, 'y_scale')(0),
      sx!.type,
    );
    return [requantize(acc, dims, zy!.type, zeroOf(zy, 'y_zero_point'), mult, channel)];
  },
  cost(ctx) {
    return {
      flops:
        (numelOf(ctx.outTypes[0]) * 2 * numelOf(ctx.types[3])) / Math.max(1, Number(ctx.types[3]?.shape?.[0]) || 1),
      bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.types[3]) + bytesOf(ctx.outTypes[0]),
    };
  },
  onnx: { type: 'QLinearConv', minOpset: 10 },
};

registerOps([qlinearMatMul, qlinearConv]);
