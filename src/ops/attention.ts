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
import { type Dim, freshDim, type Shape, stridesOf } from '../ir/shape.js';
import { numGetter, setter, Tensor } from '../ir/tensor.js';
import { checkInputs, type Geometry, isNum, readAttrs } from './attention-geometry.js';
import { bytesOf, inType } from './util.js';

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
