// The graph the agent plan costs is the graph that runs: for an llm node (prefill bucket and decode
// step) and an embed node on wasm and on reference, the kernels the plan costed print the same IR
// text as the program the engine (or embedder) compiled on that device, and costing never changes
// the engine's graphs (the cold cost lowers a copy).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import '../../src/index.js';
import { agentGraph } from '../../src/agent/graph/builder.js';
import { lowerAgent } from '../../src/agent/graph/lower.js';
import { llmFromHf } from '../../src/agent/llm/load.js';
import { hfConfigJson, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { EngineProvider, ModelEmbedder } from '../../src/agent/nodes/models.js';
import { planLowered } from '../../src/agent/plan.js';
import { costedGraphs } from '../../src/agent/plan-costs.js';
import type { Device } from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { WasmDevice } from '../../src/backends/wasm/index.js';
import { JS_CPU } from '../../src/cost/catalog/local.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import type { Graph } from '../../src/ir/graph.js';
import { printGraph } from '../../src/ir/printer.js';
import type { DeviceEntry } from '../../src/runtime/devices.js';
import { tinyConfig, tinyTokenizerJson } from './helpers.js';

const text = (g: Graph) => printGraph(g, { elideBlobs: true });

const model = (name: string) => {
  const c = tinyConfig('llama', { contextLength: 256 });
  return llmFromHf({
    config: hfConfigJson(c),
    weights: [writeSafetensors(syntheticHfTensors(c, 5))],
    tokenizer: tinyTokenizerJson(),
    name,
  });
};

describe('the costed graph is the graph that runs', () => {
  it('llm prefill/decode and embed on wasm and reference: plan kernels print as the compiled programs', async () => {
    const wasm = await WasmDevice.create({ threads: 1 });
    const ref = new ReferenceDevice('cpu');
    try {
      const agent = await agentGraph('costed')
        .input('q')
        .model('chat', model('chat'))
        .model('enc', model('enc'))
        .embed('vec', { model: 'enc', input: '{{inputs.q}}' })
        .llm('answer', { model: 'chat', prompt: 'Question: {{inputs.q}}', maxTokens: 4, seed: 1 })
        .edge('vec', 'answer')
        .output('answer')
        .prepare();
      const res = agent.resources;
      const chat = res.llms.get('chat');
      const enc = res.embedders.get('enc');
      assert.ok(chat instanceof EngineProvider && enc instanceof ModelEmbedder);
      const lowered = lowerAgent(agent.graph, res);
      const [pre, dec] = lowered.nodesOf.get('answer')!;
      const [emb] = lowered.nodesOf.get('vec')!;
      const devices: Device[] = [wasm, ref];
      const engine = chat.engine;
      const seq = engine.bucketOf(lowered.promptTokens.get('answer')!);
      const tokens =
        emb!.attrs.body!.kind === 'graph' ? (emb!.attrs.body.value.inputs[0]!.type!.shape![1] as number) : 0;
      assert.ok(tokens > 0);
      const before = devices.map((d) => [
        text(engine.stepGraph(d, seq)),
        text(engine.stepGraph(d, 1)),
        text(enc.graphFor(d, tokens)),
      ]);
      // plan over both devices: every model op is costed (cold included) on each
      const entries: DeviceEntry[] = devices.map((d) => ({
        device: d,
        profile: { ...structuredClone(JS_CPU), id: d.id, name: d.id },
      }));
      const plan = planLowered(lowered, res, entries);
      assert.ok(plan.firstRun.extraMs > 0, 'nothing is compiled yet: the plan has first-run costs');
      for (const [i, d] of devices.entries()) {
        const costed = [pre!, dec!, emb!].map((n) => costedGraphs(n, d, res)!);
        assert.equal(costed[0]!.body, engine.stepGraph(d, seq), `${d.id}: the prefill body is the engine's graph`);
        assert.equal(costed[1]!.body, engine.stepGraph(d, 1), `${d.id}: the decode body is the engine's graph`);
        assert.equal(costed[2]!.body, enc.graphFor(d, tokens), `${d.id}: the embed body is the embedder's graph`);
        const compiled: Graph[] = [
          await engine.compiledGraph(d, seq),
          await engine.compiledGraph(d, 1),
          await enc.compiledGraph(d, tokens),
        ];
        for (const k of [0, 1, 2]) {
          assert.notEqual(compiled[k], costed[k]!.kernels, 'the engine compiles its own copy');
          assert.equal(text(costed[k]!.kernels), text(compiled[k]!), `${d.id}: graph ${k} costed = compiled`);
        }
        // neither costing nor compiling changed the engine's graphs
        const after: string[] = [
          text(engine.stepGraph(d, seq)),
          text(engine.stepGraph(d, 1)),
          text(enc.graphFor(d, tokens)),
        ];
        assert.deepEqual(after, before[i], `${d.id}: the engine's graphs are unchanged`);
      }
      // the kernel form differs by device (wasm lowers and fuses, reference runs nn.* as is)
      const wasmK = text(costedGraphs(pre!, wasm, res)!.kernels);
      const refK = text(costedGraphs(pre!, ref, res)!.kernels);
      assert.notEqual(wasmK, refK);
      assert.match(wasmK, /= k\.[a-z]/);
      assert.doesNotMatch(refK, /= k\.[a-z]/);
      // once compiled, planning again has no first-run cost on these devices for these graphs
      const again = planLowered(lowered, res, entries);
      assert.equal(again.firstRun.extraMs, 0);
      engine.dispose();
      enc.dispose();
    } finally {
      await wasm.dispose();
    }
  });
});
