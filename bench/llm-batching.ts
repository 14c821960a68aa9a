// Continuous batching benchmark (npm run bench:llm-batching): prints a table, asserts nothing.
// Loopback only, bounded: one seeded synthetic Llama (random weights, a BPE tokenizer trained
// here) served twice on 127.0.0.1 - with --llm-batch 1 (one completion at a time, the dense KV
// cache) and with --llm-batch 16 (one step loop, paged KV cache) - then streamed completions of a
// fixed length: one at a time on each, and 1, 4 and 16 at once on the batched server. Throughput is
// completion tokens per second of wall time; TTFT and TPOT are measured by the client per stream.
// Then prefix reuse: a chat's first turn (a user message of about --prefix tokens, default 1000)
// and its second turn (the first, its answer, a new question) on a server with prefix reuse and on
// one without; TTFT of each turn and whether both servers gave the same tokens.
//   --backend reference|wasm (default wasm)   --tokens N (default 32)   --hidden H (default 256)
//   --reps N (interleaved rounds, default 3)   --tpot-sla MS (default 100)   --no-prefix (skip prefix reuse)

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/index.js';
import { hfConfigJson, llamaConfig, syntheticHfTensors } from '../src/agent/llm/synthetic.js';
import { TextTokenizer, trainBpe } from '../src/agent/llm/tokenizer.js';
import { sseEvents } from '../src/agent/nodes/remote-llm.js';
import { ms, table } from '../src/cli/table.js';
import { writeSafetensors } from '../src/frontend/weights/safetensors.js';
import { type OffloadServer, startServer } from '../src/server/app.js';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : d;
};
const backend = arg('--backend', 'wasm');
const tokens = Number(arg('--tokens', '32'));
const hidden = Number(arg('--hidden', '256'));
const prefixTokens = Number(arg('--prefix', '1000'));
const reps = Number(arg('--reps', '3'));
/** TPOT target of the table's last column (100 ms: ten tokens a second, DistServe's chatbot SLO). */
const tpotSla = Number(arg('--tpot-sla', '100'));
const TOKEN = 'bench-token';

const corpus = [
  'The quick brown fox jumps over the lazy dog.',
  'Agents call tools and read what they return.',
  'Servers batch the decode steps of many streams.',
];
const tok = trainBpe(
  corpus.flatMap((s) => [s, s.toLowerCase(), s.toUpperCase()]),
  { vocabSize: 300 },
);
const vocab = Object.keys((tok as { model: { vocab: Record<string, number> } }).model.vocab).length;
const config = llamaConfig({
  vocabSize: vocab,
  hiddenSize: hidden,
  numLayers: 4,
  numHeads: hidden / 32,
  numKvHeads: hidden / 64,
  headDim: 32,
  intermediateSize: 4 * hidden,
  contextLength: 256,
  eosTokenId: 0,
  bosTokenId: 0,
});
const dir = mkdtempSync(join(tmpdir(), 'sy-bench-batch-'));
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'config.json'), JSON.stringify(hfConfigJson(config)));
writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(syntheticHfTensors(config, 3)));
writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok));
// the same weights with a context long enough for the shared prefix
const longDir = mkdtempSync(join(tmpdir(), 'sy-bench-prefix-'));
writeFileSync(join(longDir, 'config.json'), JSON.stringify(hfConfigJson({ ...config, contextLength: 2048 })));
writeFileSync(join(longDir, 'model.safetensors'), writeSafetensors(syntheticHfTensors(config, 3)));
writeFileSync(join(longDir, 'tokenizer.json'), JSON.stringify(tok));

interface Stream {
  ttftMs: number;
  tpotMs: number;
  tokens: number;
}

async function stream(url: string, i: number): Promise<Stream> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: `request ${i}: the quick brown fox` }],
      max_tokens: tokens,
      temperature: 0.8,
      seed: i,
      stream: true,
      return_token_ids: true,
    }),
  });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  const at: number[] = [];
  for await (const e of sseEvents(res.body!)) {
    if (e === '[DONE]') break;
    const ids = (JSON.parse(e) as { choices: { token_ids?: number[] }[] }).choices[0]?.token_ids ?? [];
    for (const _ of ids) at.push(performance.now() - t0);
  }
  return {
    ttftMs: at[0] ?? NaN,
    tpotMs: at.length > 1 ? (at[at.length - 1]! - at[0]!) / (at.length - 1) : NaN,
    tokens: at.length,
  };
}

const pct = (xs: number[], p: number) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

/**
 * `total` streams with `concurrent` of them in flight at any time (a closed loop: a client starts its
 * next stream when one ends, so no round waits for its slowest stream); tokens and wall time.
 */
async function run(
  url: string,
  concurrent: number,
  total: number,
): Promise<{ tokens: number; s: number; x: Stream[] }> {
  const t0 = performance.now();
  const x: Stream[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrent }, async () => {
      while (next < total) x.push(await stream(url, next++));
    }),
  );
  return { tokens: x.reduce((a, r) => a + r.tokens, 0), s: (performance.now() - t0) / 1000, x };
}

const serve = (batch: number): Promise<OffloadServer> =>
  startServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    logLevel: 'silent',
    workers: 1,
    backend,
    llms: [{ name: 'm', path: dir }],
    llmCapacity: 128,
    llmBatch: batch,
  });

/** A chat turn, streamed: TTFT as the client sees it, the tokens, the answer's text. */
async function turn(url: string, messages: { role: string; content: string }[]) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'm',
      messages,
      max_tokens: 16,
      temperature: 0,
      stream: true,
      return_token_ids: true,
    }),
  });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  let ttftMs = NaN,
    text = '';
  const ids: number[] = [];
  for await (const e of sseEvents(res.body!)) {
    if (e === '[DONE]') break;
    const c = (JSON.parse(e) as { choices: { token_ids?: number[]; delta?: { content?: string } }[] }).choices[0];
    if (c?.token_ids?.length && Number.isNaN(ttftMs)) ttftMs = performance.now() - t0;
    ids.push(...(c?.token_ids ?? []));
    text += c?.delta?.content ?? '';
  }
  return { ttftMs, ids, text };
}

async function prefixReuse(): Promise<void> {
  const enc = new TextTokenizer(tok);
  let long = '';
  for (let i = 0; enc.encode(long).length < prefixTokens; i++) long += `${corpus[i % 3]} `;
  const serveLong = (reuse: boolean) =>
    startServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      logLevel: 'silent',
      workers: 1,
      backend,
      llms: [{ name: 'm', path: longDir }],
      llmCapacity: 1280,
      llmBatch: 4,
      llmPrefixReuse: reuse,
    });
  const rows: (string | number)[][] = [];
  const runs: { ids: number[][] }[] = [];
  for (const reuse of [true, false]) {
    const s = await serveLong(reuse);
    try {
      await turn(s.url, [{ role: 'user', content: 'warm the long graphs up' }]);
      const m1 = [{ role: 'user', content: long }];
      const t1 = await turn(s.url, m1);
      const t2 = await turn(s.url, [
        ...m1,
        { role: 'assistant', content: t1.text },
        { role: 'user', content: 'and then?' },
      ]);
      runs.push({ ids: [t1.ids, t2.ids] });
      rows.push([reuse ? 'on' : 'off', ms(t1.ttftMs), ms(t2.ttftMs), `${(t2.ttftMs / t1.ttftMs).toFixed(2)}×`]);
    } finally {
      await s.close();
    }
  }
  const same = JSON.stringify(runs[0]!.ids) === JSON.stringify(runs[1]!.ids);
  console.log(
    `\n# Prefix reuse: a first turn of ${enc.encode(long).length} prompt tokens, then the second turn (first + answer + question); 16 tokens each, greedy`,
  );
  console.log(table(['prefix reuse', 'turn 1 TTFT', 'turn 2 TTFT', 'turn 2 / turn 1'], rows, ['l', 'r', 'r', 'r']));
  console.log(`# same tokens with and without reuse: ${same ? 'yes' : 'NO'}`);
}

if (process.argv.includes('--prefix-only')) {
  await prefixReuse();
  process.exit(0);
}

const single = await serve(1);
const batched = await serve(16);
try {
  // warm-up at every shape measured (the first 16-stream step of each span and prefill shape pays
  // for first touches), then the runs interleaved over --reps rounds so the machine's load moves
  // them alike; each figure sums its runs over all rounds
  const runs = [
    { name: 'one at a time, --llm-batch 1', url: single.url, concurrent: 1, total: 4 },
    { name: 'one at a time, --llm-batch 16', url: batched.url, concurrent: 1, total: 4 },
    { name: '4 concurrent, --llm-batch 16', url: batched.url, concurrent: 4, total: 12 },
    { name: '16 concurrent, --llm-batch 16', url: batched.url, concurrent: 16, total: 48 },
  ];
  await run(single.url, 1, 2);
  for (const c of [1, 4, 16]) await run(batched.url, c, c);
  const got = runs.map(() => ({ tokens: 0, s: 0, x: [] as Stream[] }));
  for (let rep = 0; rep < reps; rep++)
    for (const [i, r] of runs.entries()) {
      const o = await run(r.url, r.concurrent, r.total);
      got[i]!.tokens += o.tokens;
      got[i]!.s += o.s;
      got[i]!.x.push(...o.x);
    }
  const baseTps = got[0]!.tokens / got[0]!.s;
  const rows = runs.map((r, i) => {
    const g = got[i]!,
      tps = g.tokens / g.s,
      // a stream of one token has no TPOT (NaN): it is left out, not counted as a miss
      tpots = g.x.map((x) => x.tpotMs).filter(Number.isFinite);
    return [
      r.name,
      g.x.length,
      tps.toFixed(1),
      `${(tps / baseTps).toFixed(2)}×`,
      ms(
        pct(
          g.x.map((x) => x.ttftMs),
          0.5,
        ),
      ),
      ms(pct(tpots, 0.5)),
      ms(pct(tpots, 0.99)),
      `${((100 * tpots.filter((t) => t <= tpotSla).length) / tpots.length).toFixed(0)} %`,
    ];
  });
  const p = config;
  console.log(
    `\n# Continuous batching: synthetic Llama (${p.numLayers} layers, hidden ${p.hiddenSize}, ${p.numHeads} heads / ` +
      `${p.numKvHeads} KV heads, vocab ${p.vocabSize}), ${tokens} tokens a stream, backend ${backend}, ` +
      `${reps} interleaved rounds, TPOT SLA ${tpotSla} ms`,
  );
  console.log(
    `# ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (figures on a shared machine move with its load)`,
  );
  console.log(
    table(
      ['run', 'streams', 'tokens/s', 'vs one at a time', 'TTFT p50', 'TPOT p50', 'TPOT p99', 'TPOT within SLA'],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
} finally {
  await single.close();
  await batched.close();
}
if (!process.argv.includes('--no-prefix')) await prefixReuse();
