// Decomposition of com.microsoft contrib ops into default-domain nn.* ops, so the kernel backends
// run them on the kernels they already have (k.map chains, k.layernorm, k.matmul, k.conv, the
// fused attention and rotary kernels) instead of the reference path. Each rule applies only where
// the rewrite computes exactly the op's semantics (see src/ops/contrib-*.ts); otherwise the
// node stays and the backend records a fallback. Constant MatMulNBits weights are dequantised
// once here, so the matmul runs on float32 weights (8x the memory of 4-bit codes).

import type { Attr } from '../ir/attributes.js';
import { AttrReader } from '../ir/attributes.js';
import { type Graph, Node, Value } from '../ir/graph.js';
import { inferNode } from '../ir/infer.js';
import { isStatic } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import {
  dequantizeNBits,
  fusedPerm,
  nbits4Direct,
  nbitsGeometry,
  nbitsIntDirect,
  rotaryHeads,
} from '../ops/contrib-math.js';
import type { Pass } from './pass.js';

type A = Record<string, Attr>;
const int = (value: number): Attr => ({ kind: 'int', value });
const flt = (value: number): Attr => ({ kind: 'float', value });
const ints = (value: number[]): Attr => ({ kind: 'ints', value });

/** Emits the replacement nodes of one contrib node, typing each new value as it goes. */
class Emitter {
  readonly nodes: Node[] = [];
  private n = 0;
  constructor(readonly base: Node) {}
  private fresh(hint: string): string {
    return `${this.base.name || this.base.outputs[0]?.name || 'c'}.${hint}${this.n++}`;
  }
  const(t: Tensor, hint = 'c'): Value {
    const v = new Value(this.fresh(hint), { dtype: t.type, shape: [...t.dims] });
    v.const = t;
    return v;
  }
  f32(values: number[], dims: number[] = [values.length]): Value {
    return this.const(new Tensor('float32', values, dims));
  }
  i64(values: number[]): Value {
    return this.const(new Tensor('int64', values.map(BigInt), [values.length]));
  }
  /** One node; `outs` are existing values to define (the contrib node's outputs) or a count of new ones. */
  op(op: string, inputs: (Value | null)[], attrs: A = {}, outs: (Value | null)[] | number = 1): Value[] {
    const outputs =
      typeof outs === 'number' ? Array.from({ length: outs }, () => new Value(this.fresh(op.slice(3)))) : outs;
    const node = new Node(op, inputs, outputs, attrs, this.base.name);
    inferNode(node).forEach((t, i) => {
      const o = outputs[i];
      if (o && !o.type) o.type = t;
    });
    this.nodes.push(node);
    return outputs as Value[];
  }
}

const f32Known = (v: Value | null | undefined): boolean =>
  !v || (v.type?.dtype === 'float32' && !!v.type.shape && isStatic(v.type.shape));

function geluChain(e: Emitter, x: Value, bias: Value | null, out: Value, approximate: 'none' | 'tanh'): void {
  const s = bias ? e.op('nn.Add', [x, bias])[0]! : x;
  e.op('nn.Gelu', [s], { approximate: { kind: 'string', value: approximate } }, [out]);
}

const ACTIVATIONS = ['', 'Relu', 'Tanh', 'Sigmoid', 'LeakyRelu', 'HardSigmoid', 'Clip'];

function activation(e: Emitter, x: Value, name: string, params: number[], out: Value): boolean {
  const p = (i: number, d: number) => params[i] ?? d;
  switch (name) {
    case '':
      e.op('nn.Identity', [x], {}, [out]);
      return true;
    case 'Relu':
    case 'Tanh':
    case 'Sigmoid':
      e.op(`nn.${name}`, [x], {}, [out]);
      return true;
    case 'LeakyRelu':
      e.op('nn.LeakyRelu', [x], { alpha: flt(p(0, 0.01)) }, [out]);
      return true;
    case 'HardSigmoid':
      e.op('nn.HardSigmoid', [x], { alpha: flt(p(0, 0.2)), beta: flt(p(1, 0.5)) }, [out]);
      return true;
    case 'Clip':
      e.op('nn.Clip', [x, e.f32([p(0, -3.4e38)], []), e.f32([p(1, 3.4e38)], [])], {}, [out]);
      return true;
  }
  return false;
}

/** The replacement of one node, or false to keep it. */
function decompose(n: Node, e: Emitter, keepNBits4: boolean): boolean {
  const a = new AttrReader(n.attrs, n.describe());
  const [i0, i1, i2, i3, i4, i5] = n.inputs;
  const [o0, o1, o2, o3] = n.outputs;
  const ownChecks = [
    'ms.MatMulNBits',
    'ms.RotaryEmbedding',
    'ms.Attention',
    'ms.EmbedLayerNormalization',
    'ms.MultiHeadAttention',
  ];
  if (!ownChecks.includes(n.op) && !n.inputs.every(f32Known)) return false;
  switch (n.op) {
    case 'ms.Gelu':
      geluChain(e, i0!, null, o0!, 'none');
      return true;
    case 'ms.BiasGelu':
      geluChain(e, i0!, i1!, o0!, 'none');
      return true;
    case 'ms.FastGelu':
      geluChain(e, i0!, i1 ?? null, o0!, 'tanh');
      return true;
    case 'ms.QuickGelu': {
      const ax = e.op('nn.Mul', [i0!, e.f32([a.float('alpha', 1.702)], [])])[0]!;
      e.op('nn.Mul', [i0!, e.op('nn.Sigmoid', [ax])[0]!], {}, [o0!]);
      return true;
    }
    case 'ms.BiasAdd':
      e.op('nn.Add', [e.op('nn.Add', [i0!, i1!])[0]!, i2!], {}, [o0!]);
      return true;
    case 'ms.BiasSplitGelu': {
      const [l, r] = e.op('nn.Split', [e.op('nn.Add', [i0!, i1!])[0]!], { axis: int(-1), num_outputs: int(2) }, 2);
      e.op('nn.Mul', [l!, e.op('nn.Gelu', [r!])[0]!], {}, [o0!]);
      return true;
    }
    case 'ms.SkipLayerNormalization':
    case 'ms.SkipSimplifiedLayerNormalization': {
      if (o1 || o2) return false;
      const rms = n.op === 'ms.SkipSimplifiedLayerNormalization';
      const beta = rms ? null : (i3 ?? null),
        bias = rms ? (i3 ?? null) : (i4 ?? null);
      const sumOut = (last: boolean) => (last && o3 ? [o3] : 1);
      let sum = e.op('nn.Add', [i0!, i1!], {}, sumOut(!bias))[0]!;
      if (bias) sum = e.op('nn.Add', [sum, bias], {}, sumOut(true))[0]!;
      const eps = flt(a.float('epsilon', 1e-12));
      if (rms) e.op('nn.RMSNormalization', [sum, i2!], { axis: int(-1), epsilon: eps }, [o0!]);
      else
        e.op('nn.LayerNormalization', beta ? [sum, i2!, beta] : [sum, i2!], { axis: int(-1), epsilon: eps }, [
          o0!,
          null,
          null,
        ]);
      return true;
    }
    case 'ms.SimplifiedLayerNormalization':
      if (o1 || a.int('stash_type', 1) !== 1) return false;
      e.op(
        'nn.RMSNormalization',
        [i0!, i1!],
        { axis: int(a.int('axis', -1)), epsilon: flt(a.float('epsilon', 1e-5)) },
        [o0!],
      );
      return true;
    case 'ms.MatMulNBits': {
      if (keepNBits4 && (nbits4Direct(n) || nbitsIntDirect(n))) return false;
      if (!f32Known(i0) || !i1?.const || !i2?.const || (i3 && !i3.const) || (i4 && !i4.const) || (i5 && !f32Known(i5)))
        return false;
      const g = nbitsGeometry(a);
      const w = dequantizeNBits(g, i1.const, i2.const, i3?.const, i4?.const);
      // [N, K] -> [K, N] for A · W
      const wt = new Float32Array(g.K * g.N);
      for (let r = 0; r < g.N; r++) for (let k = 0; k < g.K; k++) wt[k * g.N + r] = w[r * g.K + k]!;
      const W = e.const(new Tensor('float32', wt, [g.K, g.N]), 'dequantized');
      if (i5) e.op('nn.Add', [e.op('nn.MatMul', [i0!, W])[0]!, i5], {}, [o0!]);
      else e.op('nn.MatMul', [i0!, W], {}, [o0!]);
      return true;
    }
    case 'ms.FusedMatMul': {
      const t = (v: Value, which: 'A' | 'B'): Value => {
        const perm = fusedPerm(
          v.type!.shape!.length,
          a.int(`transBatch${which}`, 0) !== 0,
          a.int(`trans${which}`, 0) !== 0,
        );
        return perm.every((p, i) => p === i) ? v : e.op('nn.Transpose', [v], { perm: ints(perm) })[0]!;
      };
      const alpha = a.float('alpha', 1);
      if (alpha === 1) e.op('nn.MatMul', [t(i0!, 'A'), t(i1!, 'B')], {}, [o0!]);
      else e.op('nn.Mul', [e.op('nn.MatMul', [t(i0!, 'A'), t(i1!, 'B')])[0]!, e.f32([alpha], [])], {}, [o0!]);
      return true;
    }
    case 'ms.FusedConv': {
      if (!ACTIVATIONS.includes(a.string('activation', ''))) return false;
      const conv: A = Object.fromEntries(Object.entries(n.attrs).filter(([k]) => !k.startsWith('activation')));
      let y = e.op('nn.Conv', i2 ? [i0!, i1!, i2] : [i0!, i1!], conv)[0]!;
      if (i3) y = e.op('nn.Add', [y, i3])[0]!;
      return activation(e, y, a.string('activation', ''), a.floats('activation_params', []), o0!);
    }
    case 'ms.RotaryEmbedding': {
      const x = i0!,
        pos = i1!;
      if (!f32Known(x) || !f32Known(i2) || !f32Known(i3) || !pos.type?.shape) return false;
      let ids = pos;
      if (pos.type.shape.length !== 2) {
        // a start offset: ids [1, S] = offset + 0..S-1
        const S = x.type!.shape![x.type!.shape!.length === 4 ? 2 : 1];
        if (typeof S !== 'number') return false;
        const steps = e.const(
          new Tensor(
            'int64',
            Array.from({ length: S }, (_, i) => BigInt(i)),
            [1, S],
          ),
        );
        ids = e.op('nn.Add', [e.op('nn.Reshape', [pos, e.i64([1, 1])])[0]!, steps])[0]!;
      }
      const heads = rotaryHeads(x.type!, i2!.type!, a.int('num_heads', 0), a.int('rotary_embedding_dim', 0));
      if (heads === undefined) return false;
      const attrs: A = {
        interleaved: int(a.int('interleaved', 0)),
        rotary_embedding_dim: int(a.int('rotary_embedding_dim', 0)),
        num_heads: int(heads),
      };
      e.op('nn.RotaryEmbedding', [x, i2!, i3!, ids], attrs, [o0!]);
      return true;
    }
    case 'ms.MultiHeadAttention':
      return mhaToAttention(n, a, e);
    case 'ms.Attention':
      return bertAttention(n, a, e);
    case 'ms.EmbedLayerNormalization':
      return embedLayerNorm(n, a, e);
  }
  return false;
}

/**
 * MultiHeadAttention with 3-D Q/K/V and no qk output is ONNX Attention (a key_padding_mask becomes an additive mask).
 */
function mhaToAttention(n: Node, a: AttrReader, e: Emitter): boolean {
  const [q, k, v, bias, kpm, attnBias, pastK, pastV] = n.inputs;
  if (kpm && !f32Known(q)) return false;
  const [y, presentK, presentV, qk] = n.outputs;
  if (!k || !v || qk || n.inputs[8] || ![q, k, v, bias, attnBias, pastK, pastV].every(f32Known)) return false;
  if (k.type!.shape!.length !== 3 || q!.type!.shape!.length !== 3) return false;
  const N = a.int('num_heads');
  let mask: Value | null = attnBias ?? null;
  if (kpm) {
    const md = kpm.type?.shape,
      T = (k.type!.shape![1] as number) + (pastK ? (pastK.type!.shape![2] as number) : 0);
    if (!md || !isStatic(md) || kpm.type!.dtype !== 'int32' || md.length > 2) return false;
    const filter = a.float('mask_filter_value', -10000);
    let add: Value;
    if (md.length === 2) add = additiveMask(e, kpm, filter, [1, 2]);
    else {
      // lengths: key j of row b is masked from kpm[b] on
      const j = e.const(
        new Tensor(
          'int32',
          Array.from({ length: T }, (_, i) => i),
          [1, T],
        ),
      );
      const keep = e.op('nn.Less', [j, e.op('nn.Unsqueeze', [kpm, e.i64([1])])[0]!])[0]!;
      add = additiveMask(e, e.op('nn.Cast', [keep], { to: int(6) })[0]!, filter, [1, 2]);
    }
    mask = mask ? e.op('nn.Add', [add, mask])[0]! : add;
  }
  let [Q, K, V] = [q!, k, v];
  if (bias) {
    if (!bias.const) return false;
    const D = q!.type!.shape![2] as number,
      b = bias.const.data as Float32Array;
    Q = e.op('nn.Add', [Q, e.f32(Array.from(b.subarray(0, D)))])[0]!;
    K = e.op('nn.Add', [K, e.f32(Array.from(b.subarray(D, 2 * D)))])[0]!;
    V = e.op('nn.Add', [V, e.f32(Array.from(b.subarray(2 * D)))])[0]!;
  }
  const attrs: A = { q_num_heads: int(N), kv_num_heads: int(N), is_causal: int(a.int('unidirectional', 0)) };
  const scale = a.float('scale', 0);
  if (scale) attrs.scale = flt(scale);
  e.op('nn.Attention', [Q, K, V, mask, pastK ?? null, pastV ?? null], attrs, [y!, presentK ?? null, presentV ?? null]);
  return true;
}

/** An int mask (> 0 keeps) as the additive float mask the contrib ops use: 0 or mask_filter_value. */
function additiveMask(e: Emitter, m: Value, filter: number, axes: number[]): Value {
  const keep = e.op('nn.Cast', [e.op('nn.Greater', [m, e.const(new Tensor(m.type!.dtype, [0], []))])[0]!], {
    to: int(1),
  })[0]!;
  const drop = e.op('nn.Mul', [e.op('nn.Sub', [e.f32([1], []), keep])[0]!, e.f32([filter], [])])[0]!;
  return e.op('nn.Unsqueeze', [drop, e.i64(axes)])[0]!;
}

/** BERT Attention: QKV projection, split, ONNX Attention (past split from / present stacked into [2, ...]). */
function bertAttention(n: Node, a: AttrReader, e: Emitter): boolean {
  const [x, w, bias, mask, past, attnBias] = n.inputs;
  const [y, present] = n.outputs;
  if (![x, w, bias, past, attnBias].every(f32Known) || n.inputs[6]) return false;
  if (a.int('do_rotary', 0) || a.int('past_present_share_buffer', 0)) return false;
  const total = (w!.type!.shape as number[])[1]!;
  const N = a.int('num_heads');
  const sizes = a.ints('qkv_hidden_sizes', [total / 3, total / 3, total / 3]);
  const filter = a.float('mask_filter_value', -10000);
  let attnMask: Value | null = null;
  if (mask) {
    const md = mask.type?.shape;
    if (!md || !isStatic(md) || mask.type!.dtype !== 'int32' || md.length < 2 || md.length > 3) return false;
    attnMask = additiveMask(e, mask, filter, md.length === 2 ? [1, 2] : [1]);
  }
  if (attnBias) attnMask = attnMask ? e.op('nn.Add', [attnMask, attnBias])[0]! : attnBias;
  let qkv = e.op('nn.MatMul', [x!, w!])[0]!;
  if (bias) qkv = e.op('nn.Add', [qkv, bias])[0]!;
  const [q, k, v] = e.op('nn.Split', [qkv, e.i64(sizes)], { axis: int(2) }, 3);
  let pk: Value | null = null,
    pv: Value | null = null;
  if (past) {
    const halves = e.op('nn.Split', [past], { axis: int(0), num_outputs: int(2) }, 2);
    [pk, pv] = halves.map((h) => e.op('nn.Squeeze', [h, e.i64([0])])[0]!);
  }
  const attrs: A = { q_num_heads: int(N), kv_num_heads: int(N), is_causal: int(a.int('unidirectional', 0)) };
  if (a.float('scale', 0)) attrs.scale = flt(a.float('scale', 0));
  const presentKV = present ? [new Value(`${n.name}.present_key`), new Value(`${n.name}.present_value`)] : [];
  const [, prk, prv] = e.op('nn.Attention', [q!, k!, v!, attnMask, pk, pv], attrs, [y!, ...presentKV]);
  if (present) {
    const parts = [prk!, prv!].map((t) => e.op('nn.Unsqueeze', [t, e.i64([0])])[0]!);
    e.op('nn.Concat', parts, { axis: int(0) }, [present]);
  }
  return true;
}

/** EmbedLayerNormalization: three Gathers, their sum, LayerNormalization, and the mask's row sums. */
function embedLayerNorm(n: Node, a: AttrReader, e: Emitter): boolean {
  const [ids, seg, word, pos, segEmb, gamma, beta, mask, posIds] = n.inputs;
  const [y, maskIndex, sumOut] = n.outputs;
  if (![word, pos, segEmb, gamma, beta].every(f32Known) || !ids?.type?.shape || !isStatic(ids.type.shape)) return false;
  const [B, S] = ids.type.shape as [number, number];
  let sum = e.op('nn.Gather', [word!, ids], { axis: int(0) })[0]!;
  const p = e.op('nn.Gather', [pos!, posIds ?? e.i64(Array.from({ length: S }, (_, i) => i))], { axis: int(0) })[0]!;
  sum = e.op('nn.Add', [sum, p], {}, seg || !sumOut ? 1 : [sumOut])[0]!;
  if (seg)
    sum = e.op('nn.Add', [sum, e.op('nn.Gather', [segEmb!, seg], { axis: int(0) })[0]!], {}, sumOut ? [sumOut] : 1)[0]!;
  e.op('nn.LayerNormalization', [sum, gamma!, beta!], { axis: int(-1), epsilon: flt(a.float('epsilon', 1e-12)) }, [
    y!,
    null,
    null,
  ]);
  if (maskIndex) {
    if (!mask) e.op('nn.Identity', [e.const(new Tensor('int32', new Int32Array(B), [B]))], {}, [maskIndex]);
    else {
      const ones = e.op(
        'nn.Cast',
        [e.op('nn.Not', [e.op('nn.Equal', [mask, e.const(new Tensor('int32', [0], []))])[0]!])[0]!],
        { to: int(6) },
      )[0]!;
      e.op('nn.ReduceSum', [ones, e.i64([1])], { keepdims: int(0) }, [maskIndex]);
    }
  }
  return true;
}

function decomposePass(name: string, keepNBits4: boolean, what: string): Pass {
  return {
    name,
    description:
      `rewrite com.microsoft contrib ops (Gelu family, skip/simplified layer norms, MatMulNBits ` +
      `${what}, FusedMatMul, FusedConv, RotaryEmbedding, MultiHeadAttention, Attention, ` +
      `EmbedLayerNormalization) into nn.* ops with kernels`,
    run(g: Graph) {
      let count = 0;
      const out: Node[] = [];
      for (const n of g.nodes) {
        if (!n.op.startsWith('ms.')) {
          out.push(n);
          continue;
        }
        const e = new Emitter(n);
        if (decompose(n, e, keepNBits4)) {
          out.push(...e.nodes);
          count++;
        } else out.push(n);
      }
      g.nodes = out;
      return { changed: count > 0, summary: `decomposed ${count} contrib nodes into nn ops` };
    },
  };
}

/** For GPU kernels: constant MatMulNBits weights dequantised to a float32 matmul. */
export const decomposeContrib = decomposePass('decompose-contrib', false, 'with constant weights dequantised');
/** For the WASM backend, whose 4-bit kernel reads MatMulNBits codes directly: those nodes are kept. */
export const decomposeContribCpu = decomposePass(
  'decompose-contrib-cpu',
  true,
  '(4-bit ones kept for the direct kernel)',
);
