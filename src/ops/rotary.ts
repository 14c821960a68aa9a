// RotaryEmbedding (ONNX opset 23): rotary positional embeddings (RoPE).
//
// The input is 4-D [batch, num_heads, seq, head_size] or 3-D [batch, seq, num_heads * head_size]
// (with the num_heads attribute). The first rotary_embedding_dim entries of every head (all of them
// when the attribute is 0) are rotated in pairs (x1, x2):
//   x1' = cos * x1 - sin * x2,   x2' = sin * x1 + cos * x2
// where the pairs are (m, m + rot/2) (non-interleaved, "rotate half") or (2m, 2m + 1) (interleaved),
// for m < rot/2, and cos/sin are cos_cache/sin_cache at [position_ids[b, s], m] when position_ids
// is given (caches [max_position, rot/2]) or at [b, s, m] when not (caches [batch, seq, rot/2]).
// The remaining head_size - rot entries pass through unchanged.

import type { TensorType } from '../ir/graph.js';
import { type InferContext, type OpDef, type RunContext, registerOps } from '../ir/op-def.js';
import { type Dim, formatDims, type Shape } from '../ir/shape.js';
import { numGetter, setter, Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { bytesOf, checkDType, inType, numelOf } from './util.js';

/** RotaryEmbedding-23 allows float, float16 and bfloat16 (the last is not a Switchyard dtype). */
const ROPE_TYPES = ['float32', 'float16'] as const;

const isNum = (d: Dim | undefined): d is number => typeof d === 'number';

interface RopeGeometry {
  rank: 3 | 4;
  batch: Dim;
  heads: Dim;
  seq: Dim;
  headSize: Dim;
  /** Rotated entries per head (rotary_embedding_dim, or head_size when 0); undefined when unknown. */
  rot: number | undefined;
}

function ropeGeometry(x: Shape, numHeads: number | undefined, rotAttr: number): RopeGeometry {
  if (x.length !== 3 && x.length !== 4) {
    throw new Error(
      `input has shape ${formatDims(x)}; RotaryEmbedding needs rank 4 [batch, num_heads, seq, head_size] or ` +
        `rank 3 [batch, seq, hidden]`,
    );
  }
  let heads: Dim, seq: Dim, headSize: Dim;
  if (x.length === 4) {
    [, heads, seq, headSize] = x as [Dim, Dim, Dim, Dim];
  } else {
    if (numHeads === undefined)
      throw new Error(
        `input has shape ${formatDims(x)}; a 3-D input needs the num_heads attribute to split the hidden dim ` +
          `into heads`,
      );
    heads = numHeads;
    seq = x[1]!;
    const hidden = x[2]!;
    if (isNum(hidden) && hidden % numHeads !== 0) {
      throw new Error(
        `input has shape ${formatDims(x)}; hidden size ${hidden} is not divisible by num_heads=${numHeads}`,
      );
    }
    headSize = isNum(hidden) ? hidden / numHeads : `${hidden}/${numHeads}`;
  }
  if (rotAttr < 0) throw new Error(`rotary_embedding_dim must be >= 0, got ${rotAttr}`);
  const rot = rotAttr > 0 ? rotAttr : isNum(headSize) ? headSize : undefined;
  if (rot !== undefined && rot % 2 !== 0) {
    throw new Error(
      rotAttr > 0
        ? `rotary_embedding_dim ${rot} must be even (it is rotated in pairs)`
        : `head_size ${rot} must be even for full rotation (input ${formatDims(x)})`,
    );
  }
  if (rotAttr > 0 && isNum(headSize) && rotAttr > headSize) {
    throw new Error(`rotary_embedding_dim ${rotAttr} exceeds head_size ${headSize} (input ${formatDims(x)})`);
  }
  return { rank: x.length as 3 | 4, batch: x[0]!, heads, seq, headSize, rot };
}

/** Dim `d` of `what` must broadcast to `want` (be 1 or equal) when both are known. */
function broadcastsTo(d: Dim, want: Dim, what: string, shape: Shape, i: number, name: string): void {
  if (isNum(d) && isNum(want) && d !== 1 && d !== want) {
    throw new Error(`${what} has shape ${formatDims(shape)}; dim ${i} (${d}) must be ${name} (${want}) or 1`);
  }
}

function checkTypes(
  types: (TensorType | undefined)[],
  numHeads: number | undefined,
  rotAttr: number,
): RopeGeometry | undefined {
  const x = types[0]!,
    cos = types[1]!,
    sin = types[2]!,
    pos = types[3];
  checkDType(x, ROPE_TYPES, 'input');
  for (const [name, t] of [
    ['cos_cache', cos],
    ['sin_cache', sin],
  ] as const) {
    if (t.dtype !== x.dtype)
      throw new Error(`${name} has type ${formatType(t)}; it must match the input type ${x.dtype}`);
  }
  if (pos && pos.dtype !== 'int64') throw new Error(`position_ids has type ${formatType(pos)}; int64 expected`);
  if (!x.shape) return undefined;
  const g = ropeGeometry(x.shape, numHeads, rotAttr);
  const cacheRank = pos ? 2 : 3;
  const layout = pos
    ? '[max_position_id_plus_1, rotary_dim/2] (position_ids given)'
    : '[batch, seq, rotary_dim/2] (no position_ids)';
  for (const [name, t] of [
    ['cos_cache', cos],
    ['sin_cache', sin],
  ] as const) {
    if (!t.shape) continue;
    if (t.shape.length !== cacheRank) throw new Error(`${name} has shape ${formatDims(t.shape)}; it must be ${layout}`);
    const half = t.shape[cacheRank - 1]!;
    if (g.rot !== undefined && isNum(half) && half !== g.rot / 2) {
      throw new Error(
        `${name} has shape ${formatDims(t.shape)}; its last dim ${half} must be rotary_dim/2 = ${g.rot / 2} ` +
          (rotAttr > 0 ? `(rotary_embedding_dim=${rotAttr})` : `(head_size ${g.headSize}, full rotation)`),
      );
    }
    if (!pos) {
      broadcastsTo(t.shape[0]!, g.batch, name, t.shape, 0, 'batch_size');
      broadcastsTo(t.shape[1]!, g.seq, name, t.shape, 1, 'sequence_length');
    }
  }
  if (cos.shape && sin.shape && cos.shape.some((d, i) => isNum(d) && isNum(sin.shape![i]) && d !== sin.shape![i])) {
    throw new Error(
      `cos_cache ${formatDims(cos.shape)} and sin_cache ${formatDims(sin.shape)} must have the same shape`,
    );
  }
  if (pos?.shape) {
    if (pos.shape.length !== 2)
      throw new Error(`position_ids has shape ${formatDims(pos.shape)}; it must be 2-D [batch, seq]`);
    broadcastsTo(pos.shape[0]!, g.batch, 'position_ids', pos.shape, 0, 'batch_size');
    broadcastsTo(pos.shape[1]!, g.seq, 'position_ids', pos.shape, 1, 'sequence_length');
  }
  return g;
}

function numHeadsOf(ctx: { attrs: InferContext['attrs'] }): number | undefined {
  if (!ctx.attrs.has('num_heads')) return undefined;
  const n = ctx.attrs.int('num_heads');
  if (!(n > 0)) throw new Error(`num_heads must be positive, got ${n}`);
  return n;
}

function interleavedOf(ctx: { attrs: InferContext['attrs'] }): boolean {
  const v = ctx.attrs.int('interleaved', 0);
  if (v !== 0 && v !== 1) throw new Error(`interleaved must be 0 or 1, got ${v}`);
  return v === 1;
}

function run(ctx: RunContext): Tensor[] {
  const [x, cos, sin, pos] = ctx.inputs as (Tensor | undefined)[];
  if (!x || !cos || !sin) throw new Error('input, cos_cache and sin_cache are required');
  const interleaved = interleavedOf(ctx);
  const types = [x, cos, sin, pos].map((t) => (t ? { dtype: t.type, shape: [...t.dims] } : undefined));
  const g = checkTypes(types, numHeadsOf(ctx), ctx.attrs.int('rotary_embedding_dim', 0))!;
  const B = g.batch as number,
    H = g.heads as number,
    S = g.seq as number,
    D = g.headSize as number;
  const rot = g.rot!,
    half = rot / 2;

  // Row of the caches for token (b, s): the position id's row, or [b, s] itself.
  const cacheRow: (b: number, s: number) => number = pos
    ? (() => {
        const maxPos = cos.dims[0]!;
        const [pb, ps] = pos.dims as [number, number];
        return (b, s) => {
          const p = Number(pos.data[(pb === 1 ? 0 : b) * ps + (ps === 1 ? 0 : s)]!);
          if (p < -maxPos || p >= maxPos)
            throw new Error(`position_ids[${b},${s}] = ${p} is out of range for caches with ${maxPos} positions`);
          return p < 0 ? p + maxPos : p;
        };
      })()
    : (b, s) => (cos.dims[0] === 1 ? 0 : b) * cos.dims[1]! + (cos.dims[1] === 1 ? 0 : s);
  // Offset of head element d of token (b, h, s) in the input layout.
  const at =
    g.rank === 4
      ? (b: number, h: number, s: number, d: number) => ((b * H + h) * S + s) * D + d
      : (b: number, h: number, s: number, d: number) => ((b * S + s) * H + h) * D + d;

  const out = Tensor.zeros(x.type, x.dims);
  const get = numGetter(x),
    set = setter(out);
  const getCos = numGetter(cos),
    getSin = numGetter(sin);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const row = cacheRow(b, s) * half;
      for (let h = 0; h < H; h++) {
        for (let m = 0; m < half; m++) {
          const i1 = at(b, h, s, interleaved ? 2 * m : m);
          const i2 = at(b, h, s, interleaved ? 2 * m + 1 : m + half);
          const c = getCos(row + m),
            sn = getSin(row + m);
          const x1 = get(i1),
            x2 = get(i2);
          set(i1, c * x1 - sn * x2);
          set(i2, sn * x1 + c * x2);
        }
        for (let d = rot; d < D; d++) set(at(b, h, s, d), get(at(b, h, s, d)));
      }
    }
  }
  return [out];
}

const rotaryEmbedding: OpDef = {
  name: 'nn.RotaryEmbedding',
  inputs: ['X', 'cos_cache', 'sin_cache', 'position_ids?'],
  outputs: ['Y'],
  attrs: {
    interleaved: { kind: 'int', default: 0 },
    rotary_embedding_dim: { kind: 'int', default: 0 },
    num_heads: { kind: 'int' },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    inType(ctx, 1, 'cos_cache');
    inType(ctx, 2, 'sin_cache');
    interleavedOf(ctx);
    checkTypes(ctx.types, numHeadsOf(ctx), ctx.attrs.int('rotary_embedding_dim', 0));
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run,
  cost(ctx) {
    // 6 flops per rotated pair (4 multiplies, 2 adds), i.e. 3 per element; copies are free.
    return {
      flops: 3 * numelOf(ctx.types[0]),
      bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + bytesOf(ctx.outTypes[0]),
    };
  },
  onnx: { type: 'RotaryEmbedding', minOpset: 23 },
};

registerOps([rotaryEmbedding]);
