// Attention written out as MatMul / Softmax / MatMul (what exporters emit for BERT, GPT-2 and the
// LLM oracle graphs) becomes one nn.Attention node, which the WebGPU backend runs as one fused
// kernel instead of five to nine dispatches. Matched, on static shapes:
//
//   P = Softmax(QKᵀ · c  [+ mask], axis -1)      (c: a scalar Mul or Div, or absent)
//   Y = P · V
//
// with Q [B,H,S,D], Kᵀ [B,Hk,D,L], V [B,Hk,L,Dv] and Hk dividing H. Around it:
// - Q/K/V made by Transpose(Reshape(x [B,S,H·D])) and Y merged back by Reshape(Transpose(Y)) give
//   the 3-D form (q_num_heads/kv_num_heads), so the head split and merge transposes disappear;
// - Kᵀ = Transpose(K, [0,1,3,2]) gives K itself (4-D form);
// - K and V each Concat(past, new) on the sequence axis become past_key/past_value: the kernel
//   reads the past in place instead of a copy being made every step.
// Every intermediate must have this chain as its only reader. The mask keeps numpy broadcasting
// (pad_short_mask = 0). What is left unread is removed by DCE.

import type { Attr } from '../ir/attributes.js';
import { type Graph, Node, type Value } from '../ir/graph.js';
import { isStatic } from '../ir/shape.js';
import { getter } from '../ir/tensor.js';
import { deadCodeElimination } from './dce.js';
import type { Pass } from './pass.js';

type Users = Map<Value, Node[]>;

const dimsOf = (v: Value | null | undefined): number[] | undefined => {
  const s = v?.type?.shape;
  return s && isStatic(s) ? (s as number[]) : undefined;
};
const permOf = (n: Node): number[] | undefined => (n.attrs.perm?.kind === 'ints' ? n.attrs.perm.value : undefined);
const same = (a: readonly number[] | undefined, b: readonly number[]) =>
  !!a && a.length === b.length && a.every((x, i) => x === b[i]);

function only(g: Graph, v: Value | null | undefined, users: Users, op?: string): Node | undefined {
  if (!v || g.outputs.includes(v) || (users.get(v)?.length ?? 0) !== 1) return undefined;
  const p = v.producer;
  return p && (!op || p.op === op) ? p : undefined;
}

/** The one node reading v (of op `op`), when v is not a graph output. */
function soleUser(g: Graph, v: Value | null | undefined, users: Users, op: string): Node | undefined {
  const us = v ? users.get(v) : undefined;
  if (!v || g.outputs.includes(v) || us?.length !== 1 || us[0]!.op !== op) return undefined;
  return us[0]!.inputs[0] === v ? us[0] : undefined;
}

function scalarOf(v: Value | null | undefined): number | undefined {
  const c = v?.const;
  if (!c || c.size !== 1 || c.type !== 'float32') return undefined;
  return Number(getter(c)(0));
}

/** x [B, S, H·D] when v = Transpose(Reshape(x, [B,S,H,D]), perm) and v is read only here. */
function headsSource(g: Graph, v: Value, users: Users, perm: number[]): Value | undefined {
  const t = only(g, v, users, 'nn.Transpose');
  if (!t || !same(permOf(t), perm)) return undefined;
  const r = only(g, t.inputs[0], users, 'nn.Reshape');
  const x = r?.inputs[0];
  const d4 = dimsOf(r?.outputs[0]),
    d3 = dimsOf(x);
  if (!x || !d4 || !d3 || d3.length !== 3 || d4.length !== 4) return undefined;
  return d3[0] === d4[0] && d3[1] === d4[1] && d3[2] === d4[2]! * d4[3]! ? x : undefined;
}

/** past and new when v = Concat([past, new], axis 2) of 4-D tensors, read only here. */
function concatPast(g: Graph, v: Value, users: Users): [Value, Value] | undefined {
  const c = only(g, v, users, 'nn.Concat');
  const axis = c?.attrs.axis?.kind === 'int' ? c.attrs.axis.value : undefined;
  if (!c || c.inputs.length !== 2 || (axis !== 2 && axis !== -2)) return undefined;
  const [past, cur] = c.inputs;
  return past && cur && dimsOf(past)?.length === 4 ? [past, cur] : undefined;
}

interface Match {
  nodes: Node[];
  q: Value;
  k: Value;
  v: Value;
  mask?: Value;
  past?: [Value, Value];
  out: Value;
  scale: number;
  heads?: [number, number];
  /** Nodes whose output `out` was (the head merge), removed with the rewrite. */
  merged: Node[];
}

function match(g: Graph, mm2: Node, users: Users): Match | undefined {
  const [p, v4] = mm2.inputs;
  const sm = only(g, p, users, 'nn.Softmax');
  if (!sm || !v4 || sm.attrs.coerce_2d?.kind === 'int') return undefined;
  const axis = sm.attrs.axis?.kind === 'int' ? sm.attrs.axis.value : -1;
  if (axis !== -1 && axis !== 3) return undefined;
  let x = sm.inputs[0];
  const chain: Node[] = [sm];
  let mask: Value | undefined;
  const add = only(g, x, users, 'nn.Add');
  if (add) {
    const [a, b] = add.inputs;
    const scoreLike = (u: Value | null) => ['nn.Mul', 'nn.Div', 'nn.MatMul'].includes(u?.producer?.op ?? '');
    const [s, m] = scoreLike(a) && !scoreLike(b) ? [a, b] : scoreLike(b) && !scoreLike(a) ? [b, a] : [a, b];
    if (!s || !m || m.type?.dtype !== 'float32') return undefined;
    chain.push(add);
    x = s;
    mask = m;
  }
  let scale = 1;
  const sc = only(g, x, users);
  if (sc?.op === 'nn.Mul' || sc?.op === 'nn.Div') {
    const [a, b] = sc.inputs;
    const cb = scalarOf(b),
      ca = sc.op === 'nn.Mul' ? scalarOf(a) : undefined;
    if (cb !== undefined) {
      scale = sc.op === 'nn.Mul' ? cb : 1 / cb;
      x = a;
    } else if (ca !== undefined) {
      scale = ca;
      x = b;
    } else return undefined;
    chain.push(sc);
  }
  const mm1 = only(g, x, users, 'nn.MatMul');
  if (!mm1) return undefined;
  chain.push(mm1);
  const [q4, kt4] = mm1.inputs;
  const [dq, dkt, dv] = [dimsOf(q4), dimsOf(kt4), dimsOf(v4)];
  if (!q4 || !kt4 || !dq || !dkt || !dv || dq.length !== 4 || dkt.length !== 4 || dv.length !== 4) return undefined;
  const [B, H, S, D] = dq as [number, number, number, number];
  const [Hk, L] = [dkt[1]!, dkt[3]!];
  if (dkt[0] !== B || dv[0] !== B || dkt[2] !== D || dv[1] !== Hk || dv[2] !== L || H % Hk !== 0) return undefined;
  if (mask) {
    const md = dimsOf(mask);
    const want = [B, H, S, L];
    if (!md || md.length > 4 || !md.every((d, i) => d === 1 || d === want[4 - md.length + i])) return undefined;
  }
  // K itself: the transpose under Kᵀ, in 4-D or (head split) 3-D
  const kt = only(g, kt4, users, 'nn.Transpose');
  const k4 = kt && same(permOf(kt), [0, 1, 3, 2]) ? kt.inputs[0]! : undefined;
  const k3 = headsSource(g, kt4, users, [0, 2, 3, 1]);
  // the head merge after Y
  const ot = soleUser(g, mm2.outputs[0], users, 'nn.Transpose');
  const or = ot && same(permOf(ot), [0, 2, 1, 3]) ? soleUser(g, ot.outputs[0], users, 'nn.Reshape') : undefined;
  const merged = or && same(dimsOf(or.outputs[0]), [B, S, H * dv[3]!]) ? or : undefined;
  const q3 = headsSource(g, q4, users, [0, 2, 1, 3]);
  const v3 = headsSource(g, v4, users, [0, 2, 1, 3]);
  const base = { nodes: chain, scale, mask };
  if (q3 && k3 && v3 && merged) {
    return { ...base, q: q3, k: k3, v: v3, out: merged.outputs[0]!, heads: [H, Hk], merged: [ot!, merged] };
  }
  if (!k4) return undefined;
  // 4-D: a past cache concatenated in front of both K and V is read in place
  const pk = concatPast(g, k4, users),
    pv = concatPast(g, v4, users);
  const past = pk && pv ? ([pk[0], pv[0]] as [Value, Value]) : undefined;
  const k = past ? pk![1] : k4,
    v = past ? pv![1] : v4;
  return { ...base, q: q4, k, v, past, out: mm2.outputs[0]!, merged: [] };
}

export function fuseAttentionGraph(g: Graph): number {
  let fused = 0;
  for (let i = 0; i < g.nodes.length; i++) {
    const mm2 = g.nodes[i]!;
    if (mm2.op !== 'nn.MatMul') continue;
    const m = match(g, mm2, g.users());
    if (!m) continue;
    const attrs: Record<string, Attr> = {
      scale: { kind: 'float', value: m.scale },
      pad_short_mask: { kind: 'int', value: 0 },
    };
    if (m.heads) {
      attrs.q_num_heads = { kind: 'int', value: m.heads[0] };
      attrs.kv_num_heads = { kind: 'int', value: m.heads[1] };
    }
    const ins = [m.q, m.k, m.v, m.mask ?? null, ...(m.past ?? [])];
    const node = new Node('nn.Attention', ins, [m.out], attrs, mm2.name);
    g.nodes[i] = node;
    g.nodes = g.nodes.filter((n) => !m.merged.includes(n));
    fused++;
  }
  return fused;
}

export const fuseAttention: Pass = {
  name: 'fuse-attention',
  description:
    'rewrite MatMul/Softmax/MatMul attention chains (scale, additive mask, head split/merge, past concat) ' +
    'into nn.Attention',
  run(g) {
    const n = fuseAttentionGraph(g);
    // the chain's old nodes would still count as readers for the passes after this one
    if (n) deadCodeElimination.run(g);
    return { changed: n > 0, summary: `fused ${n} attention chain${n === 1 ? '' : 's'}` };
  },
};
