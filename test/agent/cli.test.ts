// `switchyard agent` as a user runs it: streaming answer, per-node timing with devices, TTFT/TPOT
// against the SLA, --json, --trace, --explain, and bad input (graph errors, inputs) with exit 1.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI } from '../helpers/paths.js';

const ROOT = join(fileURLToPath(import.meta.url), '../../../..');

import { tmp, writeTinyModel } from './helpers.js';

const cache = tmp('sy-agent-cache-');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, 'agent', ...args], {
    encoding: 'utf8',
    env: { ...process.env, SWITCHYARD_CACHE: cache },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const files = writeTinyModel('llama', 3, { contextLength: 256 });
const graph = join(files.dir, 'agent.yaml');
writeFileSync(
  graph,
  `
name: cli-agent
inputs: { question: { type: text, private: true } }
models: { chat: { path: ./, capacity: 128 } }
tools: { calc: { builtin: calculator } }
nodes:
  redact: { kind: filter, input: "{{inputs.question}}" }
  sum: { kind: tool, tool: calc, arguments: { expression: "2+3" } }
  answer: { kind: llm, model: chat, prompt: "{{redact}} {{sum}}", maxTokens: 5, temperature: 0.8, seed: 2 }
edges: [[redact, answer], [sum, answer]]
output: answer
sla: { ttftMs: 60000, tpotMs: 60000 }
`,
);

describe('switchyard agent', () => {
  it('streams the answer and prints per-node timing, devices, TTFT and TPOT', () => {
    const trace = join(files.dir, 'trace.json');
    const r = cli(graph, '--input', 'question=mail me at a@b.org', '--trace', trace, '--explain');
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.trim().length > 0, 'an answer on stdout');
    assert.match(r.err, /redact\s+filter\s+0\s+host/);
    assert.match(r.err, /answer\s+llm\s+0\s+(cpu|wasm|webgpu)\s+[\d.]+\s+\d+ prompt \+ 5 new tokens, TTFT/);
    assert.match(r.err, /TTFT\s+[\d.]+ ms \(target 60000 ms: met\)/);
    assert.match(r.err, /TPOT\s+[\d.]+ ms \(target 60000 ms: met\)/);
    assert.match(r.err, /answer: prefill on (cpu|wasm|webgpu), decode on (cpu|wasm|webgpu); predicted TTFT/);
    assert.match(r.err, /planned timeline:/);
    const t = JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { name: string; ph: string }[] };
    assert.ok(t.traceEvents.some((e) => e.ph === 'X' && e.name === 'answer.prefill'));
  });

  it('--json prints one object with outputs, records and the plan; same seed, same answer', () => {
    const a = cli(graph, '--input', 'question=hello', '--json');
    const b = cli(graph, '--input', 'hello', '--json');
    assert.equal(a.code, 0, a.err);
    const ja = JSON.parse(a.out) as {
      text: string;
      records: { node: string }[];
      plan: { placement: Record<string, unknown> };
      ttftMs: number;
    };
    const jb = JSON.parse(b.out) as { text: string };
    assert.equal(ja.text, jb.text, 'a bare --input fills the only input');
    assert.deepEqual(ja.records.map((x) => x.node).sort(), ['answer', 'redact', 'sum']);
    assert.ok(ja.plan.placement.answer);
    assert.ok(ja.ttftMs > 0);
  });

  it('the example agent (npm start) plans, redacts, retrieves, calls its tool and answers', () => {
    const dir = tmp('sy-example-');
    for (const f of ['rag.yaml', 'docs.jsonl', 'tools.mjs'])
      writeFileSync(join(dir, f), readFileSync(join(ROOT, 'examples/agent', f)));
    const r = cli(
      join(dir, 'rag.yaml'),
      '--example',
      '--input',
      'I am jane@example.com; my parcel weighs 3 kg and goes to zone B. Price?',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      outputs: { answer: { text: string } };
      records: { node: string; status: string }[];
      plan: { placement: Record<string, unknown> };
    };
    const ran = j.records
      .filter((x) => x.status === 'ok')
      .map((x) => x.node)
      .sort();
    assert.deepEqual(ran, ['answer', 'query', 'quote', 'redact', 'search']);
    assert.ok(j.outputs.answer.text.length > 0);
    const again = cli(join(dir, 'rag.yaml'), '--input', 'my parcel weighs 3 kg and goes to zone B', '--json');
    assert.equal(again.code, 0, again.err);
  });

  it('bad input: a graph error, an unknown input, a missing file', () => {
    const bad = join(files.dir, 'bad.yaml');
    writeFileSync(
      bad,
      'nodes:\n  a: { kind: tool, tool: t }\n  b: { kind: tool, tool: t }\ntools: { t: { builtin: echo } }\nedges: [[a, b], [b, a]]\noutput: b\n',
    );
    const r1 = cli(bad);
    assert.equal(r1.code, 1);
    assert.match(r1.err, /switchyard: error: .*bad\.yaml: the edges a -> b -> a form a cycle outside a bounded loop/);
    const r2 = cli(graph, '--input', 'one', '--input', 'two');
    assert.equal(r2.code, 1);
    assert.match(r2.err, /--input question is given twice/);
    const r3 = cli(join(files.dir, 'missing.yaml'));
    assert.equal(r3.code, 1);
    assert.match(r3.err, /missing\.yaml: no such file/);
  });
});
