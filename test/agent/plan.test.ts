// Planning agent graphs: lowering to the agent.* dialect (with nn.* bodies and costs), placement of
// model nodes on fast devices and JS nodes on the host, private data kept local, the Splitwise split
// (prefill on a priced fast device, decode on a free local one) under TTFT/TPOT targets, and a run
// with the plan's placement giving the same tokens as a local run.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import '../../src/index.js';
import { agentGraph } from '../../src/agent/graph/builder.js';
import { lowerAgent } from '../../src/agent/graph/lower.js';
import { llmFromHf } from '../../src/agent/llm/load.js';
import { hfConfigJson, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { deviceSetOf, planAgent } from '../../src/agent/plan.js';
import { agentTrace, explainAgent } from '../../src/agent/runtime/report.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { JS_CPU } from '../../src/cost/catalog/local.js';
import { fig } from '../../src/cost/figure.js';
import type { DeviceProfile } from '../../src/cost/profile.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { printGraph } from '../../src/ir/printer.js';
import type { DeviceEntry } from '../../src/runtime/devices.js';
import { tinyConfig, tinyTokenizerJson } from './helpers.js';

/** A reference device that says it is remote (the offload client's kind). */
class FakeRemote implements Device {
  readonly kind = 'remote' as const;
  private readonly inner: ReferenceDevice;
  constructor(readonly id: string) {
    this.inner = new ReferenceDevice(id);
  }
  supports() {
    return true as const;
  }
  compile(u: Unit) {
    return this.inner.compile(u);
  }
  run(u: CompiledUnit, i: DeviceTensor[]) {
    return this.inner.run(u, i);
  }
  upload(t: Parameters<Device['upload']>[0]) {
    return this.inner.upload(t);
  }
  download(t: DeviceTensor) {
    return this.inner.download(t);
  }
  release(t: DeviceTensor) {
    this.inner.release(t);
  }
  dispose() {
    return this.inner.dispose();
  }
}

function profile(id: string, gflops: number, price = 0, latencyMs = 0): DeviceProfile {
  return {
    ...structuredClone(JS_CPU),
    id,
    name: id,
    kind: 'cpu',
    peakFlops: { f32: fig(gflops * 1e9, 'test') },
    memBandwidth: fig(gflops * 5e9, 'test'),
    link: { bandwidth: fig(latencyMs ? 1e9 : Infinity, 'test'), latency: fig(latencyMs / 1000, 'test') },
    pricePerHour: fig(price, 'test'),
    origin: 'default',
  };
}

const model = () => {
  const c = tinyConfig('llama', { contextLength: 256 });
  return llmFromHf({
    config: hfConfigJson(c),
    weights: [writeSafetensors(syntheticHfTensors(c, 31))],
    tokenizer: tinyTokenizerJson(),
    name: 'tiny',
  });
};

function ragGraph(privateQuestion: boolean, filter: boolean) {
  const b = agentGraph('plan-test')
    .input('q', { private: privateQuestion })
    .model('chat', model())
    .tool('calc', { builtin: 'calculator' });
  if (filter) b.filter('redact', { input: '{{inputs.q}}' });
  const src = filter ? '{{redact}}' : '{{inputs.q}}';
  b.model('enc', model())
    .embed('vec', { model: 'enc', input: src })
    .llm('answer', { model: 'chat', prompt: `Question: ${src}`, maxTokens: 6, seed: 1, temperature: 0.5 })
    .call('sum', { tool: 'calc', arguments: { expression: '1+2' } });
  if (filter) b.edge('redact', 'vec').edge('redact', 'answer');
  b.edge('vec', 'answer').edge('sum', 'answer').output('answer');
  return b;
}

describe('agent planning', () => {
  it('lowers each node to agent.* ops with nn.* bodies, and llm nodes to prefill + decode joined by the KV cache', async () => {
    const a = await ragGraph(false, true).prepare();
    const l = lowerAgent(a.graph, a.resources);
    assert.deepEqual(
      l.graph.nodes.map((n) => n.op),
      ['agent.filter', 'agent.tool', 'agent.embed', 'agent.prefill', 'agent.decode'],
    );
    const pre = l.nodesOf.get('answer')![0]!;
    const kv = pre.outputs[0]!.type!;
    assert.deepEqual(kv.shape, [2 * 2, 2, 256, 8]);
    assert.equal(pre.attrs.body!.kind, 'graph');
    const body = (pre.attrs.body as { value: { opHistogram(): Map<string, number> } }).value;
    assert.ok(body.opHistogram().get('nn.Attention') === 2, 'the prefill body is the nn.* model');
    assert.match(printGraph(l.graph, { elideBlobs: true }), /agent\.prefill/);
  });

  it('model nodes go to the fast device, JS nodes stay on the host', async () => {
    const a = await ragGraph(false, true).prepare();
    const entries: DeviceEntry[] = [
      { device: new ReferenceDevice('cpu'), profile: profile('cpu', 1) },
      { device: new ReferenceDevice('gpu'), profile: profile('gpu', 500, 0, 0.05) },
    ];
    const ap = planAgent(a.graph, a.resources, entries);
    assert.equal(ap.placement.get('vec')!.device, 'gpu');
    assert.deepEqual(ap.placement.get('answer'), { prefill: 'gpu', decode: 'gpu' });
    assert.equal(ap.placement.get('redact')!.device, 'cpu');
    assert.equal(ap.placement.get('sum')!.device, 'cpu');
    assert.match(explainAgent(ap), /answer\.prefill\s+gpu/);
  });

  it('a node that reads private data without a filter stays local; after a filter it may leave', async () => {
    const entries = (): DeviceEntry[] => [
      { device: new ReferenceDevice('cpu'), profile: profile('cpu', 1) },
      { device: new FakeRemote('cloud'), profile: profile('cloud', 1000, 2, 1) },
    ];
    const raw = await ragGraph(true, false).prepare();
    const p1 = planAgent(raw.graph, raw.resources, entries());
    assert.deepEqual(p1.placement.get('answer'), { prefill: 'cpu', decode: 'cpu' });
    assert.equal(p1.placement.get('vec')!.device, 'cpu');
    assert.ok(
      p1.plan.passes.some((p) => p.notes.some((n) => /answer: local only \(it reads private input 'q'/.test(n))),
    );
    const filtered = await ragGraph(true, true).prepare();
    const p2 = planAgent(filtered.graph, filtered.resources, entries());
    assert.equal(p2.placement.get('answer')!.prefill, 'cloud');
  });

  it('Splitwise: under a cost objective, prefill goes to the priced fast device to meet TTFT and decode to the free one that meets TPOT', async () => {
    const a = await ragGraph(false, true).prepare();
    const entries: DeviceEntry[] = [
      { device: new ReferenceDevice('cpu'), profile: profile('cpu', 0.05) },
      { device: new FakeRemote('cloud'), profile: profile('cloud', 2000, 4, 2) },
    ];
    const local = planAgent(a.graph, a.resources, entries.slice(0, 1), { objective: 'latency' });
    const prefillLocal = local.plan.assignments.find((x) => x.task === 'answer.prefill')!;
    const perToken = local.problem.tasks.find((t) => t.id === 'answer.decode')!.llm!.decodeMsPerToken.cpu!;
    const ttft = prefillLocal.endMs / 2;
    const ap = planAgent(a.graph, a.resources, entries, {
      objective: 'cost',
      ttftMs: ttft,
      tpotMs: perToken * 1.5,
      deadlineMs: 1e9,
    });
    assert.ok(ap.plan.feasible, ap.plan.reason);
    assert.deepEqual(
      ap.placement.get('answer'),
      { prefill: 'cloud', decode: 'cpu', fallback: { prefill: 'cpu', decode: 'cpu' } },
      'a node on a remote device has a local fallback placement',
    );
    assert.ok(
      ap.plan.transfers.some((t) => t.from === 'answer.prefill' && t.to === 'answer.decode' && t.bytes > 0),
      'the KV cache crosses',
    );
    // a TTFT no device can meet is reported
    const none = planAgent(a.graph, a.resources, entries.slice(0, 1), { ttftMs: ttft });
    assert.equal(none.plan.feasible, false);
    assert.match(none.plan.reason!, /answer\.prefill.*TTFT/);

    // running with the split placement gives the tokens of a local run, with the cache moved once
    const devices = deviceSetOf(entries);
    const run = async (placement?: typeof ap.placement) => {
      const b = await ragGraph(false, true).prepare(devices);
      return b.runner.run({ inputs: { q: 'the fox' }, placement }).done();
    };
    const split = await run(ap.placement);
    const base = await run();
    assert.equal(split.text, base.text);
    const rec = split.records.find((r) => r.node === 'answer')!;
    assert.equal(rec.llm!.prefillDevice, 'cloud');
    assert.equal(rec.llm!.decodeDevice, 'cpu');
    assert.ok(rec.llm!.transferBytes > 0);
    const trace = agentTrace(split, ap);
    const names = trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name);
    assert.ok(names.includes('answer.prefill') && names.includes('answer.decode') && names.includes('answer KV cache'));
  });

  it('a node pinned to a device that does not exist is refused', async () => {
    const a = await agentGraph('pin')
      .input('q')
      .model('enc', model())
      .embed('v', { model: 'enc', input: '{{inputs.q}}', device: 'tpu' })
      .output('v')
      .prepare();
    assert.throws(
      () => planAgent(a.graph, a.resources, [{ device: new ReferenceDevice('cpu'), profile: profile('cpu', 1) }]),
      /node 'v' is pinned to 'tpu', which is not among the devices \(cpu\)/,
    );
  });
});
