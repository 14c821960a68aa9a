// ai.onnx.preview.FlexAttention: scaled dot-product attention whose scores and probabilities
// may be rewritten by subgraphs (PyTorch's flex_attention score_mod, plus a prob_mod).
//
// Q [B, Hq, L, E], K [B, Hkv, S, E], V [B, Hkv, S, Ev] with Hq a multiple of Hkv (query head h
// reads kv head h / (Hq/Hkv)). scores = scale · Q Kᵀ (scale defaults to 1/sqrt(E)); score_mod
// maps the [B, Hq, L, S] scores to new scores, softmax runs over S, prob_mod maps the
// probabilities, and Y = probs · V is [B, Hq, L, Ev]. The subgraphs take one tensor and return
// one; they are run node by node with the ops' reference implementations, at the input's type.

import type { Graph, Node, Value } from '../ir/graph.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { evalNode } from './evaluate.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

/** Run a self-contained one-input, one-output subgraph on `x`. */
function runModifier(g: Graph, x: Tensor, what: string): Tensor {
  if (g.inputs.length !== 1 || g.outputs.length !== 1) {
    throw new Error(
      `${what} must take one tensor and return one (it has ${g.inputs.length} inputs, ${g.outputs.length} outputs)`,
    );
  }
  const env = new Map<Value, Tensor>([[g.inputs[0]!, x]]);
  const read = (v: Value | null): Tensor | undefined => {
    if (!v) return undefined;
    const t = v.const ?? env.get(v);
    if (!t) throw new Error(`${what}: value '${v.name}' has no data (an outer-scope value, which ${what} may not use)`);
    return t;
  };
  for (const n of g.nodes)
    evalNode(n, n.inputs.map(read)).forEach((t, i) => {
      const o = n.outputs[i];
      if (o) env.set(o, t);
    });
  const y = read(g.outputs[0]!)!;
  if (y.dims.join(',') !== x.dims.join(','))
    throw new Error(`${what} returned shape [${y.dims}] for input [${x.dims}]`);
  return y;
}

function modifier(node: Node, name: string): Graph | undefined {
  const a = node.attrs[name];
  if (!a) return undefined;
  if (a.kind !== 'graph') throw new Error(`attribute '${name}' must be a graph, got ${a.kind}`);
  return a.value;
}

const flexAttention: OpDef = {
  name: 'nn.FlexAttention',
  inputs: ['Q', 'K', 'V'],
  outputs: ['Y'],
  attrs: { scale: { kind: 'float', default: 0 }, score_mod: { kind: 'graph' }, prob_mod: { kind: 'graph' } },
  infer(ctx) {
    const q = inType(ctx, 0, 'Q'),
      k = inType(ctx, 1, 'K'),
      v = inType(ctx, 2, 'V');
    checkDType(q, FLOATS, 'Q');
    for (const [t, n] of [
      [k, 'K'],
      [v, 'V'],
    ] as const) {
      if (t.dtype !== q.dtype) throw new Error(`${n} ${formatType(t)} must have the type of Q ${formatType(q)}`);
      if (t.shape && t.shape.length !== 4)
        throw new Error(`${n} ${formatType(t)} must be 4-D [batch, heads, length, size]`);
    }
    if (!q.shape || !v.shape) return [{ dtype: q.dtype }];
    if (q.shape.length !== 4) throw new Error(`Q ${formatType(q)} must be 4-D [batch, heads, length, size]`);
    return [{ dtype: q.dtype, shape: [q.shape[0]!, q.shape[1]!, q.shape[2]!, v.shape[3]!] }];
  },
  run({ node, inputs: [qt, kt, vt], attrs }) {
    const [B, Hq, L, E] = qt!.dims as [number, number, number, number];
    const [kB, Hkv, S, kE] = kt!.dims as [number, number, number, number];
    const Ev = vt!.dims[3]!;
    if (kB !== B || kE !== E || Hq % Hkv || vt!.dims.slice(0, 3).join(',') !== [B, Hkv, S].join(',')) {
      throw new Error(
        `Q [${qt!.dims}], K [${kt!.dims}], V [${vt!.dims}] must be [B, Hq, L, E], [B, Hkv, S, E], ` +
          '[B, Hkv, S, Ev] with Hkv dividing Hq',
      );
    }
    const scale = attrs.float('scale', 0) || 1 / Math.sqrt(E);
    const q = toF64(qt!),
      k = toF64(kt!),
      v = toF64(vt!);
    const group = Hq / Hkv;
    let scores: Float64Array = new Float64Array(B * Hq * L * S);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < Hq; h++) {
        const kh = b * Hkv + Math.floor(h / group);
        for (let l = 0; l < L; l++)
          for (let s = 0; s < S; s++) {
            let acc = 0;
            for (let e = 0; e < E; e++) acc += q[((b * Hq + h) * L + l) * E + e]! * k[(kh * S + s) * E + e]!;
            scores[((b * Hq + h) * L + l) * S + s] = acc * scale;
          }
      }
    const dims = [B, Hq, L, S];
    const scoreMod = modifier(node, 'score_mod');
    if (scoreMod) scores = toF64(runModifier(scoreMod, fromF64(qt!.type, dims, scores), 'score_mod'));
    for (let r = 0; r < B * Hq * L; r++) {
      let m = -Infinity;
      for (let s = 0; s < S; s++) m = Math.max(m, scores[r * S + s]!);
      let sum = 0;
      for (let s = 0; s < S; s++) {
        const e = Math.exp(scores[r * S + s]! - m);
        scores[r * S + s] = e;
        sum += e;
      }
      for (let s = 0; s < S; s++) scores[r * S + s] /= sum;
    }
    const probMod = modifier(node, 'prob_mod');
    if (probMod) scores = toF64(runModifier(probMod, fromF64(qt!.type, dims, scores), 'prob_mod'));
    const y = new Float64Array(B * Hq * L * Ev);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < Hq; h++) {
        const kh = b * Hkv + Math.floor(h / group);
        for (let l = 0; l < L; l++) {
          const row = (b * Hq + h) * L + l;
          for (let s = 0; s < S; s++) {
            const p = scores[row * S + s]!;
            for (let e = 0; e < Ev; e++) y[row * Ev + e] += p * v[(kh * S + s) * Ev + e]!;
          }
        }
      }
    return [fromF64(qt!.type, [B, Hq, L, Ev], y)];
  },
  cost(ctx) {
    const s = numelOf(ctx.types[1]) / Math.max(1, Number(ctx.types[1]?.shape?.[3]) || 1);
    return {
      flops: 2 * numelOf(ctx.types[0]) * s + 2 * numelOf(ctx.outTypes[0]) * s,
      bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + bytesOf(ctx.outTypes[0]),
    };
  },
  onnx: { type: 'FlexAttention', domain: 'ai.onnx.preview', minOpset: 1 },
};

registerOps([flexAttention]);
