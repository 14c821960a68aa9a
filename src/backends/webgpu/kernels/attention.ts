// WGSL kernels of the attention family (src/ops/attention.ts): nn.Attention as one fused kernel
// (QK^T, masks, softcap, online softmax, ·V; grouped-query heads; K/V read where they lie, so a
// device-resident KV cache is read in place), and for decode-like shapes (few query rows, many
// keys) flash-decoding: the keys split across workgroups, then one combine dispatch.
// Q/K/V in either layout: 4-D [b, heads, seq, head] or 3-D [b, seq, heads * head] (q_num_heads and
// kv_num_heads), which lets the fusion pass drop the head split/merge transposes around it.
// A past cache (past_key/past_value) is read in place before the new keys. Not here (the node runs
// on the reference path, recorded): present and qk_matmul outputs, nonpad_kv_seqlen.

import type { AttrReader } from '../../../ir/attributes.js';
import type { Node } from '../../../ir/graph.js';
import {
  type KernelContext,
  type NodePlan,
  type PlanArgs,
  registerKernels,
  type TensorInfo,
  type TRef,
} from '../kernel.js';
import { bakedKey } from '../variant.js';
import { fillTemplate, lit, ShaderBuilder, strides } from '../wgsl.js';

export interface AttentionGeometry {
  rank: 3 | 4;
  batch: number;
  qHeads: number;
  kvHeads: number;
  qSeq: number;
  kvSeq: number;
  headSize: number;
  vHeadSize: number;
}

/** Sizes from Q, K, V dims in either layout (the op's shape rule has checked them). */
export function attentionGeometry(q: number[], k: number[], v: number[], attrs: AttrReader): AttentionGeometry {
  if (q.length === 4) {
    return {
      rank: 4,
      batch: q[0]!,
      qHeads: q[1]!,
      kvHeads: k[1]!,
      qSeq: q[2]!,
      kvSeq: k[2]!,
      headSize: q[3]!,
      vHeadSize: v[3]!,
    };
  }
  const qHeads = attrs.int('q_num_heads'),
    kvHeads = attrs.int('kv_num_heads');
  return {
    rank: 3,
    batch: q[0]!,
    qHeads,
    kvHeads,
    qSeq: q[1]!,
    kvSeq: k[1]!,
    headSize: q[2]! / qHeads,
    vHeadSize: v[2]! / kvHeads,
  };
}

/** WGSL offset of element (b, h, s, d) in a 4-D or 3-D attention tensor. */
function offsetExpr(rank: 3 | 4, heads: number, seq: number, dh: number, s = 's'): string {
  return rank === 4
    ? `((b * ${heads}u + h) * ${seq}u + ${s}) * ${dh}u + d`
    : `((b * ${seq}u + ${s}) * ${heads}u + h) * ${dh}u + d`;
}

/** The additive bias of key j for query (b, h, i): the mask (broadcast, short masks padded) and the causal frontier. */
function biasBody(
  mask: TensorInfo | undefined,
  g: AttentionGeometry,
  causal: boolean,
  padShort: boolean,
  past: number,
): string {
  const lines: string[] = ['var bj = 0.0;'];
  if (causal) lines.push(`if (j > i + ${past}u) { return -3.0e38; }`);
  if (mask) {
    const dims = [...new Array<number>(4 - mask.dims.length).fill(1), ...mask.dims];
    const st = strides(dims);
    const idx = ['b', 'h', 'i'].map((c, k) => (dims[k] === 1 ? '' : `${c} * ${st[k]}u + `)).join('');
    const last = dims[3]!;
    let jj = 'j';
    if (last !== g.kvSeq + past) {
      if (padShort) lines.push(`if (j >= ${last}u) { return -3.0e38; }`);
      else jj = '0u';
    }
    const read = `mask(${idx}${jj} * ${st[3]}u)`;
    lines.push(mask.dtype === 'bool' ? `if (${read} == 0u) { return -3.0e38; }` : `bj = bj + f32(${read});`);
  }
  lines.push('_ = b; _ = h; _ = i; _ = j; return bj;');
  return lines.join(' ');
}

/** Key splits for flash-decoding: enough workgroups to fill a GPU when the rows alone do not. */
export function keySplits(rows: number, kvSeq: number, wg: number): { splits: number; chunk: number } {
  if (rows >= 128 || kvSeq < 2 * wg) return { splits: 1, chunk: kvSeq };
  const want = Math.min(Math.ceil(kvSeq / wg), Math.ceil(256 / rows));
  const chunk = Math.ceil(Math.ceil(kvSeq / want) / wg) * wg;
  return { splits: Math.ceil(kvSeq / chunk), chunk };
}

function supportsAttention(node: Node): true | string {
  if (node.inputs[6]) return 'Attention with nonpad_kv_seqlen runs on the reference path (no WGSL kernel)';
  if (!node.inputs[4] !== !node.inputs[5]) return 'Attention with only one of past_key/past_value has no WGSL kernel';
  for (let k = 1; k < node.outputs.length; k++)
    if (node.outputs[k]) return 'Attention with present_key/present_value/qk_matmul outputs has no WGSL kernel';
  const q = node.inputs[0]?.type;
  if (q && q.dtype !== 'float32' && q.dtype !== 'float16') return `Attention on ${q.dtype} has no WGSL kernel`;
  return true;
}

/** Q, K, V of a node: three tensors (nn.Attention) or one packed [b, s, q | k | v] tensor (k.attention). */
interface Sources {
  g: AttentionGeometry;
  mask?: TensorInfo;
  pastK?: TensorInfo;
  pastV?: TensorInfo;
  refs: TRef[];
  bind(b: ShaderBuilder): string;
  qAt: string;
  kAt(j: string): string;
  vAt(j: string): string;
}

function sourcesOf(a: PlanArgs): Sources {
  if (a.node.op === 'k.attention') {
    const [qkv, mask, pastK, pastV] = a.ins as (TensorInfo | undefined)[];
    const [Hq, Hkv] = [a.attrs.int('q_num_heads'), a.attrs.int('kv_num_heads')];
    const [D, Dv] = [a.attrs.int('head_size'), a.attrs.int('v_head_size')];
    const [B, S, W] = qkv!.dims as [number, number, number];
    const g: AttentionGeometry = {
      rank: 3,
      batch: B,
      qHeads: Hq,
      kvHeads: Hkv,
      qSeq: S,
      kvSeq: S,
      headSize: D,
      vHeadSize: Dv,
    };
    const refs: TRef[] = [{ in: 0 }, ...(mask ? [{ in: 1 }] : []), ...(pastK ? [{ in: 2 }, { in: 3 }] : [])];
    return {
      g,
      mask,
      pastK,
      pastV,
      refs,
      bind: (b) => {
        b.input('qkv', qkv!.layout);
        return ['q', 'k', 'v'].map((n) => `fn ${n}(i: u32) -> f32 { return f32(qkv(i)); }`).join('\n');
      },
      qAt: `(b * ${S}u + i) * ${W}u + h * ${D}u + d`,
      kAt: (j) => `(b * ${S}u + ${j}) * ${W}u + ${Hq * D}u + h * ${D}u + d`,
      vAt: (j) => `(b * ${S}u + ${j}) * ${W}u + ${Hq * D + Hkv * D}u + h * ${Dv}u + d`,
    };
  }
  const [q, k, v, mask, pastK, pastV] = a.ins as (TensorInfo | undefined)[];
  const g = attentionGeometry(q!.dims, k!.dims, v!.dims, a.attrs);
  const refs: TRef[] = [
    { in: 0 },
    { in: 1 },
    { in: 2 },
    ...(mask ? [{ in: 3 }] : []),
    ...(pastK ? [{ in: 4 }, { in: 5 }] : []),
  ];
  return {
    g,
    mask,
    pastK,
    pastV,
    refs,
    bind: (b) => {
      b.input('q', q!.layout).input('k', k!.layout).input('v', v!.layout);
      return '';
    },
    qAt: offsetExpr(g.rank, g.qHeads, g.qSeq, g.headSize, 'i'),
    kAt: (j) => offsetExpr(g.rank, g.kvHeads, g.kvSeq, g.headSize, j),
    vAt: (j) => offsetExpr(g.rank, g.kvHeads, g.kvSeq, g.vHeadSize, j),
  };
}

export function planAttention(a: PlanArgs): NodePlan {
  const src = sourcesOf(a);
  const { g, mask, pastK, pastV } = src;
  const y = a.outs[0]!;
  const P = pastK?.dims[2] ?? 0;
  const T = P + g.kvSeq;
  const ctx: KernelContext = a.ctx;
  const WG = Math.min(64, ctx.wg);
  const rows = g.batch * g.qHeads * g.qSeq;
  if (!rows || !g.vHeadSize) return { dispatches: [] };
  const { splits, chunk } = keySplits(rows, T, WG);
  const scale = a.attrs.has('scale') ? a.attrs.float('scale') : 1 / Math.sqrt(g.headSize);
  const softcap = a.attrs.float('softcap', 0);
  const causal = a.attrs.int('is_causal', 0) === 1;
  const yAt = offsetExpr(g.rank, g.qHeads, g.qSeq, g.vHeadSize, 'i');
  const b = new ShaderBuilder();
  const wrappers = src.bind(b);
  if (mask) b.input('mask', mask.layout);
  if (pastK) b.input('pk', pastK.layout).input('pv', pastV!.layout);
  const kAt = src.kAt(P ? '(j - PAST)' : 'j');
  const vAt = src.vAt(P ? '(j - PAST)' : 'j');
  const cacheAt = (dh: number) => offsetExpr(4, g.kvHeads, P, dh, 'j');
  const read = (cache: string, cur: string, at: string, dh: number) =>
    P
      ? `if (j < PAST) { return f32(${cache}(${cacheAt(dh)})); } return f32(${cur}(${at}));`
      : `return f32(${cur}(${at}));`;
  const f32 = (n: number) => ctx.layout('float32', n);
  const store = (x: string) => (y.layout.wtype === 'f32' ? x : `${y.layout.wtype}(${x})`);
  let finish: string;
  if (splits === 1) {
    b.output('y', y.layout);
    finish =
      'let inv = select(1.0 / l, 0.0, l == 0.0);\n  for (var c = 0u; c < DPT; c = c + 1u) {\n' +
      `    let d = t + c * WG; if (d < DV) { y_set(y_at(b, h, i, d), ${store('acc[c] * inv')}); }\n  }`;
  } else {
    b.output('pm', f32(rows * splits))
      .output('pl', f32(rows * splits))
      .output('pacc', f32(rows * splits * g.vHeadSize));
    finish =
      'if (t == 0u) { pm_set(row, m); pl_set(row, l); }\n  for (var c = 0u; c < DPT; c = c + 1u) {\n' +
      '    let d = t + c * WG; if (d < DV) { pacc_set(row * DV + d, acc[c]); }\n  }';
  }
  const dpt = Math.ceil(g.vHeadSize / WG);
  const code = fillTemplate('attention', {
    BINDINGS: `${b.header()}\n${wrappers}`,
    HQ: g.qHeads,
    SQ: g.qSeq,
    SKV: T,
    D: g.headSize,
    DV: g.vHeadSize,
    GROUP: g.qHeads / g.kvHeads,
    SPLITS: splits,
    CHUNK: chunk,
    ROWS: rows,
    WG,
    DPT: dpt,
    SCALE: lit(scale, 'f32'),
    SOFTCAP: lit(softcap, 'f32'),
    Q_AT: src.qAt,
    K_AT: kAt,
    V_AT: vAt,
    PAST: P,
    KEY: read('pk', 'k', 'k_at(b, h, j, d)', g.headSize),
    VALUE: read('pv', 'v', 'v_at(b, h, j, d)', g.vHeadSize),
    Y_AT: yAt,
    BIAS: biasBody(mask, g, causal, a.attrs.int('pad_short_mask', 1) !== 0, P),
    FINISH: finish,
  });
  const ins = src.refs;
  // shapes, past length, splits and workgroup are still baked into the text: all in the key
  const declared = (name: string) => ({
    family: 'attention',
    name,
    key: { ...bakedKey(a), splits, chunk, wg: WG, bindings: b.bindings.length },
  });
  const label = `${a.node.op}:attention${splits > 1 ? `-split${splits}` : ''}`;
  if (splits === 1) {
    return {
      dispatches: [
        {
          code,
          variant: declared('attention'),
          bindings: b.bindings,
          tensors: [...ins, { out: 0 }],
          grid: ctx.grid(rows),
          label,
        },
      ],
    };
  }
  const temps = [f32(rows * splits), f32(rows * splits), f32(rows * splits * g.vHeadSize)];
  const total = rows * g.vHeadSize;
  const cb = new ShaderBuilder().input('pm', temps[0]!).input('pl', temps[1]!).input('pacc', temps[2]!);
  cb.output('y', y.layout);
  const combine = fillTemplate('attention-combine', {
    BINDINGS: cb.header(),
    HQ: g.qHeads,
    SQ: g.qSeq,
    DV: g.vHeadSize,
    SPLITS: splits,
    TOTAL: total,
    WG: ctx.wg,
    Y_AT: yAt,
    STORE: store('select(num / den, 0.0, den == 0.0)'),
  });
  return {
    temps,
    dispatches: [
      {
        code,
        variant: declared('attention'),
        bindings: b.bindings,
        tensors: [...ins, { tmp: 0 }, { tmp: 1 }, { tmp: 2 }],
        grid: ctx.grid(rows * splits),
        label,
      },
      {
        code: combine,
        // the combine reads only the split partials: its text does not depend on the key length
        variant: {
          family: 'attention',
          name: 'combine',
          key: {
            ...{ rank: g.rank, hq: g.qHeads, sq: g.qSeq, dv: g.vHeadSize, splits, total, wg: ctx.wg },
            out: y.dtype,
            bindings: cb.bindings.length,
          },
        },
        bindings: cb.bindings,
        tensors: [{ tmp: 0 }, { tmp: 1 }, { tmp: 2 }, { out: 0 }],
        grid: ctx.grid(Math.ceil(total / ctx.wg)),
        label: `${a.node.op}:attention-combine`,
      },
    ],
  };
}

registerKernels({ ops: ['nn.Attention'], supports: supportsAttention, plan: planAttention });
registerKernels({ ops: ['k.attention'], plan: planAttention });
