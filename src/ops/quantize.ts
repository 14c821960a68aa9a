// Linear quantization: QuantizeLinear, DequantizeLinear (every version up to opset 25) and
// DynamicQuantizeLinear.
//
//   QuantizeLinear:   y = saturate(round_half_even(x / y_scale) + y_zero_point)
//   DequantizeLinear: y = (x - x_zero_point) * x_scale
//
// Granularity comes from the scale's shape: one element = per tensor; 1-D of length dims[axis] =
// per axis; same rank as x with dims[axis] shrunk to ceil(dims[axis] / block_size) = blocked.
// Older versions are subsets of the newest (opset 10: per tensor only, no attributes; 13 adds
// `axis`; 19 `saturate` and float8; 21 `block_size`, `output_dtype`, 16-bit and 4-bit types; 23
// float4e2m1 and `precision`; 25 2-bit types), so nodes import unchanged. Float targets (float8,
// float4e2m1) take x / y_scale + zero point rounded to nearest even, saturated unless
// `saturate` = 0; integer targets round half to even and clamp to their range.
//
// Precision: the division runs at the precision named by `precision`, else that of y_scale's
// type (float16 or float32; an int32 scale divides in double); the dequantized product is
// computed exactly and rounded once to the output type.

import type { DType } from '../ir/dtype.js';
import { dtypeFromOnnx, intRange, isFloat } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { narrowEncoder } from '../ir/narrow.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { roundHalfEven } from './math.js';
import { fromF64, roundToDType, toF64 } from './math-util.js';
import { bytesOf, checkDType, elementwiseCost, inType, numelOf } from './util.js';

const NARROW_QUANT: DType[] = [
  'int4',
  'uint4',
  'int2',
  'uint2',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'float4e2m1',
];
const QUANT_TYPES: DType[] = ['int8', 'uint8', 'int16', 'uint16', ...NARROW_QUANT];
const DEQUANT_TYPES: DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32', ...NARROW_QUANT];

/** dtype named by an ONNX data_type code attribute (output_dtype, precision), with a clear error. */
function dtypeAttr(code: number, what: string, allowed: readonly DType[]): DType {
  let d: DType;
  try {
    d = dtypeFromOnnx(code);
  } catch (e) {
    throw new Error(`${what} = ${code}: ${(e as Error).message}`);
  }
  if (!allowed.includes(d))
    throw new Error(`${what} = ${code} (${d}) is not allowed here; ${allowed.join(', ')} expected`);
  return d;
}

/**
 * Check the scale (and zero point) shape against x for the granularity it implies; throws with
 * the rule broken. Symbolic dims are accepted where they could match.
 */
function checkParamShape(x: TensorType, s: TensorType, what: string, axisAttr: number, blockSize: number): void {
  if (!x.shape || !s.shape) return;
  const sh = s.shape;
  if (sh.every((d) => d === 1)) return; // one element: per tensor
  const r = x.shape.length;
  if (blockSize < 0) throw new Error(`block_size ${blockSize} must be >= 0`);
  const axis = normAxis(axisAttr, r, 'axis');
  const D = x.shape[axis]!;
  if (blockSize === 0) {
    if (sh.length !== 1)
      throw new Error(
        `${what} ${formatType(s)} must be a scalar or a 1-D tensor (per-axis); for blocked quantization set block_size`,
      );
    if (typeof sh[0] === 'number' && typeof D === 'number' && sh[0] !== D) {
      throw new Error(`${what} ${formatType(s)} has ${sh[0]} values but axis ${axis} of x ${formatType(x)} has ${D}`);
    }
    return;
  }
  if (sh.length !== r)
    throw new Error(`${what} ${formatType(s)} must have the rank of x ${formatType(x)} for blocked quantization`);
  sh.forEach((d, i) => {
    const xd = x.shape![i]!;
    if (typeof d !== 'number' || typeof xd !== 'number') return;
    if (i === axis) {
      if (d * blockSize < xd || (d - 1) * blockSize >= xd) {
        throw new Error(
          `${what} ${formatType(s)} has ${d} blocks on axis ${axis}, but x has ${xd} there: block_size ` +
            `${blockSize} needs ${Math.ceil(xd / blockSize)}`,
        );
      }
    } else if (d !== xd) {
      throw new Error(`${what} ${formatType(s)} must match x ${formatType(x)} except on axis ${axis}`);
    }
  });
}

/** For each element of x, the index of its scale / zero point; undefined for per-tensor. */
function paramIndex(
  xDims: readonly number[],
  sDims: readonly number[],
  axisAttr: number,
  blockSize: number,
): Int32Array | undefined {
  const sSize = sDims.reduce((a, b) => a * b, 1);
  if (sSize === 1) return undefined;
  const x: TensorType = { dtype: 'float32', shape: [...xDims] };
  checkParamShape(x, { dtype: 'float32', shape: [...sDims] }, 'scale', axisAttr, blockSize);
  const axis = normAxis(axisAttr, xDims.length);
  const D = xDims[axis]!;
  let inner = 1;
  for (let i = axis + 1; i < xDims.length; i++) inner *= xDims[i]!;
  const n = xDims.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(n);
  if (blockSize === 0) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(i / inner) % D;
  } else {
    const S = sDims[axis]!;
    for (let i = 0; i < n; i++) {
      const outer = Math.floor(i / (inner * D));
      const c = Math.floor(i / inner) % D;
      idx[i] = (outer * S + Math.floor(c / blockSize)) * inner + (i % inner);
    }
  }
  return idx;
}

/** Zero point and scale agree in shape; one element each (a scalar or [1]) is per tensor either way. */
function sameParamShape(zp: Tensor, scale: Tensor): boolean {
  if (zp.size === 1 && scale.size === 1) return true;
  return zp.dims.length === scale.dims.length && zp.dims.every((d, i) => d === scale.dims[i]);
}

function quantAttrs(): OpDef['attrs'] {
  return {
    axis: { kind: 'int', default: 1 },
    block_size: { kind: 'int', default: 0 },
    output_dtype: { kind: 'int', default: 0 },
  };
}

// ---------------------------------------------------------------------------------------------

function quantizeOutType(zp: DType | undefined, outputDtype: number): DType {
  const fromAttr = outputDtype ? dtypeAttr(outputDtype, 'output_dtype', QUANT_TYPES) : undefined;
  if (zp) {
    if (fromAttr && fromAttr !== zp)
      throw new Error(`output_dtype ${fromAttr} differs from the type of y_zero_point (${zp})`);
    return zp;
  }
  return fromAttr ?? 'uint8';
}

/** Rounding of the division's operands and result, from `precision` or the scale's type. */
function divisionRounding(precision: number, scaleType: DType): (v: number) => number {
  if (precision) return roundToDType(dtypeAttr(precision, 'precision', ['float32', 'float16', 'float64']));
  return roundToDType(scaleType === 'int32' ? 'float64' : scaleType);
}

export function quantizeLinear(
  x: Tensor,
  scale: Tensor,
  zp: Tensor | undefined,
  opts: { axis?: number; blockSize?: number; outputDtype?: number; precision?: number; saturate?: boolean } = {},
): Tensor {
  const outType = quantizeOutType(zp?.type, opts.outputDtype ?? 0);
  if (zp && !sameParamShape(zp, scale)) {
    throw new Error(`y_zero_point [${zp.dims.join(',')}] must have the shape of y_scale [${scale.dims.join(',')}]`);
  }
  const idx = paramIndex(x.dims, scale.dims, opts.axis ?? 1, opts.blockSize ?? 0);
  const rnd = divisionRounding(opts.precision ?? 0, scale.type);
  const xv = toF64(x),
    sv = toF64(scale),
    zv = zp ? toF64(zp) : undefined;
  const out = Tensor.zeros(outType, x.dims);
  if (isFloat(outType)) {
    const enc = narrowEncoder(outType, { saturate: opts.saturate ?? true })!;
    const bits = out.data as Uint8Array;
    for (let i = 0; i < xv.length; i++) {
      const p = idx ? idx[i]! : 0;
      bits[i] = enc(rnd(rnd(xv[i]!) / rnd(sv[p]!)) + (zv ? zv[p]! : 0));
    }
    return out;
  }
  const [lo, hi] = intRange(outType);
  const y = out.data as Int32Array;
  for (let i = 0; i < xv.length; i++) {
    const p = idx ? idx[i]! : 0;
    const q = roundHalfEven(rnd(rnd(xv[i]!) / rnd(sv[p]!)));
    // NaN quantizes to the type's minimum, as the reference's int cast of NaN then clip gives
    const v = q !== q ? lo : q + (zv ? zv[p]! : 0);
    y[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

const quantize: OpDef = {
  name: 'nn.QuantizeLinear',
  inputs: ['x', 'y_scale', 'y_zero_point?'],
  outputs: ['y'],
  attrs: {
    ...quantAttrs(),
    /** Float outputs only: 0 lets out-of-range values become infinity or NaN. */
    saturate: { kind: 'int', default: 1 },
    precision: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'x');
    const s = inType(ctx, 1, 'y_scale');
    checkDType(x, ['float32', 'float16', 'int32'], 'x');
    checkDType(s, ['float32', 'float16', 'int32'], 'y_scale');
    const z = ctx.types[2];
    if (z) checkDType(z, QUANT_TYPES, 'y_zero_point');
    const outType = quantizeOutType(z?.dtype, ctx.attrs.int('output_dtype', 0));
    const precision = ctx.attrs.int('precision', 0);
    if (precision) dtypeAttr(precision, 'precision', ['float32', 'float16', 'float64']);
    const axis = ctx.attrs.int('axis', 1),
      block = ctx.attrs.int('block_size', 0);
    checkParamShape(x, s, 'y_scale', axis, block);
    if (z) checkParamShape(x, z, 'y_zero_point', axis, block);
    return [{ dtype: outType, shape: x.shape }];
  },
  run({ inputs: [x, s, z], attrs }) {
    return [
      quantizeLinear(x!, s!, z, {
        axis: attrs.int('axis', 1),
        blockSize: attrs.int('block_size', 0),
        outputDtype: attrs.int('output_dtype', 0),
        precision: attrs.int('precision', 0),
        saturate: attrs.int('saturate', 1) !== 0,
      }),
    ];
  },
  cost: elementwiseCost(3),
  onnx: { type: 'QuantizeLinear', minOpset: 10 },
};

// ---------------------------------------------------------------------------------------------

function dequantizeOutType(scale: DType, outputDtype: number): DType {
  return outputDtype ? dtypeAttr(outputDtype, 'output_dtype', ['float32', 'float16']) : scale;
}

export function dequantizeLinear(
  x: Tensor,
  scale: Tensor,
  zp: Tensor | undefined,
  opts: { axis?: number; blockSize?: number; outputDtype?: number } = {},
): Tensor {
  const outType = dequantizeOutType(scale.type, opts.outputDtype ?? 0);
  if (zp && zp.type !== x.type) throw new Error(`x_zero_point has type ${zp.type} but x has ${x.type}`);
  if (zp && !sameParamShape(zp, scale)) {
    throw new Error(`x_zero_point [${zp.dims.join(',')}] must have the shape of x_scale [${scale.dims.join(',')}]`);
  }
  const idx = paramIndex(x.dims, scale.dims, opts.axis ?? 1, opts.blockSize ?? 0);
  const xv = toF64(x),
    sv = toF64(scale),
    zv = zp ? toF64(zp) : undefined;
  const y = new Float64Array(xv.length);
  for (let i = 0; i < xv.length; i++) {
    const p = idx ? idx[i]! : 0;
    y[i] = (xv[i]! - (zv ? zv[p]! : 0)) * sv[p]!;
  }
  return fromF64(outType, x.dims, y);
}

const dequantize: OpDef = {
  name: 'nn.DequantizeLinear',
  inputs: ['x', 'x_scale', 'x_zero_point?'],
  outputs: ['y'],
  attrs: quantAttrs(),
  infer(ctx) {
    const x = inType(ctx, 0, 'x');
    const s = inType(ctx, 1, 'x_scale');
    checkDType(x, DEQUANT_TYPES, 'x');
    checkDType(s, ['float32', 'float16'], 'x_scale');
    const z = ctx.types[2];
    if (z && z.dtype !== x.dtype)
      throw new Error(`x_zero_point ${formatType(z)} must have the type of x ${formatType(x)}`);
    const axis = ctx.attrs.int('axis', 1),
      block = ctx.attrs.int('block_size', 0);
    checkParamShape(x, s, 'x_scale', axis, block);
    if (z) checkParamShape(x, z, 'x_zero_point', axis, block);
    return [{ dtype: dequantizeOutType(s.dtype, ctx.attrs.int('output_dtype', 0)), shape: x.shape }];
  },
  run({ inputs: [x, s, z], attrs }) {
    return [
      dequantizeLinear(x!, s!, z, {
        axis: attrs.int('axis', 1),
        blockSize: attrs.int('block_size', 0),
        outputDtype: attrs.int('output_dtype', 0),
      }),
    ];
  },
  cost: elementwiseCost(2),
  onnx: { type: 'DequantizeLinear', minOpset: 10 },
};

// ---------------------------------------------------------------------------------------------

/**
 * DynamicQuantizeLinear: uint8 quantization with a scale and zero point chosen from the data's
 * range, widened to include 0. All steps in float32, as the spec's formula is written:
 *   scale = (max(0, max(x)) - min(0, min(x))) / 255   (1/255 when that range is empty)
 *   zero_point = saturate(round_half_even(0 - min(0, min(x)) / scale))
 */
const dynamicQuantize: OpDef = {
  name: 'nn.DynamicQuantizeLinear',
  inputs: ['x'],
  outputs: ['y', 'y_scale', 'y_zero_point'],
  infer(ctx) {
    const x = inType(ctx, 0, 'x');
    checkDType(x, ['float32'], 'x');
    return [
      { dtype: 'uint8', shape: x.shape },
      { dtype: 'float32', shape: [] },
      { dtype: 'uint8', shape: [] },
    ];
  },
  run({ inputs: [xt] }) {
    const x = xt!.data as Float32Array;
    const f = Math.fround;
    let mx = 0,
      mn = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v > mx) mx = v;
      if (v < mn) mn = v;
    }
    const scale = f((mx === mn ? 1 : f(mx - mn)) / 255);
    const zpF = f(0 - f(mn / scale));
    const zp = roundHalfEven(Math.min(255, Math.max(0, zpF)));
    const y = new Uint8Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const q = roundHalfEven(f(x[i]! / scale)) + zp;
      y[i] = q !== q ? 0 : q < 0 ? 0 : q > 255 ? 255 : q;
    }
    return [
      new Tensor('uint8', y, xt!.dims),
      new Tensor('float32', new Float32Array([scale]), []),
      new Tensor('uint8', new Uint8Array([zp]), []),
    ];
  },
  cost(ctx) {
    return { flops: numelOf(ctx.types[0]) * 5, bytes: bytesOf(ctx.types[0]) * 2 + numelOf(ctx.types[0]) };
  },
  onnx: { type: 'DynamicQuantizeLinear', minOpset: 11 },
};

registerOps([quantize, dequantize, dynamicQuantize]);
