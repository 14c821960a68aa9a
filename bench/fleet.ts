// Fleet routing benchmark (npm run bench:fleet): prints tables, asserts nothing. Loopback only,
// bounded (one seeded trace of --requests completions, default 48). Three Switchyard servers with
// continuous batching serve the same seeded synthetic Llama, throttled (--slow-ms a step) to stand
// for a new accelerator, a mid-range GPU and an older GPU, at different $/hour. The same trace goes
// through the router sidecar three times - round-robin, least-loaded, Switchyard's router - and
// the client measures TTFT and TPOT per stream against the SLA. Then the trace simulator, fed the
// servers' own /v1/info figures, predicts each run. Distributions: docs/fleet-routing.md.

import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/index.js';
import { hfConfigJson, hfToGguf, llamaConfig, normalSampler, syntheticHfTensors } from '../src/agent/llm/synthetic.js';
import { ggufTokenizerMetadata, trainBpe } from '../src/agent/llm/tokenizer.js';
import { sseEvents } from '../src/agent/nodes/remote-llm.js';
import { ms, table } from '../src/cli/table.js';
import { writeGguf } from '../src/frontend/weights/gguf.js';
import { writeSafetensors } from '../src/frontend/weights/safetensors.js';
import type { Policy, ServingFigures } from '../src/planner/fleet/serving.js';
import { simulate, type TraceRequest } from '../src/planner/fleet/simulate.js';
import { type LlmInfo, llmTpotAt, TPOT_HEADER, TTFT_HEADER } from '../src/protocol/llm.js';
import { type OffloadServer, startServer } from '../src/server/app.js';
import { startRouter } from '../src/server/router.js';
import { mulberry32 } from '../src/util/rng.js';
import { datacenterTable } from './fleet-datacenter.js';
import { type LlamaCppMember, startLlamaCppMember } from './fleet-llamacpp.js';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : d;
};
const N = Number(arg('--requests', '48'));
const rate = Number(arg('--rate', '8'));
// the SLA: given, or set from the servers' own figures (see below)
const SLA = { ttftMs: Number(arg('--ttft', '0')), tpotMs: Number(arg('--tpot', '0')) };
const TOKEN = 'bench-token';
/** --log FILE: one JSON line per request and policy (member, the router's prediction, measured TTFT/TPOT). */
const logPath = arg('--log', '');

// the three servers: throttle per step, $/hour (catalog-like ratios: new accelerator, mid GPU, old GPU)
// --slow-scale multiplies the throttles: on a loaded machine they must stay above the CPU's noise
const scale = Number(arg('--slow-scale', '1'));
const FLEET = [
  { name: 'new-accel', slowMs: 8 * scale, pricePerHour: 4.0 },
  { name: 'mid-gpu', slowMs: 30 * scale, pricePerHour: 1.2 },
  { name: 'old-gpu', slowMs: 90 * scale, pricePerHour: 0.5 },
];

const corpus = [
  'The quick brown fox jumps over the lazy dog.',
  'Agents call tools and read what they return.',
  'Routers send work where it is cheapest in time.',
];
const tok = trainBpe(
  corpus.flatMap((s) => [s, s.toLowerCase(), s.toUpperCase()]),
  { vocabSize: 300 },
);
const vocab = Object.keys((tok as { model: { vocab: Record<string, number> } }).model.vocab).length;
const config = llamaConfig({
  vocabSize: vocab,
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 128,
  contextLength: 256,
  eosTokenId: 0,
  bosTokenId: 0,
});
const dir = mkdtempSync(join(tmpdir(), 'sy-bench-fleet-'));
writeFileSync(join(dir, 'config.json'), JSON.stringify(hfConfigJson(config)));
const weights = syntheticHfTensors(config, 5);
writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(weights));
// the same model as GGUF for the llama.cpp member (--no-llamacpp leaves it out)
const withLlamaCpp = !process.argv.includes('--no-llamacpp');
const LLAMACPP = { name: 'llama.cpp', slowMs: 20 * scale, pricePerHour: 1.0 };
const ggufPath = join(dir, 'model.gguf');
if (withLlamaCpp) {
  const { metadata, tensors } = hfToGguf(config, weights, 'F32');
  writeFileSync(ggufPath, writeGguf({ ...metadata, ...ggufTokenizerMetadata(tok, { eos: 0 }) }, tensors));
}
writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok));

/** The trace: Poisson arrivals, lognormal prompt words and output tokens (docs/fleet-routing.md). */
function trace(seed: number): (TraceRequest & { words: number })[] {
  const u = mulberry32(seed),
    z = normalSampler(seed + 1);
  let t = 0;
  return Array.from({ length: N }, () => {
    t += (-Math.log(1 - u()) / rate) * 1000;
    const words = Math.max(2, Math.min(60, Math.round(Math.exp(2.3 + 0.8 * z()))));
    const maxTokens = Math.max(4, Math.min(48, Math.round(Math.exp(2.8 + 0.6 * z()))));
    return {
      atMs: t,
      words,
      promptTokens: Math.ceil((words * 6 + 20) / 3),
      maxTokens,
      ttftMs: SLA.ttftMs,
      tpotMs: SLA.tpotMs,
    };
  });
}

interface Measured {
  ttftMs: number;
  tpotMs: number;
  meets: boolean;
  member: string;
  /** The router's x-switchyard-decision: its prediction and the in-flight counts it saw. */
  decision: string;
  status: number;
}

async function one(url: string, r: TraceRequest & { words: number }, i: number): Promise<Measured> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      [TTFT_HEADER]: String(SLA.ttftMs),
      [TPOT_HEADER]: String(SLA.tpotMs),
    },
    body: JSON.stringify({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: Array.from({ length: r.words }, (_, k) => corpus[(i + k) % 3]!.split(' ')[k % 8]).join(' '),
        },
      ],
      max_tokens: r.maxTokens,
      ignore_eos: true,
      temperature: 0.7,
      seed: i,
      stream: true,
      return_token_ids: true,
    }),
  });
  const member = res.headers.get('x-switchyard-member') ?? '?';
  const decision = res.headers.get('x-switchyard-decision') ?? '';
  if (res.status !== 200) {
    await res.body?.cancel();
    return { ttftMs: NaN, tpotMs: NaN, meets: false, member, decision, status: res.status };
  }
  const at: number[] = [];
  for await (const e of sseEvents(res.body!)) {
    if (e === '[DONE]') break;
    for (const _ of (JSON.parse(e) as { choices: { token_ids?: number[] }[] }).choices[0]?.token_ids ?? [])
      at.push(performance.now() - t0);
  }
  const ttftMs = at[0] ?? NaN,
    tpotMs = at.length > 1 ? (at[at.length - 1]! - at[0]!) / (at.length - 1) : 0;
  return { ttftMs, tpotMs, meets: ttftMs <= SLA.ttftMs && tpotMs <= SLA.tpotMs, member, decision, status: 200 };
}

const pct = (xs: number[], p: number) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

const servers: OffloadServer[] = [];
let llamacpp: LlamaCppMember | undefined;
try {
  for (const f of FLEET)
    servers.push(
      await startServer({
        host: '127.0.0.1',
        port: 0,
        token: TOKEN,
        logLevel: 'silent',
        workers: 1,
        backend: 'reference',
        llms: [{ name: 'm', path: dir }],
        // the model's whole context: every request of the trace fits every member
        llmCapacity: 256,
        llmBatch: 8,
        slowMs: f.slowMs,
        pricePerHour: f.pricePerHour,
        maxLlmQueue: 64,
      }),
    );
  const members: { url: string; pricePerHour: number; name: string }[] = FLEET.map((f, i) => ({
    url: servers[i]!.url,
    pricePerHour: f.pricePerHour,
    name: f.name,
  }));
  if (withLlamaCpp) {
    llamacpp = await startLlamaCppMember({ modelPath: ggufPath, token: TOKEN, stepDelayMs: LLAMACPP.slowMs });
    members.push({ url: llamacpp.url, pricePerHour: LLAMACPP.pricePerHour, name: LLAMACPP.name });
  }
  const figs = await Promise.all(
    servers.map(
      async (s) =>
        (
          (await (await fetch(`${s.url}/v1/info`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
            llms: LlmInfo[];
          }
        ).llms[0]!,
    ),
  );
  // by default a TPOT target the old GPU cannot keep even alone and the mid GPU keeps at small batches, and a
  // TTFT target of a few prefills there: round-robin must miss it for a third of the requests
  if (!SLA.tpotMs) SLA.tpotMs = Math.round((llmTpotAt(figs[1]!, 2) + llmTpotAt(figs[2]!, 1)) / 2);
  if (!SLA.ttftMs) SLA.ttftMs = Math.round(6 * Math.max(...figs[1]!.prefill.ms));
  console.log(
    `# measured TPOT (ms) at batch ${figs[0]!.batching!.sizes.join('/')}: ${FLEET.map((f, i) => `${f.name} ${figs[i]!.batching!.tpotMs.map((x) => x.toFixed(0)).join('/')}`).join('; ')}`,
  );
  const tr = trace(7);
  const rows: (string | number)[][] = [];
  const sims: (string | number)[][] = [];
  for (const policy of arg('--policies', 'round-robin,least-loaded,router').split(',') as Policy[]) {
    const r = await startRouter({
      members,
      policy,
      token: TOKEN,
      forwardTargets: process.argv.includes('--server-admission'),
    });
    // the simulator starts from the figures the router starts from (the live router re-reads them)
    const startFigures = r.router.members.map((m) => structuredClone(m.figures));
    const t0 = performance.now();
    const out = await Promise.all(
      tr.map(async (q, i) => {
        await new Promise((w) => setTimeout(w, Math.max(0, q.atMs - (performance.now() - t0))));
        return one(r.url, q, i);
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    if (logPath)
      appendFileSync(
        logPath,
        out
          .map((o, i) => JSON.stringify({ policy, i, ...tr[i], ...o, sla: SLA }))
          .join('\n')
          .concat('\n'),
      );
    const cost = r.router.costUsd();
    const share = members.map((f) => `${f.name} ${out.filter((o) => o.member === f.name).length}`).join(', ');
    const att = out.filter((o) => o.meets).length / out.length;
    rows.push([
      policy,
      `${(att * 100).toFixed(1)} %`,
      (out.filter((o) => o.meets).length / wall).toFixed(2),
      ms(
        pct(
          out.map((o) => o.ttftMs),
          0.5,
        ),
      ),
      ms(
        pct(
          out.map((o) => o.ttftMs),
          0.99,
        ),
      ),
      ms(
        pct(
          out.map((o) => o.tpotMs),
          0.5,
        ),
      ),
      ms(
        pct(
          out.map((o) => o.tpotMs),
          0.99,
        ),
      ),
      `$${((cost / N) * 1000).toFixed(4)}`,
      share,
    ]);
    // the simulator from the figures the router started with, and from the servers' figures after
    // the run (what they measured during it); the per-request log is of the latter
    await r.router.refresh();
    const simOn = (figures: ServingFigures[]) =>
      simulate(
        r.router.members.map((m, k) => ({
          name: m.name,
          figures: figures[k]!,
          slots: m.slots,
          pricePerHour: m.pricePerHour,
        })),
        tr,
        policy,
      );
    const simStart = simOn(startFigures);
    const sim = simOn(r.router.members.map((m) => m.figures));
    const attOf = (x: typeof sim) => x.results.filter((y) => y.meets).length / N;
    if (logPath)
      appendFileSync(
        logPath,
        sim.results
          .map((x, i) => JSON.stringify({ policy: `sim:${policy}`, i, ...x, member: members[x.server]?.name }))
          .join('\n')
          .concat('\n'),
      );
    const usd = (c: number) => `$${((c / N) * 1000).toFixed(4)}`;
    const err = (c: number) => `${(((c - cost) / cost) * 100).toFixed(0)} %`;
    sims.push([
      policy,
      `${(att * 100).toFixed(1)} %`,
      `${(attOf(simStart) * 100).toFixed(1)} %`,
      `${(attOf(sim) * 100).toFixed(1)} %`,
      usd(cost),
      `${usd(simStart.costUsd)} (${err(simStart.costUsd)})`,
      `${usd(sim.costUsd)} (${err(sim.costUsd)})`,
      members.map((m, k) => `${m.name} ${sim.results.filter((x) => x.server === k).length}`).join(', '),
    ]);
    await r.close();
  }
  console.log(
    `\n# Fleet routing on loopback: ${N} streamed completions, Poisson ${rate}/s, SLA TTFT <= ${SLA.ttftMs} ms and TPOT <= ${SLA.tpotMs} ms`,
  );
  console.log(
    `# servers: ${FLEET.map((f) => `${f.name} (+${f.slowMs} ms a step, $${f.pricePerHour}/h, 8 slots)`).join(', ')}${withLlamaCpp ? `, llama.cpp (node-llama-cpp, +${LLAMACPP.slowMs} ms a token, $${LLAMACPP.pricePerHour}/h, 1 at a time, profiled by the router)` : ''}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    table(
      [
        'policy',
        'SLA met',
        'goodput req/s',
        'TTFT p50',
        'TTFT p99',
        'TPOT p50',
        'TPOT p99',
        '$ / 1000 req',
        'requests per server',
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  console.log(
    `\n# The trace simulator (same serving model and routing rule, the servers' /v1/info figures) against the run`,
  );
  console.log(
    table(
      [
        'policy',
        'SLA met (run)',
        'simulated, start figures',
        'simulated, end figures',
        '$ / 1000 (run)',
        '$ / 1000 simulated, start (error)',
        '$ / 1000 simulated, end (error)',
        'simulated requests per server (end figures)',
      ],
      sims,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
} finally {
  for (const s of servers) await s.close();
  await llamacpp?.close();
}
console.log(`\n${datacenterTable()}`);
