// The WebGPU fusion passes on graphs (no device): which attention chains fuse-attention rewrites
// and which it must leave alone, and which transposes free-transpose turns into views.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { freeTransposes, movesOnlyUnitAxes } from '../../src/passes/free-transpose.js';
import { fuseAttentionGraph } from '../../src/passes/fuse-attention.js';
import { runPipeline } from '../../src/passes/index.js';

function chain(opts: { axis?: number; div?: number; exposeScores?: boolean; mask?: boolean }): Graph {
  const g = new GraphBuilder('attn', 17);
  const q = g.input('q', 'float32', [1, 2, 4, 8]);
  const k = g.input('k', 'float32', [1, 2, 5, 8]);
  const v = g.input('v', 'float32', [1, 2, 5, 8]);
  const mm = g.matmul(q, g.transpose(k, [0, 1, 3, 2]));
  const scaled = opts.div ? g.div(mm, g.constant(Tensor.from('float32', [opts.div], []))) : mm;
  const masked = opts.mask ? g.add(scaled, g.input('mask', 'float32', [1, 1, 4, 5])) : scaled;
  const p = g.softmax(masked, opts.axis ?? -1);
  g.output(g.matmul(p, v), 'y');
  if (opts.exposeScores) g.output(scaled, 'scores');
  const graph = g.build();
  runPipeline(graph, ['shape-inference']);
  return graph;
}

test('a scaled, masked attention chain becomes one nn.Attention with the scale', () => {
  const g = chain({ div: 4, mask: true });
  assert.equal(fuseAttentionGraph(g), 1);
  const att = g.nodes.find((n) => n.op === 'nn.Attention')!;
  assert.ok(att);
  assert.equal(att.attrs.scale?.value, 0.25);
  assert.equal(att.attrs.pad_short_mask?.value, 0);
  assert.equal(att.inputs[3]?.name, 'mask');
});

test('chains that are not attention are left alone', () => {
  assert.equal(fuseAttentionGraph(chain({ axis: 2 })), 0, 'softmax over another axis');
  assert.equal(fuseAttentionGraph(chain({ div: 2, exposeScores: true })), 0, 'scores read elsewhere');
});

test('free-transpose: only transposes that keep the data in place become reshapes', () => {
  assert.ok(movesOnlyUnitAxes([1, 1, 12, 64], [0, 2, 1, 3]));
  assert.ok(!movesOnlyUnitAxes([1, 4, 12, 64], [0, 2, 1, 3]));
  assert.ok(!movesOnlyUnitAxes([2, 3], [1, 0]));
  const g = new GraphBuilder('t', 17);
  const x = g.input('x', 'float32', [1, 1, 12, 64]);
  g.output(g.transpose(x, [0, 2, 1, 3]), 'a');
  g.output(g.transpose(g.input('z', 'float32', [2, 3]), [1, 0]), 'b');
  const graph = g.build();
  runPipeline(graph, ['shape-inference']);
  assert.equal(freeTransposes(graph), 1);
  assert.deepEqual(
    graph.nodes.map((n) => n.op),
    ['nn.Reshape', 'nn.Transpose'],
  );
});
