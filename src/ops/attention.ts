// Attention (ONNX opset 23 and 24): scaled dot-product attention with multi-head, grouped-query
// and multi-query variants, an optional boolean or additive mask, causal masking, a KV cache that
// is either concatenated inside the op (past_key/past_value -> present_key/present_value) or kept
// outside it (opset 24's nonpad_kv_seqlen), softcap, and the optional qk_matmul_output.
//
// Per (batch b, query head h, query position i) the op computes, over total positions j:
//   raw[j]    = scale * dot(Q[b,h,i,:], K[b,kvh,j,:])           kvh = h / (q_heads / kv_heads)
//   capped[j] = softcap != 0 ? softcap * tanh(raw[j] / softcap) : raw[j]
//   bias[j]   = mask term + causal term + padding term          (each 0 or -inf, or the float mask)
//   p         = softmax(capped + bias), or all zeros when every bias[j] is -inf (fully masked row)
//   Y[b,h,i,:] = sum_j p[j] * V[b,kvh,j,:]
// where K and V include the past cache: position j < past_len reads past_key/past_value.
//
// Canonical form is opset 24. Opset 23 differs in two ways: there is no nonpad_kv_seqlen input, and
// an attn_mask whose last dim is shorter than total_sequence_length is plain numpy broadcasting
// (so only 1 is allowed) instead of being padded with -inf. The import hook records the opset-23
// rule as `pad_short_mask = 0`.
//
// qk_matmul_output_mode follows the current spec text (both opsets, after the in-place errata):
// 0 = raw scaled QK^T, 1 = after softcap (before the mask), 2 = after softcap and mask/bias,
// 3 = after softmax (fully masked rows zeroed).

import type { AttrReader } from '../ir/attributes.js';
import type { DType } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import {
  type Cost,
  type CostContext,
  type InferContext,
  type OpDef,
  type RunContext,
  registerOps,
} from '../ir/op-def.js';
import { type Dim, formatDims, freshDim, type Shape, stridesOf } from '../ir/shape.js';
import { numGetter, setter, Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { bytesOf, checkDType, FLOATS, inType, NUMERIC } from './util.js';

/** ONNX TensorProto codes softmax_precision may name: FLOAT, FLOAT16, DOUBLE, BFLOAT16. */
const SOFTMAX_PRECISIONS: Record<number, string> = { 1: 'float', 10: 'float16', 11: 'double', 16: 'bfloat16' };

/** Sizes of one Attention call, resolved from Q/K/V (and the past cache) in either layout. */
interface Geometry {
  rank: 3 | 4;
  batch: Dim;
  qHeads: Dim;
  kvHeads: Dim;
  qSeq: Dim;
  kvSeq: Dim;
  pastSeq: Dim; // 0 without a past cache
  totalSeq: Dim; // pastSeq + kvSeq
  headSize: Dim; // of Q and K
  vHeadSize: Dim;
}

interface AttnAttrs {
  scale?: number;
  isCausal: boolean;
  qNumHeads?: number;
  kvNumHeads?: number;
  softcap: number;
  mode: number;
  padShortMask: boolean;
}

function readAttrs(a: AttrReader): AttnAttrs {
  const isCausal = a.int('is_causal', 0);
  if (isCausal !== 0 && isCausal !== 1) throw new Error(`is_causal must be 0 or 1, got ${isCausal}`);
  const mode = a.int('qk_matmul_output_mode', 0);
  if (![0, 1, 2, 3].includes(mode)) {
    throw new Error(
      `qk_matmul_output_mode must be 0 (QK^T), 1 (after softcap), 2 (after softcap and mask) or 3 (after softmax), got ${mode}`,
    );
  }
  if (a.has('softmax_precision')) {
    const p = a.int('softmax_precision');
    if (!(p in SOFTMAX_PRECISIONS)) {
      throw new Error(
        `softmax_precision ${p} is not a floating-point TensorProto type (1 float, 10 float16, 11 double, 16 bfloat16)`,
      );
    }
  }
  const heads = (name: string): number | undefined => {
    if (!a.has(name)) return undefined;
    const n = a.int(name);
    if (!(n > 0)) throw new Error(`${name} must be positive, got ${n}`);
    return n;
  };
  const softcap = a.float('softcap', 0);
  if (Number.isNaN(softcap)) throw new Error('softcap must not be NaN');
  return {
    scale: a.has('scale') ? a.float('scale') : undefined,
    isCausal: isCausal === 1,
    qNumHeads: heads('q_num_heads'),
    kvNumHeads: heads('kv_num_heads'),
    softcap,
    mode,
    padShortMask: a.int('pad_short_mask', 1) !== 0,
  };
}

const isNum = (d: Dim | undefined): d is number => typeof d === 'number';

/** Two dims that must be equal: the known one wins; both known and different is an error. */
function unify(a: Dim, b: Dim, rule: () => string): Dim {
  if (isNum(a) && isNum(b)) {
    if (a !== b) throw new Error(rule());
    return a;
  }
  return isNum(a) ? a : b;
}

/** hidden / heads for the 3-D layout, checking divisibility when the hidden size is known. */
function splitHidden(hidden: Dim, heads: number, what: string, attr: string): Dim {
  if (!isNum(hidden)) return freshDim('hd');
  if (hidden % heads !== 0) throw new Error(`${what} hidden size ${hidden} is not divisible by ${attr}=${heads}`);
  return hidden / heads;
}

function addDims(a: Dim, b: Dim): Dim {
  if (b === 0) return a;
  if (isNum(a) && isNum(b)) return a + b;
  return freshDim('tot');
}

/**
 * Resolve the sizes from the shapes of Q, K, V and the past cache, checking every rule that the
 * known dims allow. Works for symbolic dims at infer time and for concrete dims at run time.
 */
function geometry(q: Shape, k: Shape, v: Shape, pk: Shape | undefined, pv: Shape | undefined, at: AttnAttrs): Geometry {
  const sh = (name: string, s: Shape) => `${name} has shape ${formatDims(s)}`;
  if (q.length !== 3 && q.length !== 4)
    throw new Error(
      `${sh('Q', q)}; Attention needs Q of rank 3 [batch, seq, q_hidden] or 4 [batch, q_num_heads, seq, head_size]`,
    );
  if (k.length !== q.length || v.length !== q.length) {
    throw new Error(
      `Q, K and V must have the same rank (3 or 4), got Q ${formatDims(q)}, K ${formatDims(k)}, V ${formatDims(v)}`,
    );
  }
  const rank = q.length as 3 | 4;
  let batch = unify(q[0]!, k[0]!, () => `batch sizes differ: Q ${formatDims(q)} vs K ${formatDims(k)} (dim 0)`);
  batch = unify(batch, v[0]!, () => `batch sizes differ: Q ${formatDims(q)} vs V ${formatDims(v)} (dim 0)`);
  let qHeads: Dim, kvHeads: Dim, qSeq: Dim, kvSeq: Dim, headSize: Dim, vHeadSize: Dim;
  if (rank === 3) {
    if (at.qNumHeads === undefined || at.kvNumHeads === undefined) {
      throw new Error(
        `3-D inputs (Q ${formatDims(q)}) need both q_num_heads and kv_num_heads attributes to split the hidden dim into heads`,
      );
    }
    qHeads = at.qNumHeads;
    kvHeads = at.kvNumHeads;
    qSeq = q[1]!;
    kvSeq = unify(
      k[1]!,
      v[1]!,
      () => `K ${formatDims(k)} and V ${formatDims(v)} must have the same kv_sequence_length (dim 1)`,
    );
    const qHead = splitHidden(q[2]!, qHeads, 'Q', 'q_num_heads');
    const kHead = splitHidden(k[2]!, kvHeads, 'K', 'kv_num_heads');
    headSize = unify(
      qHead,
      kHead,
      () =>
        `Q and K head sizes differ: Q hidden ${q[2]} / q_num_heads ${qHeads} = ${qHead}, K hidden ${k[2]} / kv_num_heads ${kvHeads} = ${kHead}`,
    );
    vHeadSize = splitHidden(v[2]!, kvHeads, 'V', 'kv_num_heads');
  } else {
    qHeads = q[1]!;
    kvHeads = unify(
      k[1]!,
      v[1]!,
      () => `K ${formatDims(k)} and V ${formatDims(v)} must have the same kv_num_heads (dim 1)`,
    );
    if (at.qNumHeads !== undefined && isNum(qHeads) && at.qNumHeads !== qHeads) {
      throw new Error(
        `q_num_heads=${at.qNumHeads} contradicts Q ${formatDims(q)} (dim 1 is the head count of 4-D inputs)`,
      );
    }
    if (at.kvNumHeads !== undefined && isNum(kvHeads) && at.kvNumHeads !== kvHeads) {
      throw new Error(
        `kv_num_heads=${at.kvNumHeads} contradicts K ${formatDims(k)} (dim 1 is the head count of 4-D inputs)`,
      );
    }
    qSeq = q[2]!;
    kvSeq = unify(
      k[2]!,
      v[2]!,
      () => `K ${formatDims(k)} and V ${formatDims(v)} must have the same kv_sequence_length (dim 2)`,
    );
    headSize = unify(
      q[3]!,
      k[3]!,
      () => `Q ${formatDims(q)} and K ${formatDims(k)} must have the same head_size (dim 3)`,
    );
    vHeadSize = v[3]!;
  }
  if (isNum(qHeads) && isNum(kvHeads) && qHeads % kvHeads !== 0) {
    throw new Error(
      `q_num_heads (${qHeads}) must be a multiple of kv_num_heads (${kvHeads}) for grouped-query attention`,
    );
  }
  let pastSeq: Dim = 0;
  if (pk || pv) {
    if (!pk || !pv) throw new Error('past_key and past_value must be given together');
    for (const [name, s, d] of [
      ['past_key', pk, headSize],
      ['past_value', pv, vHeadSize],
    ] as const) {
      if (s.length !== 4)
        throw new Error(`${sh(name, s)}; it must be 4-D [batch, kv_num_heads, past_sequence_length, head_size]`);
      batch = unify(batch, s[0]!, () => `${sh(name, s)}; dim 0 must be the batch size ${batch}`);
      kvHeads = unify(kvHeads, s[1]!, () => `${sh(name, s)}; dim 1 must be kv_num_heads ${kvHeads}`);
      unify(
        d,
        s[3]!,
        () => `${sh(name, s)}; dim 3 must be the ${name === 'past_key' ? 'K head_size' : 'V head_size'} ${d}`,
      );
    }
    pastSeq = unify(
      pk[2]!,
      pv[2]!,
      () =>
        `past_key ${formatDims(pk)} and past_value ${formatDims(pv)} must have the same past_sequence_length (dim 2)`,
    );
  }
  return { rank, batch, qHeads, kvHeads, qSeq, kvSeq, pastSeq, totalSeq: addDims(kvSeq, pastSeq), headSize, vHeadSize };
}

/**
 * Check that attn_mask broadcasts to [batch, q_num_heads, q_seq, total_seq]; with `padShort` its last
 * dim may also be shorter than total_seq (opset 24: padded with -inf / false).
 */
function checkMask(mask: Shape, g: Geometry, padShort: boolean): void {
  const target: [string, Dim][] = [
    ['batch_size', g.batch],
    ['q_num_heads', g.qHeads],
    ['q_sequence_length', g.qSeq],
    ['total_sequence_length', g.totalSeq],
  ];
  if (mask.length > 4) {
    throw new Error(
      `attn_mask has shape ${formatDims(mask)}; it must have rank <= 4 and broadcast to [batch_size, q_num_heads, q_sequence_length, total_sequence_length]`,
    );
  }
  const off = 4 - mask.length;
  mask.forEach((d, i) => {
    const [name, want] = target[off + i]!;
    if (!isNum(d) || !isNum(want) || d === 1 || d === want) return;
    if (off + i === 3) {
      if (padShort && d < want) return;
      throw new Error(
        `attn_mask has shape ${formatDims(mask)}; its last dim ${d} must ${padShort ? 'be at most' : 'be 1 or equal'} total_sequence_length = past + kv = ${want}` +
          (padShort ? '' : ' (opset 23 broadcasts the mask; padding a shorter mask needs opset 24)'),
      );
    }
    throw new Error(
      `attn_mask has shape ${formatDims(mask)}; dim ${i} (${d}) must be 1 or ${name} (${want}) to broadcast to [batch_size, q_num_heads, q_sequence_length, total_sequence_length]`,
    );
  });
}

function checkInputs(types: (TensorType | undefined)[], at: AttnAttrs): Geometry | undefined {
  const q = types[0]!,
    k = types[1]!,
    v = types[2]!;
  checkDType(q, FLOATS, 'Q');
  if (k.dtype !== q.dtype)
    throw new Error(`K has type ${formatType(k)} but Q has ${formatType(q)}; Q and K share type T1`);
  checkDType(v, FLOATS, 'V');
  const [mask, pk, pv, nonpad] = [types[3], types[4], types[5], types[6]];
  if (mask && mask.dtype !== 'bool' && !NUMERIC.includes(mask.dtype))
    throw new Error(`attn_mask has type ${formatType(mask)}; bool or a numeric type expected`);
  if (pk && pk.dtype !== q.dtype)
    throw new Error(`past_key has type ${formatType(pk)}; it must match Q and K (${q.dtype})`);
  if (pv && pv.dtype !== v.dtype)
    throw new Error(`past_value has type ${formatType(pv)}; it must match V (${v.dtype})`);
  if (!!pk !== !!pv) throw new Error('past_key and past_value must be given together');
  if (nonpad) {
    if (nonpad.dtype !== 'int64') throw new Error(`nonpad_kv_seqlen has type ${formatType(nonpad)}; int64 expected`);
    if (pk)
      throw new Error(
        'nonpad_kv_seqlen (external KV cache) cannot be combined with past_key/past_value (internal cache)',
      );
    if (nonpad.shape && nonpad.shape.length !== 1)
      throw new Error(`nonpad_kv_seqlen has shape ${formatDims(nonpad.shape)}; it must be 1-D [batch_size]`);
  }
  if (!q.shape || !k.shape || !v.shape || (pk && !pk.shape) || (pv && !pv.shape)) return undefined;
  const g = geometry(q.shape, k.shape, v.shape, pk?.shape, pv?.shape, at);
  if (mask?.shape) checkMask(mask.shape, g, at.padShortMask);
  if (nonpad?.shape)
    unify(
      nonpad.shape[0]!,
      g.batch,
      () => `nonpad_kv_seqlen has shape ${formatDims(nonpad.shape!)}; it must be [batch_size] = [${g.batch}]`,
    );
  return g;
}

function infer(ctx: InferContext): TensorType[] {
  const at = readAttrs(ctx.attrs);
  inType(ctx, 0, 'Q');
  inType(ctx, 1, 'K');
  inType(ctx, 2, 'V');
  const q = ctx.types[0]!,
    v = ctx.types[2]!;
  const g = checkInputs(ctx.types, at);
  if (!g) return [{ dtype: q.dtype }, { dtype: q.dtype }, { dtype: v.dtype }, { dtype: q.dtype }];
  let y: Shape;
  if (g.rank === 4) y = [g.batch, g.qHeads, g.qSeq, g.vHeadSize];
  else {
    const vHidden = ctx.types[2]!.shape![2]!;
    const hidden =
      isNum(g.vHeadSize) && isNum(g.qHeads)
        ? g.qHeads * g.vHeadSize
        : g.qHeads === g.kvHeads
          ? vHidden
          : freshDim('hid');
    y = [g.batch, g.qSeq, hidden];
  }
  return [
    { dtype: q.dtype, shape: y },
    { dtype: q.dtype, shape: [g.batch, g.kvHeads, g.totalSeq, g.headSize] },
    { dtype: v.dtype, shape: [g.batch, g.kvHeads, g.totalSeq, g.vHeadSize] },
    { dtype: q.dtype, shape: [g.batch, g.qHeads, g.qSeq, g.totalSeq] },
  ];
}

function run(ctx: RunContext): Tensor[] {
  const at = readAttrs(ctx.attrs);
  const [q, k, v, mask, pastK, pastV, nonpad] = ctx.inputs as (Tensor | undefined)[];
  if (!q || !k || !v) throw new Error('Q, K and V are required');
  const types = ctx.inputs.map((t) => (t ? { dtype: t.type, shape: [...t.dims] } : undefined));
  const g = checkInputs(types, at)!;
  const rank = g.rank;
  // at run time every dim is a number
  const [B, Hq, Hkv, Sq, Skv, P, T, D, Dv] = [
    g.batch,
    g.qHeads,
    g.kvHeads,
    g.qSeq,
    g.kvSeq,
    g.pastSeq,
    g.totalSeq,
    g.headSize,
    g.vHeadSize,
  ] as number[];
  const group = Hq / Hkv;
  const scale = at.scale ?? 1 / Math.sqrt(D);

  // Element offsets of Q, K and V in either layout: [b, h, s, d] (4-D) or [b, s, h*d] (3-D).
  const at4 = (H: number, S: number, Dh: number) =>
    rank === 4
      ? (b: number, h: number, s: number, d: number) => ((b * H + h) * S + s) * Dh + d
      : (b: number, h: number, s: number, d: number) => ((b * S + s) * H + h) * Dh + d;
  const qAt = at4(Hq, Sq, D),
    kAt = at4(Hkv, Skv, D),
    vAt = at4(Hkv, Skv, Dv);

  // present_key / present_value: the past cache followed by the new keys/values, [B, Hkv, T, *].
  const concat = (past: Tensor | undefined, cur: Tensor, curAt: typeof kAt, Dh: number): Float64Array => {
    const out = new Float64Array(B * Hkv * T * Dh);
    const gp = past ? numGetter(past) : undefined,
      gc = numGetter(cur);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < Hkv; h++) {
        for (let t = 0; t < T; t++) {
          for (let d = 0; d < Dh; d++) {
            out[((b * Hkv + h) * T + t) * Dh + d] =
              t < P ? gp!(((b * Hkv + h) * P + t) * Dh + d) : gc(curAt(b, h, t - P, d));
          }
        }
      }
    }
    return out;
  };
  const keys = concat(pastK, k, kAt, D);
  const values = concat(pastV, v, vAt, Dv);

  // The additive bias of one (b, h, i) row: mask + causal frontier + padding, each 0 or -inf.
  const maskTerm = mask ? maskReader(mask, [B, Hq, Sq, T], at.padShortMask) : undefined;
  const nonpadLen = nonpad ? Array.from({ length: B }, (_, b) => Number(nonpad.data[b]!)) : undefined;
  const causalOffset = (b: number): number => (P > 0 || !nonpadLen ? P : nonpadLen[b]! - Sq);

  const wantQK = ctx.node.outputs[3] != null;
  const qkOut = wantQK ? Tensor.zeros(q.type, [B, Hq, Sq, T]) : undefined;
  const setQK = qkOut ? setter(qkOut) : undefined;
  const y = Tensor.zeros(q.type, rank === 4 ? [B, Hq, Sq, Dv] : [B, Sq, Hq * Dv]);
  const setY = setter(y);
  const yAt = at4(Hq, Sq, Dv);
  const gq = numGetter(q);
  const raw = new Float64Array(T),
    capped = new Float64Array(T),
    logits = new Float64Array(T),
    probs = new Float64Array(T);
  const acc = new Float64Array(Dv);
  const qRow = new Float64Array(D);

  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvh = Math.floor(h / group);
      for (let i = 0; i < Sq; i++) {
        let allMasked = true;
        for (let d = 0; d < D; d++) qRow[d] = gq(qAt(b, h, i, d));
        for (let j = 0; j < T; j++) {
          let s = 0;
          const kBase = ((b * Hkv + kvh) * T + j) * D;
          for (let d = 0; d < D; d++) s += qRow[d]! * keys[kBase + d]!;
          raw[j] = s * scale;
          capped[j] = at.softcap !== 0 ? at.softcap * Math.tanh(raw[j]! / at.softcap) : raw[j]!;
          let bj = maskTerm ? maskTerm(b, h, i, j) : 0;
          if (at.isCausal && j > i + causalOffset(b)) bj += -Infinity;
          if (nonpadLen && !(j < nonpadLen[b]!)) bj += -Infinity;
          if (bj !== -Infinity) allMasked = false;
          logits[j] = capped[j]! + bj;
        }
        // A row with no attendable key (every bias entry -inf) gives zero probabilities, not NaN.
        if (allMasked) probs.fill(0);
        else softmaxRow(logits, probs, T);
        if (setQK) {
          const src = at.mode === 0 ? raw : at.mode === 1 ? capped : at.mode === 2 ? logits : probs;
          for (let j = 0; j < T; j++) setQK(((b * Hq + h) * Sq + i) * T + j, src[j]!);
        }
        acc.fill(0);
        for (let j = 0; j < T; j++) {
          const p = probs[j]!;
          const base = ((b * Hkv + kvh) * T + j) * Dv;
          for (let d = 0; d < Dv; d++) acc[d]! += p * values[base + d]!;
        }
        for (let d = 0; d < Dv; d++) setY(yAt(b, h, i, d), acc[d]!);
      }
    }
  }

  const store = (dtype: DType, dims: number[], data: Float64Array): Tensor => {
    const t = Tensor.zeros(dtype, dims);
    const set = setter(t);
    for (let n = 0; n < data.length; n++) set(n, data[n]!);
    return t;
  };
  const presentK = ctx.node.outputs[1] != null ? store(k.type, [B, Hkv, T, D], keys) : undefined;
  const presentV = ctx.node.outputs[2] != null ? store(v.type, [B, Hkv, T, Dv], values) : undefined;
  return [y, presentK, presentV, qkOut].slice(0, Math.max(1, ctx.node.outputs.length)) as Tensor[];
}

/** Softmax over the first n entries; an all -inf row gives zeros (as the reference's safe softmax). */
function softmaxRow(x: Float64Array, out: Float64Array, n: number): void {
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, x[j]!);
  if (m === -Infinity) {
    out.fill(0);
    return;
  }
  let sum = 0;
  for (let j = 0; j < n; j++) {
    out[j] = Math.exp(x[j]! - m);
    sum += out[j]!;
  }
  for (let j = 0; j < n; j++) out[j] = out[j]! / sum;
}

/**
 * Mask value at [b, h, i, j] of the broadcast target [B, Hq, Sq, T]: a bool mask gives 0 (attend) or
 * -inf, a numeric mask its value. A last dim shorter than T is padded with -inf (opset 24) or, when
 * it is 1 and `padShort` is off (opset 23), broadcast.
 */
function maskReader(
  mask: Tensor,
  target: number[],
  padShort: boolean,
): (b: number, h: number, i: number, j: number) => number {
  const dims = [...new Array<number>(4 - mask.dims.length).fill(1), ...mask.dims];
  const [s0, s1, s2, s3] = stridesOf(dims) as [number, number, number, number];
  const [d0, d1, d2, last] = dims as [number, number, number, number];
  const isBool = mask.type === 'bool';
  const get = numGetter(mask);
  return (b, h, i, j) => {
    let jj = j;
    if (last !== target[3]) {
      if (padShort) {
        if (j >= last) return -Infinity;
      } else jj = 0;
    }
    const m = get((d0 === 1 ? 0 : b * s0) + (d1 === 1 ? 0 : h * s1) + (d2 === 1 ? 0 : i * s2) + jj * s3);
    return isBool ? (m ? 0 : -Infinity) : m;
  };
}

function cost(ctx: CostContext): Cost {
  const bytes = ctx.types.reduce((a, t) => a + bytesOf(t), 0) + ctx.outTypes.reduce((a, t) => a + bytesOf(t), 0);
  let g: Geometry | undefined;
  try {
    g = checkInputs(ctx.types, readAttrs(ctx.attrs));
  } catch {
    g = undefined;
  }
  if (!g) return { flops: 0, bytes };
  const n = (d: Dim) => (isNum(d) ? d : 1);
  const scores = n(g.batch) * n(g.qHeads) * n(g.qSeq) * n(g.totalSeq);
  // QK^T and P.V (2 per multiply-add), plus scale, bias add and softmax (about 5 per score)
  const perScore = 2 * n(g.headSize) + 2 * n(g.vHeadSize) + 5 + (ctx.attrs.float('softcap', 0) !== 0 ? 3 : 0);
  return { flops: scores * perScore, bytes };
}

const attention: OpDef = {
  name: 'nn.Attention',
  inputs: ['Q', 'K', 'V', 'attn_mask?', 'past_key?', 'past_value?', 'nonpad_kv_seqlen?'],
  outputs: ['Y', 'present_key?', 'present_value?', 'qk_matmul_output?'],
  attrs: {
    is_causal: { kind: 'int', default: 0 },
    scale: { kind: 'float' },
    q_num_heads: { kind: 'int' },
    kv_num_heads: { kind: 'int' },
    softmax_precision: { kind: 'int' },
    softcap: { kind: 'float', default: 0 },
    qk_matmul_output_mode: { kind: 'int', default: 0 },
    // Canonical attribute for the opset-23 mask rule: 1 (opset 24) pads an attn_mask whose last dim
    // is shorter than total_sequence_length with -inf/false; 0 (opset 23) only broadcasts it.
    pad_short_mask: { kind: 'int', default: 1 },
  },
  infer,
  run,
  cost,
  onnx: {
    type: 'Attention',
    minOpset: 23,
    import(ctx) {
      if (ctx.opset < 24) {
        if (ctx.node.inputs.length > 6) {
          throw new Error(`input nonpad_kv_seqlen needs Attention-24, but the model imports opset ${ctx.opset}`);
        }
        ctx.node.attrs.pad_short_mask = { kind: 'int', value: 0 };
      }
      // Attention-25 (onnx main, not yet released) adds sliding-window attributes; -1 disables them.
      for (const name of ['local_window_size', 'left_window_size', 'right_window_size']) {
        const a = ctx.take(name);
        if (a && !(a.kind === 'int' && a.value === -1)) {
          throw new Error(`attribute '${name}' (sliding-window attention, Attention-25) is not supported`);
        }
      }
    },
  },
};

registerOps([attention]);
