// Two small pieces of the runtime: same-device chains merged into one unit where units cost a
// submit and a wait, and measured transfers correcting the links the planner assumes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { WEBGPU } from '../../src/cost/catalog/local.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { unitOf } from '../../src/ir/unit.js';
import { mergeChains } from '../../src/planner/merge-units.js';
import type { PlacedUnit } from '../../src/runtime/executor.js';
import { LinkHistory } from '../../src/runtime/link-history.js';

function branches() {
  const g = new GraphBuilder('b');
  const x = g.input('x', 'float32', [4]);
  const a = g.op('Neg', [g.op('Relu', [g.op('Exp', [x])])]); // chain of 3
  const b = g.op('Sigmoid', [g.op('Tanh', [x])]); // chain of 2
  g.output(g.add(a, b), 'y');
  return g.build();
}

test('mergeChains: a chain on one device becomes one unit (tasks kept), only where asked; joins are not merged', () => {
  const g = branches();
  const dev = (i: number) => (i < 3 ? 'gpu' : i < 5 ? 'wasm' : 'gpu');
  const placed: PlacedUnit[] = g.nodes.map((n, i) => ({
    id: `u${i}`,
    unit: unitOf(g, [n]),
    device: dev(i),
    predictedStartMs: i,
    predictedEndMs: i + 1,
  }));
  const merged = mergeChains(g, placed, (d) => d === 'gpu');
  const gpu = merged.filter((u) => u.device === 'gpu');
  assert.deepEqual(
    gpu.map((u) => u.tasks),
    [['u0', 'u1', 'u2'], ['u5']],
    'the Add joins two branches: not merged into either',
  );
  assert.equal(gpu[0]!.id, 'u0…u2');
  assert.equal(gpu[0]!.predictedBusyMs, 3);
  assert.deepEqual(
    gpu[0]!.unit.outputs.map((v) => v.name),
    [g.nodes[2]!.outputs[0]!.name],
  );
  assert.equal(merged.filter((u) => u.device === 'wasm').length, 2, 'wasm chains stay as planned');
  assert.equal(mergeChains(g, placed, () => true).length, 3);
});

test('LinkHistory: transfers slower than the link predicts scale it, and say so', () => {
  const links = new LinkHistory();
  const p = { ...structuredClone(WEBGPU), id: 'gpu' };
  const predicted = p.link.latency.value * 1e3 + 1e6 / (p.link.bandwidth.value / 1e3);
  const slow = [{ value: 'a', from: 'host', to: 'gpu', bytes: 1e6, startMs: 0, endMs: predicted * 10 + 2 }];
  const drifted = links.record(slow, (id) => (id === 'gpu' ? p : undefined), 2);
  assert.deepEqual(drifted, ['gpu']);
  assert.ok(links.ratioOf('gpu') > 9);
  const c = links.corrected(p);
  assert.ok(c.link.latency.value > p.link.latency.value * 9 && c.link.bandwidth.value < p.link.bandwidth.value / 9);
  assert.match(c.link.latency.source, /measured transfers/);
  assert.equal(links.corrected({ ...p, id: 'other' }).link, p.link, 'no transfers measured: the profile as it is');
});
