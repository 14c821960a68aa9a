// Q, K and V as one matmul: an nn.Attention whose three inputs are projections of the same tensor
// by constant weights (MatMul, optionally + a constant bias) becomes one MatMul with the weights
// (and biases) concatenated, feeding k.attention, which reads the packed result in place. Three
// projection dispatches become one, and the head split/merge around them disappears. Matched where
// Q/K/V are 3-D [b, s, heads·head] (or 4-D heads views of such a tensor: Transpose(Reshape(x)),
// or a Reshape when the sequence is 1) and the output is 3-D, or 4-D with a sequence of 1.

import { type Graph, Node, Value } from '../ir/graph.js';
import { isStatic } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import '../ops/kernel/attention.js';
import { deadCodeElimination } from './dce.js';
import type { Pass } from './pass.js';

type Users = Map<Value, Node[]>;

const dimsOf = (v: Value | null | undefined): number[] | undefined => {
  const s = v?.type?.shape;
  return s && isStatic(s) ? (s as number[]) : undefined;
};

function soleProducer(g: Graph, v: Value | null | undefined, users: Users, op: string): Node | undefined {
  if (!v || g.outputs.includes(v) || users.get(v)?.length !== 1 || v.producer?.op !== op) return undefined;
  return v.producer;
}

/** The 3-D tensor [b, s, h·d] behind an attention input (itself, or the source of a heads view). */
function flat(g: Graph, v: Value, users: Users): Value | undefined {
  const d = dimsOf(v);
  if (d?.length === 3) return v;
  if (d?.length !== 4) return undefined;
  const t = soleProducer(g, v, users, 'nn.Transpose');
  const perm = t?.attrs.perm?.kind === 'ints' ? t.attrs.perm.value : undefined;
  const r = t ? soleProducer(g, t.inputs[0], users, 'nn.Reshape') : soleProducer(g, v, users, 'nn.Reshape');
  const x = r?.inputs[0];
  const dx = dimsOf(x);
  if (!x || !dx || dx.length !== 3 || dx[0] !== d[0]) return undefined;
  // Transpose(Reshape(x, [b,s,h,d]), [0,2,1,3]), or Reshape(x, [b,h,1,d]) when s = 1
  if (t) return perm && perm.join() === '0,2,1,3' && dx[1] === d[2] && dx[2] === d[1]! * d[3]! ? x : undefined;
  return d[2] === 1 && dx[1] === 1 && dx[2] === d[1]! * d[3]! ? x : undefined;
}

interface Projection {
  x: Value;
  w: Tensor;
  b?: Tensor;
}

function projection(g: Graph, v: Value, users: Users): Projection | undefined {
  let m = v;
  let b: Tensor | undefined;
  const add = soleProducer(g, v, users, 'nn.Add');
  if (add) {
    const [p, q] = add.inputs;
    const c = q?.const ?? p?.const;
    const other = q?.const ? p : q;
    if (!c || !other || c.dims.length !== 1) return undefined;
    b = c;
    m = other;
  }
  const mm = soleProducer(g, m, users, 'nn.MatMul');
  const w = mm?.inputs[1]?.const;
  if (!mm || !w || w.dims.length !== 2 || w.type !== 'float32' || !mm.inputs[0]) return undefined;
  if (b && b.dims[0] !== w.dims[1]) return undefined;
  return { x: mm.inputs[0], w, b };
}

function concatColumns(ts: Tensor[]): Tensor {
  const K = ts[0]!.dims[0]!;
  const N = ts.reduce((a, t) => a + t.dims[1]!, 0);
  const out = new Float32Array(K * N);
  let off = 0;
  for (const t of ts) {
    const n = t.dims[1]!;
    const src = t.data as Float32Array;
    for (let k = 0; k < K; k++) out.set(src.subarray(k * n, k * n + n), k * N + off);
    off += n;
  }
  return new Tensor('float32', out, [K, N]);
}

function constValue(name: string, t: Tensor): Value {
  const v = new Value(name, { dtype: t.type, shape: [...t.dims] });
  v.const = t;
  return v;
}

export function packQkvGraph(g: Graph): number {
  let packed = 0;
  for (let i = 0; i < g.nodes.length; i++) {
    const att = g.nodes[i]!;
    if (att.op !== 'nn.Attention' || att.inputs[6] || att.outputs.slice(1).some((o) => o)) continue;
    const users = g.users();
    const [q4, k4, v4] = att.inputs;
    const y = att.outputs[0]!;
    const dq = dimsOf(q4),
      dk = dimsOf(k4),
      dv = dimsOf(v4),
      dy = dimsOf(y);
    if (!q4 || !k4 || !v4 || !dq || !dk || !dv || !dy) continue;
    const rank = dq.length;
    if (rank === 4 && dq[2] !== 1) continue; // a 4-D output is a view of the 3-D one only for one query
    const [hq, hkv] =
      rank === 4 ? [dq[1]!, dk[1]!] : [att.attrs.q_num_heads, att.attrs.kv_num_heads].map((a) => Number(a?.value));
    const [d, dvh] = rank === 4 ? [dq[3]!, dv[3]!] : [dq[2]! / hq!, dv[2]! / hkv!];
    const flats = [q4, k4, v4].map((v) => flat(g, v, users));
    if (flats.some((f) => !f) || new Set(flats).size !== 3) continue;
    const ps = flats.map((f) => projection(g, f!, users));
    if (ps.some((p) => !p) || ps.some((p) => p!.x !== ps[0]!.x) || ps.some((p) => !p!.b !== !ps[0]!.b)) continue;
    const sq = dimsOf(flats[0]);
    if (!sq || dimsOf(flats[1])?.[1] !== sq[1]) continue; // packed rows: K/V as long as Q
    const x = ps[0]!.x;
    const base = att.name || y.name;
    const w = constValue(`${base}.qkv_weight`, concatColumns(ps.map((p) => p!.w)));
    const nodes: Node[] = [];
    let qkv = new Value(`${base}.qkv`, { dtype: 'float32', shape: [...sq.slice(0, 2), w.const!.dims[1]!] });
    nodes.push(new Node('nn.MatMul', [x, w], [qkv], {}, att.name));
    if (ps[0]!.b) {
      const bias = ps.map((p) => p!.b!.data as Float32Array);
      const cat = new Float32Array(bias.reduce((a, t) => a + t.length, 0));
      let off = 0;
      for (const t of bias) cat.set(t, (off += t.length) - t.length);
      const out = new Value(`${base}.qkv_biased`, qkv.type);
      nodes.push(
        new Node('nn.Add', [qkv, constValue(`${base}.qkv_bias`, new Tensor('float32', cat, [cat.length]))], [out]),
      );
      qkv = out;
    }
    const attrs = {
      ...Object.fromEntries(
        ['scale', 'is_causal', 'softcap', 'pad_short_mask'].flatMap((k) => (att.attrs[k] ? [[k, att.attrs[k]]] : [])),
      ),
      q_num_heads: { kind: 'int' as const, value: hq! },
      kv_num_heads: { kind: 'int' as const, value: hkv! },
      head_size: { kind: 'int' as const, value: d! },
      v_head_size: { kind: 'int' as const, value: dvh! },
    };
    const ins = [qkv, att.inputs[3] ?? null, att.inputs[4] ?? null, att.inputs[5] ?? null];
    if (rank === 3) nodes.push(new Node('k.attention', ins, [y], attrs, att.name));
    else {
      const y3 = new Value(`${base}.y3`, { dtype: 'float32', shape: [dy[0]!, 1, hq! * dvh!] });
      nodes.push(new Node('k.attention', ins, [y3], attrs, att.name));
      const shape = constValue(`${base}.y4_shape`, Tensor.from('int64', dy.map(BigInt), [4]));
      nodes.push(new Node('nn.Reshape', [y3, shape], [y], {}, att.name));
    }
    g.nodes.splice(i, 1, ...nodes);
    i += nodes.length - 1;
    packed++;
  }
  return packed;
}

export const packQkv: Pass = {
  name: 'pack-qkv',
  description: 'merge the Q, K and V projections of an attention into one matmul read in place (k.attention)',
  run(g) {
    const n = packQkvGraph(g);
    // the chain's old nodes would still count as readers for the passes after this one
    if (n) deadCodeElimination.run(g);
    return { changed: n > 0, summary: `packed ${n} Q/K/V projection triple${n === 1 ? '' : 's'}` };
  },
};
