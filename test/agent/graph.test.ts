// Agent graphs: the file format and its errors, each node kind, conditional edges and joins,
// bounded tool-calling loops, tools that throw or hang, streaming events.

import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import '../../src/index.js';
import { agentGraph } from '../../src/agent/graph/builder.js';
import { parseAgentGraph } from '../../src/agent/graph/validate.js';
import { loadAgent } from '../../src/agent/load.js';
import { convert } from '../../src/agent/nodes/convert.js';
import { redactPii } from '../../src/agent/nodes/filter.js';
import { functionEmbedder, functionProvider } from '../../src/agent/nodes/models.js';
import { calculate, parseToolCall } from '../../src/agent/nodes/tools.js';
import { ExactIndex } from '../../src/agent/retrieval/exact.js';
import type { AgentEvent } from '../../src/agent/runtime/run.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tmp, writeTinyModel } from './helpers.js';

const errorOf = (yaml: string): string => {
  try {
    parseAgentGraph(yaml, 'g.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

const GOOD = `
inputs: { q: { type: text } }
models: { m: { path: ./m } }
tools: { calc: { builtin: calculator } }
nodes:
  a: { kind: filter, input: "{{inputs.q}}" }
  b: { kind: llm, model: m, prompt: "{{a}}", tools: [calc] }
  c: { kind: tool, call: b }
edges:
  - [a, b]
  - { from: b, to: c, when: b.toolCall }
  - { from: c, to: b, loop: { maxIterations: 2 } }
output: b
`;

describe('agent graph file format', () => {
  it('a good graph parses, with its order, loop body and edges', () => {
    const g = parseAgentGraph(GOOD, 'g.yaml');
    assert.deepEqual(g.order, ['a', 'b', 'c']);
    assert.equal(g.loops.length, 1);
    assert.deepEqual([...g.loops[0]!.body].sort(), ['b', 'c']);
    assert.equal(g.edges[1]!.whenSrc, 'b.toolCall');
  });

  const cases: [string, string, RegExp][] = [
    [
      'a field of the wrong type names the node and field',
      GOOD.replace('input: "{{inputs.q}}" }', 'input: 3 }'),
      /g\.yaml: node 'a' \(filter\): field 'input': .*expected string/i,
    ],
    [
      'an unknown node kind',
      GOOD.replace('kind: filter', 'kind: summarize'),
      /node 'a': 'kind' must be one of llm, embed, retrieve, tool, convert, filter/,
    ],
    [
      'an unknown field',
      GOOD.replace('tools: [calc] }', 'tools: [calc], temprature: 1 }'),
      /node 'b' \(llm\): unknown field 'temprature'/,
    ],
    [
      'a bad k on retrieve',
      `nodes: { r: { kind: retrieve, index: i, query: "{{inputs.q}}", k: 0 } }\noutput: r`,
      /node 'r' \(retrieve\): field 'k': too small/i,
    ],
    [
      'a missing tool',
      GOOD.replace('tools: [calc] }', 'tools: [calc, weather] }'),
      /node 'b': tool 'weather' is not declared under tools \(declared: calc\)/,
    ],
    [
      'a missing model',
      GOOD.replace('model: m,', 'model: chat,'),
      /node 'b': model 'chat' is not declared under models \(declared: m\)/,
    ],
    [
      'a template reading an unknown node',
      GOOD.replace('prompt: "{{a}}"', 'prompt: "{{zz}}"'),
      /node 'b': field 'prompt' reads 'zz', which is neither a node nor inputs\.\*/,
    ],
    [
      'an undeclared input',
      GOOD.replace('{{inputs.q}}', '{{inputs.question}}'),
      /reads input 'question', which is not declared under inputs \(declared: q\)/,
    ],
    [
      'a condition that does not parse',
      GOOD.replace('when: b.toolCall', 'when: "b.toolCall &&"'),
      /edge #2 \(b -> c\): condition: .*ends too early/,
    ],
    [
      'a cycle outside a bounded loop',
      GOOD.replace('{ from: c, to: b, loop: { maxIterations: 2 } }', '[c, b]'),
      /the edges b -> c -> b form a cycle outside a bounded loop; mark the edge that closes it with loop/,
    ],
    [
      'a loop edge that closes no cycle',
      GOOD.replace('{ from: c, to: b, loop: { maxIterations: 2 } }', '{ from: a, to: c, loop: { maxIterations: 2 } }'),
      /edge a -> c is marked as a loop, but 'c' does not lead back to 'a'/,
    ],
    [
      'reading a node that runs later',
      `inputs: { q: {} }\nnodes:\n  a: { kind: filter, input: "{{b}}" }\n  b: { kind: filter, input: "{{inputs.q}}" }\nedges: [[a, b]]\noutput: b`,
      /node 'a' reads 'b', which does not run before it; add an edge b -> a/,
    ],
    [
      'a tool node calling a non-llm node',
      GOOD.replace('c: { kind: tool, call: b }', 'c: { kind: tool, call: a }'),
      /field 'call' must name an llm node with tools; 'a' is a filter node/,
    ],
    [
      'a tool node with both tool and call',
      GOOD.replace('c: { kind: tool, call: b }', 'c: { kind: tool, call: b, tool: calc }'),
      /give exactly one of 'tool'/,
    ],
    [
      'private data to a remote node without a filter',
      `inputs: { q: { private: true } }\nmodels: { m: { path: x } }\nnodes:\n  b: { kind: llm, model: m, prompt: "{{inputs.q}}", device: remote }\noutput: b`,
      /node 'b' reads private input 'q' without a filter node in between, so it cannot run on 'remote'/,
    ],
    ['bad YAML', 'nodes: [\n', /g\.yaml: not valid YAML/],
  ];
  for (const [name, yaml, re] of cases) it(name, () => assert.match(errorOf(yaml), re));

  it('several problems are listed together', () => {
    const msg = errorOf(
      GOOD.replace('model: m,', 'model: chat,').replace('tools: [calc] }', 'tools: [calc, weather] }'),
    );
    assert.match(msg, /2 problems/);
  });

  it('private inputs mark the nodes that see them (until a filter) as local-only', () => {
    const g = parseAgentGraph(GOOD.replace('q: { type: text }', 'q: { type: text, private: true }'), 'g.yaml');
    assert.deepEqual([...g.localOnly.keys()], ['a']);
  });
});

describe('node kinds', () => {
  it('filter: redacts e-mail, phone, card (Luhn), IBAN, IP and SSN, and custom patterns', () => {
    const r = redactPii(
      'Mail jane.doe@example.com or call +1 415 555 0134; card 4111 1111 1111 1111, not 1234 5678 9012 3456. IBAN DE89 3704 0044 0532 0130 00, host 10.0.0.12, SSN 123-45-6789, order #A-7781.',
      { patterns: { order: '#A-\\d+' } },
    );
    assert.equal(
      r.text,
      'Mail [EMAIL] or call [PHONE]; card [CARD], not 1234 5678 9012 3456. IBAN [IBAN], host [IP], SSN [SSN], order [ORDER].',
    );
    assert.deepEqual(r.found, { email: 1, card: 1, iban: 1, ssn: 1, ip: 1, phone: 1, order: 1 });
    assert.equal(redactPii('the year 2024 had 365 days').text, 'the year 2024 had 365 days');
  });

  it('filter in block mode fails the run naming what it found', async () => {
    const a = await agentGraph().input('q').filter('f', { input: '{{inputs.q}}', mode: 'block' }).output('f').prepare();
    await assert.rejects(
      a.runner.run({ inputs: { q: 'write to bob@example.org' } }).done(),
      /node 'f' \(filter\): blocked: the input contains email \(1\)/,
    );
  });

  it('convert: CSV, JSON, tensors, PNG images and tokens, with errors that name the cell', async () => {
    const t = convert('a,b\n1,2\n3,"4"\n', 'csv', 'tensor') as Tensor;
    assert.deepEqual(t.dims, [2, 2]);
    assert.deepEqual(t.toNumbers(), [1, 2, 3, 4]);
    assert.equal(convert(t, 'tensor', 'csv'), 'c0,c1\n1,2\n3,4\n');
    assert.deepEqual(convert('x,y\n1,hi\n', 'csv', 'json'), [{ x: 1, y: 'hi' }]);
    assert.throws(() => convert('a,b\n1,x\n', 'csv', 'tensor'), /CSV row 2, column 2 \('b'\) is "x", not a number/);
    assert.throws(
      () => convert([[1, 2], [3]], 'json', 'tensor'),
      /value\[1\] has shape \[1\], but value\[0\] has \[2\]/,
    );
    const j = convert([[1, 2, 3]], 'json', 'tensor', { dtype: 'int64' }) as Tensor;
    assert.equal(j.type, 'int64');
    assert.deepEqual(convert(j, 'tensor', 'json'), [[1, 2, 3]]);
    const img = new Tensor(
      'float32',
      Float32Array.from({ length: 3 * 4 * 5 }, (_, i) => (i % 7) / 7),
      [1, 3, 4, 5],
    );
    const png = convert(img, 'tensor', 'image') as Uint8Array;
    assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
    const back = convert(png, 'image', 'tensor') as Tensor;
    assert.deepEqual(back.dims, [1, 3, 4, 5]);
    assert.ok(back.toNumbers().every((v, i) => Math.abs(v - img.toNumbers()[i]!) <= 0.5 / 255 + 1e-6));
    assert.throws(() => convert(new Uint8Array([1, 2, 3]), 'image', 'tensor'), /not a PNG image/);
  });

  it('convert to tokens inside a graph uses the model tokenizer', async () => {
    const files = writeTinyModel('gpt2');
    const dir = files.dir;
    writeFileSync(
      join(dir, 'g.yaml'),
      `inputs: { t: {} }\nmodels: { m: { path: ./ } }\nnodes:\n  ids: { kind: convert, input: "{{inputs.t}}", from: text, to: tokens, model: m }\n  back: { kind: convert, input: "{{ids}}", from: tokens, to: text, model: m }\noutput: [ids, back]\n`,
    );
    const a = await loadAgent(join(dir, 'g.yaml'));
    const r = await a.runner.run({ inputs: { t: 'the quick fox' } }).done();
    assert.ok(r.outputs.ids instanceof Tensor && r.outputs.ids.type === 'int64');
    assert.equal(r.outputs.back, 'the quick fox');
    a.dispose();
  });

  it('tool: built-in calculator, arguments from templates, results as JSON', async () => {
    assert.equal(calculate('2 * (3 + 4) ^ 2 - 10 / 4'), 95.5);
    assert.throws(() => calculate('2 +'), /ends too early/);
    const a = await agentGraph()
      .input('x')
      .tool('calc', { builtin: 'calculator' })
      .call('c', { tool: 'calc', arguments: { expression: '{{inputs.x}} * 2' } })
      .output('c')
      .prepare();
    const r = await a.runner.run({ inputs: { x: '21' } }).done();
    assert.deepEqual(r.outputs.c, { expression: '21 * 2', result: 42 });
  });

  it('tool: one that throws, one that hangs (timeout), bad arguments, and one not implemented', async () => {
    const throws = await agentGraph()
      .tool('t', () => {
        throw new Error('backend down');
      })
      .call('n', { tool: 't' })
      .output('n')
      .prepare();
    await assert.rejects(throws.runner.run().done(), /node 'n': tool 't' failed: backend down/);
    let aborted = false;
    const hangs = await agentGraph()
      .tool('slow', {
        timeoutMs: 50,
        run: (_a, ctx) =>
          new Promise((res) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              res(null);
            });
          }),
      })
      .call('n', { tool: 'slow' })
      .output('n')
      .prepare();
    await assert.rejects(hangs.runner.run().done(), /node 'n': tool 'slow' did not answer within 50 ms \(timeout\)/);
    assert.ok(aborted, 'the tool saw its abort signal');
    const bad = await agentGraph()
      .tool('calc', { builtin: 'calculator' })
      .call('n', { tool: 'calc', arguments: { expr: '1' } })
      .output('n')
      .prepare();
    await assert.rejects(
      bad.runner.run().done(),
      /node 'n': tool 'calc' was called with bad arguments: arguments\.expression is required/,
    );
    const typed = await agentGraph()
      .tool('t', { parameters: { type: 'object', properties: { n: { type: 'integer' } } }, run: (a) => a })
      .call('n', { tool: 't', arguments: { n: [1] } })
      .output('n')
      .prepare();
    await assert.rejects(typed.runner.run().done(), /arguments\.n must be integer, got array/);
    await assert.rejects(
      agentGraph().tool('x', { description: 'nothing' }).call('n', { tool: 'x' }).output('n').prepare(),
      /tool 'x' has no implementation/,
    );
  });

  it('tool call parsing: tagged JSON, bare JSON, unknown tools ignored', () => {
    assert.deepEqual(
      parseToolCall('ok <tool_call>{"name": "calc", "arguments": {"expression": "1+1"}}</tool_call>', ['calc']),
      { name: 'calc', arguments: { expression: '1+1' } },
    );
    assert.deepEqual(parseToolCall('{"tool": "calc", "arguments": {}}', ['calc']), { name: 'calc', arguments: {} });
    assert.equal(parseToolCall('<tool_call>{"name": "rm", "arguments": {}}</tool_call>', ['calc']), undefined);
    assert.equal(parseToolCall('just text', ['calc']), undefined);
  });

  it('embed and retrieve: a tiny encoder on the device, exact and HNSW indexes in a graph', async () => {
    const files = writeTinyModel('llama', 5);
    const docs = [
      'the fox runs in the forest',
      'the model answers questions',
      'tools are called with arguments',
      'hello world',
    ];
    const dir = files.dir;
    for (const kind of ['exact', 'hnsw']) {
      writeFileSync(
        join(dir, `r-${kind}.yaml`),
        `
inputs: { q: {} }
models: { enc: { path: ./, kind: embed } }
indexes: { docs: { documents: ${JSON.stringify(docs)}, embed: enc, kind: ${kind} } }
nodes:
  v: { kind: embed, model: enc, input: "{{inputs.q}}" }
  r: { kind: retrieve, index: docs, query: v, k: 2 }
  r2: { kind: retrieve, index: docs, query: "{{inputs.q}}", k: 1 }
output: [r, r2, v]
`,
      );
      const a = await loadAgent(join(dir, `r-${kind}.yaml`));
      const res = await a.runner.run({ inputs: { q: 'hello world' } }).done();
      const v = res.outputs.v as Float32Array;
      assert.equal(v.length, 32);
      assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4, 'embeddings are unit length');
      const hits = res.outputs.r as { text: string; score: number }[];
      assert.equal(hits.length, 2);
      assert.equal(hits[0]!.text, 'hello world', `${kind}: the identical document ranks first`);
      assert.ok(Math.abs(hits[0]!.score - 1) < 1e-4);
      assert.equal(
        (res.outputs.r2 as { text: string }[])[0]!.text,
        'hello world',
        'text queries are embedded with the index model',
      );
      a.dispose();
    }
  });
});

const scripted = (replies: string[]) => {
  let i = 0;
  return functionProvider('scripted', () => replies[Math.min(i++, replies.length - 1)]!);
};
const CALL = '<tool_call>{"name": "calc", "arguments": {"expression": "6*7"}}</tool_call>';

function toolLoop(replies: string[], max = 3, onExhausted: 'stop' | 'error' = 'stop') {
  return agentGraph('loop')
    .input('q')
    .model('m', scripted(replies))
    .tool('calc', { builtin: 'calculator' })
    .llm('answer', { model: 'm', prompt: '{{inputs.q}}', tools: ['calc'] })
    .call('call', { call: 'answer' })
    .edge('answer', 'call', 'answer.toolCall')
    .loop('call', 'answer', max, onExhausted)
    .output('answer');
}

describe('tool-calling loop', () => {
  it('one tool call, then an answer: the result goes back into the conversation', async () => {
    const seen: string[][] = [];
    const a = await agentGraph('loop')
      .input('q')
      .model(
        'm',
        functionProvider('m', (msgs) => {
          seen.push(msgs.map((x) => x.role));
          return seen.length === 1 ? CALL : 'It is 42.';
        }),
      )
      .tool('calc', { builtin: 'calculator' })
      .llm('answer', { model: 'm', prompt: '{{inputs.q}}', tools: ['calc'] })
      .call('call', { call: 'answer' })
      .edge('answer', 'call', 'answer.toolCall')
      .loop('call', 'answer', 3)
      .output('answer')
      .prepare();
    const run = a.runner.run({ inputs: { q: 'six times seven?' } });
    const kinds: string[] = [];
    for await (const e of run) kinds.push(e.type === 'node-end' ? `${e.record.node}:${e.record.status}` : e.type);
    const r = await run.result;
    assert.equal(r.text, 'It is 42.');
    assert.deepEqual(seen, [
      ['system', 'user'],
      ['system', 'user', 'assistant', 'tool'],
    ]);
    assert.deepEqual(
      r.records.filter((x) => x.status === 'ok').map((x) => `${x.node}#${x.iteration}`),
      ['answer#0', 'call#0', 'answer#1'],
    );
    assert.ok(kinds.includes('loop'));
    assert.equal(r.warnings.length, 0);
  });

  it('a model that always calls tools is stopped by the loop bound (warning, last answer kept)', async () => {
    const a = await toolLoop([CALL], 3).prepare();
    const r = await a.runner.run({ inputs: { q: 'x' } }).done();
    const calls = r.records.filter((x) => x.node === 'call' && x.status === 'ok').length;
    const answers = r.records.filter((x) => x.node === 'answer' && x.status === 'ok').length;
    assert.equal(calls, 4, 'the tool runs once per iteration plus the last');
    assert.equal(answers, 4);
    assert.match(r.warnings[0]!, /loop call -> answer reached its bound of 3 iterations/);
  });

  it('a replan hook runs at each loop iteration and its placement is used for the rest of the run', async () => {
    const a = await toolLoop([CALL, 'done'], 3).prepare();
    const seen: number[] = [];
    const r = await a.runner
      .run({
        inputs: { q: 'x' },
        replan: (recs) => {
          seen.push(recs.length);
          return new Map([['answer', { prefill: 'cpu', decode: 'cpu' }]]);
        },
      })
      .done();
    assert.deepEqual(seen, [2]);
    assert.match(r.warnings.join(), /re-planned after loop iteration 1: answer -> cpu\/cpu/);
  });

  it('onExhausted: error fails the run', async () => {
    const a = await toolLoop([CALL], 2, 'error').prepare();
    await assert.rejects(
      a.runner.run({ inputs: { q: 'x' } }).done(),
      /loop call -> answer reached its bound of 2 iterations/,
    );
  });

  it('maxSteps is a safety net beyond loop bounds', async () => {
    const a = await toolLoop([CALL], 50).prepare();
    await assert.rejects(a.runner.run({ inputs: { q: 'x' }, maxSteps: 10 }).done(), /exceeded 10 node executions/);
  });

  it('an llm node over its timeoutMs is stopped and named', async () => {
    let aborted = false;
    const slow = functionProvider(
      'slow',
      (_m, req) =>
        new Promise((res) => {
          req.signal?.addEventListener('abort', () => {
            aborted = true;
            res('late');
          });
        }),
    );
    const a = await agentGraph()
      .input('q')
      .model('m', slow)
      .llm('answer', { model: 'm', prompt: '{{inputs.q}}', timeoutMs: 40 })
      .output('answer')
      .prepare();
    await assert.rejects(
      a.runner.run({ inputs: { q: 'x' } }).done(),
      /node 'answer': generation did not finish within 40 ms \(timeout\)/,
    );
    assert.ok(aborted, 'the generation saw the abort');
  });

  it('a tool node reached without a tool call is explained', async () => {
    const a = await agentGraph()
      .input('q')
      .model('m', scripted(['no call']))
      .tool('calc', { builtin: 'calculator' })
      .llm('answer', { model: 'm', prompt: '{{inputs.q}}', tools: ['calc'] })
      .call('call', { call: 'answer' })
      .edge('answer', 'call')
      .output('call')
      .prepare();
    await assert.rejects(
      a.runner.run({ inputs: { q: 'x' } }).done(),
      /node 'call': 'answer' made no tool call \(guard the edge into 'call' with when: answer\.toolCall\)/,
    );
  });
});

describe('conditional edges and joins', () => {
  it('the untaken branch is skipped, the join still runs, and branches run concurrently', async () => {
    let inFlight = 0,
      maxInFlight = 0;
    const slow = (v: string) => async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      return v;
    };
    const a = await agentGraph()
      .input('n')
      .tool('t1', slow('one'))
      .tool('t2', slow('two'))
      .tool('t3', slow('three'))
      .call('route', { tool: 't1' })
      .call('left', { tool: 't2' })
      .call('right', { tool: 't3' })
      .call('side', { tool: 't2' })
      .filter('join', { input: 'L={{left}} R={{right}}' })
      .edge('route', 'left', 'inputs.n > 5')
      .edge('route', 'right', '!(inputs.n > 5)')
      .edge('left', 'join')
      .edge('right', 'join')
      .edge('route', 'side')
      .output('join')
      .prepare();
    const big = await a.runner.run({ inputs: { n: 9 } }).done();
    assert.equal(big.text, 'L=two R=');
    assert.deepEqual(
      big.records.filter((r) => r.status === 'skipped').map((r) => r.node),
      ['right'],
    );
    assert.ok(maxInFlight >= 2, 'left and side ran at the same time');
    const small = await a.runner.run({ inputs: { n: 1 } }).done();
    assert.equal(small.text, 'L= R=three');
  });

  it('inputs: missing, unknown and defaults', async () => {
    const a = await agentGraph()
      .input('q')
      .input('lang', { default: 'en' })
      .filter('f', { input: '{{inputs.q}}/{{inputs.lang}}' })
      .output('f')
      .prepare();
    assert.equal((await a.runner.run({ inputs: { q: 'x' } }).done()).text, 'x/en');
    await assert.rejects(a.runner.run({}).done(), /input 'q' is missing/);
    await assert.rejects(a.runner.run({ inputs: { q: 'x', zz: 1 } }).done(), /unknown input 'zz'/);
  });
});

describe('llm node on the engine', () => {
  it('streams tokens, records TTFT/TPOT and the devices of both phases', async () => {
    const files = writeTinyModel('llama', 9);
    const dir = files.dir;
    writeFileSync(
      join(dir, 'chat.yaml'),
      `
inputs: { q: {} }
models: { chat: { path: ./, capacity: 64 } }
nodes:
  answer: { kind: llm, model: chat, prompt: "Q: {{inputs.q}}", maxTokens: 8, temperature: 0.7, seed: 3 }
output: answer
`,
    );
    const a = await loadAgent(join(dir, 'chat.yaml'));
    const run = a.runner.run({ inputs: { q: 'hello' } });
    const events: AgentEvent[] = [];
    for await (const e of run) events.push(e);
    const r = await run.result;
    const streamed = events
      .filter((e) => e.type === 'token')
      .map((e) => (e as { text: string }).text)
      .join('');
    assert.equal(streamed, r.text);
    const rec = r.records.find((x) => x.node === 'answer')!;
    assert.equal(rec.llm!.tokens, 8);
    assert.equal(rec.llm!.prefillDevice, 'cpu');
    assert.ok(r.ttftMs! > 0 && r.tpotMs! > 0);
    // same seed, same text
    const again = await a.runner.run({ inputs: { q: 'hello' } }).done();
    assert.equal(again.text, r.text);
    a.dispose();
  });

  it('a prompt over the context length names the node', async () => {
    const files = writeTinyModel('gpt2', 9);
    writeFileSync(
      join(files.dir, 'long.yaml'),
      `inputs: { q: {} }\nmodels: { chat: { path: ./ } }\nnodes:\n  answer: { kind: llm, model: chat, prompt: "{{inputs.q}}", maxTokens: 8, chat: false }\noutput: answer\n`,
    );
    const a = await loadAgent(join(files.dir, 'long.yaml'));
    await assert.rejects(
      a.runner.run({ inputs: { q: 'the fox '.repeat(40) } }).done(),
      /node 'answer': prompt of \d+ tokens \+ max_tokens 8 = \d+ exceeds the context length 64/,
    );
    a.dispose();
  });

  it('a function embedder and an in-memory index work through the builder', async () => {
    const words = ['cat', 'dog', 'fish'];
    const emb = functionEmbedder('bow', 3, (t) => words.map((w) => (t.includes(w) ? 1 : 0)));
    const ix = new ExactIndex(3);
    ['a cat', 'a dog', 'a fish'].forEach(async (t, i) => ix.add(await emb.embed(t), { id: String(i), text: t }));
    const a = await agentGraph()
      .input('q')
      .model('bow', emb)
      .index('pets', ix, 'bow')
      .retrieve('r', { index: 'pets', query: '{{inputs.q}}', k: 1 })
      .output('r')
      .prepare();
    const r = await a.runner.run({ inputs: { q: 'my dog' } }).done();
    assert.equal(r.text, '[1] a dog');
  });
});

describe('tool modules next to the graph file', () => {
  it('a module tool is imported and called', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'tools.mjs'), 'export function shout({ text }) { return text.toUpperCase(); }\n');
    writeFileSync(
      join(dir, 'g.yaml'),
      'inputs: { t: {} }\ntools: { shout: { module: ./tools.mjs, parameters: { type: object, required: [text] } } }\nnodes:\n  s: { kind: tool, tool: shout, arguments: { text: "{{inputs.t}}" } }\noutput: s\n',
    );
    const a = await loadAgent(join(dir, 'g.yaml'));
    assert.equal((await a.runner.run({ inputs: { t: 'hey' } }).done()).outputs.s, 'HEY');
  });
});
