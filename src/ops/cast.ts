// Cast and CastLike: element type conversion with C-like semantics (truncation toward zero for
// float -> int, wrap-around between integer widths, != 0 for bool). Narrow float targets round to
// nearest even and follow `saturate` (ONNX's table: clamp to the largest finite value, else
// infinity or NaN; float4e2m1 has neither and gives 0 for NaN); float8e8m0 rounds as `round_mode`
// says; sub-byte integer targets truncate and wrap like the wider integers.

import { type DType, dtypeFromOnnx, isBig, isFloat } from '../ir/dtype.js';
import type { E8M0Rounding } from '../ir/minifloat.js';
import { isSubByte, narrowEncoder } from '../ir/narrow.js';
import { type OpDef, type RunContext, registerOps } from '../ir/op-def.js';
import { getter, type Scalar, setter, Tensor, toBigInt } from '../ir/tensor.js';
import { $0, mapLowering, withLowering } from './kernel/lowering.js';
import { elementwiseCost, inType } from './util.js';

const BITS: Partial<Record<DType, number>> = { int8: 8, int16: 16, int32: 32, uint8: 8, uint16: 16, uint32: 32 };

export interface CastOptions {
  saturate?: boolean;
  roundMode?: E8M0Rounding;
}

/** Convert one value to the target dtype's domain before the typed-array store. */
function converter(from: DType, to: DType, opts: CastOptions): (v: Scalar) => Scalar {
  if (isSubByte(to) && !isFloat(to)) {
    const enc = narrowEncoder(to)!;
    return (v) => (typeof v === 'bigint' ? enc(Number(BigInt.asIntN(8, v))) : enc(Number.isFinite(v) ? v : 0));
  }
  const enc = narrowEncoder(to, { saturate: opts.saturate, round: opts.roundMode });
  if (enc) return (v) => enc(Number(v));
  if (to === 'bool') return (v) => (typeof v === 'bigint' ? (v !== 0n ? 1 : 0) : v !== 0 ? 1 : 0);
  if (isBig(to)) {
    const wrap = to === 'int64' ? (b: bigint) => BigInt.asIntN(64, b) : (b: bigint) => BigInt.asUintN(64, b);
    return (v) => wrap(typeof v === 'bigint' ? v : toBigInt(v));
  }
  if (isBig(from)) {
    const bits = BITS[to];
    if (bits) {
      const signed = to.startsWith('int');
      return (v) => Number(signed ? BigInt.asIntN(bits, v as bigint) : BigInt.asUintN(bits, v as bigint));
    }
    return (v) => Number(v);
  }
  if (isFloat(from) && !isFloat(to)) {
    // NaN and infinities have no integer value; C and numpy give the type's minimum, 0 here is
    // as good and deterministic.
    return (v) => (Number.isFinite(v as number) ? Math.trunc(v as number) : 0);
  }
  return (v) => v;
}

export function castTensor(x: Tensor, to: DType, opts: CastOptions = {}): Tensor {
  if (x.type === to) return new Tensor(to, x.data.slice(), x.dims);
  const out = Tensor.zeros(to, x.dims);
  const get = getter(x);
  const conv = converter(x.type, to, opts);
  // narrow targets: the converter already produced the stored pattern
  if (narrowEncoder(to)) {
    const d = out.data as Uint8Array;
    for (let i = 0; i < x.size; i++) d[i] = conv(get(i)) as number;
    return out;
  }
  const set = setter(out);
  for (let i = 0; i < x.size; i++) set(i, conv(get(i)));
  return out;
}

function castOptions(attrs: RunContext['attrs']): CastOptions {
  const mode = attrs.string('round_mode', 'up');
  if (mode !== 'up' && mode !== 'down' && mode !== 'nearest') {
    throw new Error(`round_mode '${mode}': up, down or nearest expected`);
  }
  return { saturate: attrs.int('saturate', 1) !== 0, roundMode: mode };
}

const cast: OpDef = {
  name: 'nn.Cast',
  inputs: ['input'],
  outputs: ['output'],
  attrs: {
    to: { kind: 'int', required: true },
    saturate: { kind: 'int', default: 1 },
    round_mode: { kind: 'string', default: 'up' },
  },
  infer(ctx) {
    const t = inType(ctx, 0, 'input');
    return [{ dtype: dtypeFromOnnx(ctx.attrs.int('to')), shape: t.shape }];
  },
  run: ({ inputs: [x], attrs }) => [castTensor(x!, dtypeFromOnnx(attrs.int('to')), castOptions(attrs))],
  cost: elementwiseCost(1),
  onnx: {
    type: 'Cast',
    import(ctx) {
      // Cast-1 named the target type as a string ("FLOAT"); later versions use the enum code.
      const to = ctx.node.attrs.to;
      if (to?.kind === 'string') {
        const codes: Record<string, number> = {
          FLOAT: 1,
          UINT8: 2,
          INT8: 3,
          UINT16: 4,
          INT16: 5,
          INT32: 6,
          INT64: 7,
          BOOL: 9,
          FLOAT16: 10,
          DOUBLE: 11,
          UINT32: 12,
          UINT64: 13,
          BFLOAT16: 16,
        };
        const code = codes[to.value.toUpperCase()];
        if (code === undefined) throw new Error(`Cast to '${to.value}' is not supported`);
        ctx.node.attrs.to = { kind: 'int', value: code };
      }
    },
  },
};

const castLike: OpDef = {
  name: 'nn.CastLike',
  inputs: ['input', 'target_type'],
  outputs: ['output'],
  attrs: { saturate: { kind: 'int', default: 1 }, round_mode: { kind: 'string', default: 'up' } },
  infer(ctx) {
    const t = inType(ctx, 0, 'input');
    return [{ dtype: inType(ctx, 1, 'target_type').dtype, shape: t.shape }];
  },
  run: ({ inputs: [x, like], attrs }) => [castTensor(x!, like!.type, castOptions(attrs))],
  cost: elementwiseCost(1),
  onnx: { type: 'CastLike' },
};

/** A same-type or float-to-float cast is a k.map identity (the store converts). */
const LOWER = { 'nn.Cast': mapLowering(() => $0) };

registerOps(withLowering([cast, castLike], LOWER));
