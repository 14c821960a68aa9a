// Graphs in the shape torch.onnx.export emits: shape arithmetic on Shape/Gather/Unsqueeze/Concat,
// Constant nodes, Cast/Range/Expand/Where masks, decomposed LayerNorm and GELU, attention built
// from MatMul/Transpose/Softmax.

import { GraphBuilder } from '../../src/ir/builder.js';
import type { Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { seeded } from '../helpers/weights.js';

const W = seeded(11);
const i64 = (...v: number[]) => Tensor.from('int64', v.map(BigInt));
const scalarI64 = (v: number) => Tensor.from('int64', [BigInt(v)], []);

/** x.view(x.size(0), -1) followed by a Linear, as exported. */
export function viewLinear(): GraphBuilder {
  const g = new GraphBuilder('view_linear', 17);
  const x = g.input('x', 'float32', ['batch', 4, 3]);
  const shape = g.op('Shape', [x]);
  const b = g.op('Gather', [shape, g.op('Constant', [], { value: scalarI64(0) })], { axis: 0 });
  const target = g.concat([g.op('Unsqueeze', [b, g.constant(i64(0))]), g.op('Constant', [], { value: i64(-1) })], 0);
  const flat = g.op('Reshape', [x, target]);
  const y = g.gemm(flat, g.constant(W.tensor([5, 12])), g.constant(W.tensor([5])), { transB: 1 });
  g.output(g.op('Identity', [y]), 'y');
  return g;
}

function layerNormDecomposed(g: GraphBuilder, x: Value, dim: number): Value {
  const axes = g.constant(i64(-1));
  const mean = g.op('ReduceMean', [x, axes]);
  const d = g.sub(x, mean);
  const v = g.op('ReduceMean', [g.op('Pow', [d, g.scalar(2)]), axes]);
  const n = g.div(d, g.op('Sqrt', [g.add(v, g.scalar(1e-5))]));
  return g.add(g.mul(n, g.constant(W.positive([dim]))), g.constant(W.tensor([dim], 0.1)));
}

function geluDecomposed(g: GraphBuilder, x: Value): Value {
  const e = g.op('Erf', [g.div(x, g.scalar(Math.SQRT2))]);
  return g.mul(g.mul(x, g.add(e, g.scalar(1))), g.scalar(0.5));
}

/** A BERT-style encoder layer with a padding mask built from input lengths (Range/Expand/Where). */
export function encoderLayer(): GraphBuilder {
  const g = new GraphBuilder('encoder_layer', 17);
  const S = 6,
    D = 8,
    H = 2,
    Dh = 4;
  const x = g.input('x', 'float32', [1, S, D]);
  const len = g.input('len', 'int64', [1]);
  const proj = (v: Value) => g.add(g.matmul(v, g.constant(W.tensor([D, D], 0.4))), g.constant(W.tensor([D], 0.1)));
  const heads = (v: Value) => g.transpose(g.reshape(v, [1, S, H, Dh]), [0, 2, 1, 3]);
  const q = heads(proj(x)),
    k = heads(proj(x)),
    v = heads(proj(x));
  let scores = g.div(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), g.scalar(Math.sqrt(Dh)));
  // mask[j] = j < len, broadcast over heads and queries
  const pos = g.op('Range', [g.constant(scalarI64(0)), g.constant(scalarI64(S)), g.constant(scalarI64(1))]);
  const keep = g.op('Less', [pos, len]);
  const mask = g.op('Expand', [g.reshape(g.op('Cast', [keep], { to: 9 }), [1, 1, 1, S]), g.constant(i64(1, H, S, S))]);
  scores = g.op('Where', [mask, scores, g.scalar(-1e4)]);
  const ctx = g.reshape(g.transpose(g.matmul(g.softmax(scores, -1), v), [0, 2, 1, 3]), [1, S, D]);
  let h = layerNormDecomposed(g, g.add(x, proj(ctx)), D);
  const ff = g.add(
    g.matmul(
      geluDecomposed(g, g.add(g.matmul(h, g.constant(W.tensor([D, 16], 0.3))), g.constant(W.tensor([16], 0.1)))),
      g.constant(W.tensor([16, D], 0.3)),
    ),
    g.constant(W.tensor([D], 0.1)),
  );
  h = g.op('LayerNormalization', [g.add(h, ff), g.constant(W.positive([D])), g.constant(W.tensor([D], 0.1))], {
    axis: -1,
    epsilon: 1e-5,
  });
  g.output(h, 'hidden');
  return g;
}

/** Elementwise chains and slicing that fusion and folding must keep exact. */
export function elementwiseMix(): GraphBuilder {
  const g = new GraphBuilder('elementwise_mix', 17);
  const x = g.input('x', 'float32', [2, 5, 6]);
  const a = g.op('Clip', [g.op('LeakyRelu', [g.mul(x, g.scalar(3))], { alpha: 0.1 }), g.scalar(-0.5), g.scalar(2)]);
  const s = g.op('Slice', [a, g.constant(i64(1)), g.constant(i64(-1)), g.constant(i64(1)), g.constant(i64(2))]);
  const t = g.op('Tanh', [g.op('Sigmoid', [s])]);
  const m = g.op('ReduceSum', [t, g.constant(i64(1))], { keepdims: 0 });
  g.output(g.op('HardSwish', [g.sub(m, g.scalar(1))]), 'y');
  g.output(g.op('ArgMax', [a], { axis: 2, keepdims: 0 }), 'idx');
  return g;
}

export const PYTORCH: Record<string, () => GraphBuilder> = { viewLinear, encoderLayer, elementwiseMix };
