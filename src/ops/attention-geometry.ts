// Attention's attributes and geometry: sizes of one call resolved from Q/K/V (and the past cache)
// in the 3-D or 4-D layout, with the shape checks that name the input and the rule broken.

import type { AttrReader } from '../ir/attributes.js';
import type { TensorType } from '../ir/graph.js';
import { type Dim, formatDims, freshDim, type Shape } from '../ir/shape.js';
import { formatType } from '../ir/text-common.js';
import { checkDType, FLOATS, NUMERIC } from './util.js';

/** ONNX TensorProto codes softmax_precision may name: FLOAT, FLOAT16, DOUBLE, BFLOAT16. */
export const SOFTMAX_PRECISIONS: Record<number, string> = { 1: 'float', 10: 'float16', 11: 'double', 16: 'bfloat16' };

/** Sizes of one Attention call, resolved from Q/K/V (and the past cache) in either layout. */
export interface Geometry {
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

export interface AttnAttrs {
  scale?: number;
  isCausal: boolean;
  qNumHeads?: number;
  kvNumHeads?: number;
  softcap: number;
  mode: number;
  padShortMask: boolean;
}

export function readAttrs(a: AttrReader): AttnAttrs {
  const isCausal = a.int('is_causal', 0);
  if (isCausal !== 0 && isCausal !== 1) throw new Error(`is_causal must be 0 or 1, got ${isCausal}`);
  const mode = a.int('qk_matmul_output_mode', 0);
  if (![0, 1, 2, 3].includes(mode)) {
    throw new Error(
      `qk_matmul_output_mode must be 0 (QK^T), 1 (after softcap), 2 (after softcap and mask) or 3 (after ` +
        `softmax), got ${mode}`,
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

export const isNum = (d: Dim | undefined): d is number => typeof d === 'number';

/** Two dims that must be equal: the known one wins; both known and different is an error. */
export function unify(a: Dim, b: Dim, rule: () => string): Dim {
  if (isNum(a) && isNum(b)) {
    if (a !== b) throw new Error(rule());
    return a;
  }
  return isNum(a) ? a : b;
}

/** hidden / heads for the 3-D layout, checking divisibility when the hidden size is known. */
export function splitHidden(hidden: Dim, heads: number, what: string, attr: string): Dim {
  if (!isNum(hidden)) return freshDim('hd');
  if (hidden % heads !== 0) throw new Error(`${what} hidden size ${hidden} is not divisible by ${attr}=${heads}`);
  return hidden / heads;
}

export function addDims(a: Dim, b: Dim): Dim {
  if (b === 0) return a;
  if (isNum(a) && isNum(b)) return a + b;
  return freshDim('tot');
}

/**
 * Resolve the sizes from the shapes of Q, K, V and the past cache, checking every rule that the
 * known dims allow. Works for symbolic dims at infer time and for concrete dims at run time.
 */
export function geometry(
  q: Shape,
  k: Shape,
  v: Shape,
  pk: Shape | undefined,
  pv: Shape | undefined,
  at: AttnAttrs,
): Geometry {
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
        `3-D inputs (Q ${formatDims(q)}) need both q_num_heads and kv_num_heads attributes to split the hidden ` +
          `dim into heads`,
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
        `Q and K head sizes differ: Q hidden ${q[2]} / q_num_heads ${qHeads} = ${qHead}, K hidden ${k[2]} / ` +
        `kv_num_heads ${kvHeads} = ${kHead}`,
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
export function checkMask(mask: Shape, g: Geometry, padShort: boolean): void {
  const target: [string, Dim][] = [
    ['batch_size', g.batch],
    ['q_num_heads', g.qHeads],
    ['q_sequence_length', g.qSeq],
    ['total_sequence_length', g.totalSeq],
  ];
  if (mask.length > 4) {
    throw new Error(
      `attn_mask has shape ${formatDims(mask)}; it must have rank <= 4 and broadcast to [batch_size, ` +
        `q_num_heads, q_sequence_length, total_sequence_length]`,
    );
  }
  const off = 4 - mask.length;
  mask.forEach((d, i) => {
    const [name, want] = target[off + i]!;
    if (!isNum(d) || !isNum(want) || d === 1 || d === want) return;
    if (off + i === 3) {
      if (padShort && d < want) return;
      throw new Error(
        `attn_mask has shape ${formatDims(mask)}; its last dim ${d} must ` +
          `${padShort ? 'be at most' : 'be 1 or equal'} total_sequence_length = past + kv = ${want}` +
          (padShort ? '' : ' (opset 23 broadcasts the mask; padding a shorter mask needs opset 24)'),
      );
    }
    throw new Error(
      `attn_mask has shape ${formatDims(mask)}; dim ${i} (${d}) must be 1 or ${name} (${want}) to broadcast to ` +
        `[batch_size, q_num_heads, q_sequence_length, total_sequence_length]`,
    );
  });
}

export function checkInputs(types: (TensorType | undefined)[], at: AttnAttrs): Geometry | undefined {
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
