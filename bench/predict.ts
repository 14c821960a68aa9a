// `npm run bench:predict`: how well plans predict what they then measure. Over the bench workloads
// (bench/peers: matmuls, a MiniLM-shaped encoder, a GPT-2 decode step, a 16M add, a 100k vector
// search) and the light ONNX models in examples/models, per device (WASM on 1 and 2 threads, the
// WebGPU adapter when there is one) and for `auto` (every device found): the plan's predicted first
// run (compile, upload, pack and first use included) and steady state against the measured ones,
// mean and worst |predicted / measured - 1|, and auto's steady time / the best single device's.
// The example agent's rows come from bench/predict-agent.ts. Each configuration keeps one kernel
// history across the workloads (as a user's machine does), in memory: the first workload is
// predicted from calibration alone, later ones also from the device curves re-fit so far.
//
//   node dist/bench/predict.js [--quick] [--only REGEX] [--runs N] [--md docs/benchmarks-predict.md]
//   --only REGEX: the workloads whose id matches (matmul-256 ... two-tower, agent); with --only the
//   report goes to docs/benchmarks-predict-only.md unless --md says otherwise, so a subset never
//   overwrites the full table. The run prints its rough length before it starts.

import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomFeeds } from '../src/cli/random-inputs.js';
import { MemoryStore } from '../src/cost/history.js';
import type { DeviceSpec } from '../src/runtime/devices.js';
import { Session, type SessionOptions } from '../src/runtime/session.js';
import '../src/index.js';
import { agentRows } from './predict-agent.js';
import { type Row, renderReport } from './predict-report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const only = flag('--only') ? new RegExp(flag('--only')!) : undefined;
const maxRuns = Number(flag('--runs') ?? (quick ? 4 : 8));
const mdPath = flag('--md') ?? join(root, only ? 'docs/benchmarks-predict-only.md' : 'docs/benchmarks-predict.md');
const say = (s: string) => process.stderr.write(`${s}\n`);

interface Config {
  name: string;
  devices?: DeviceSpec[];
  allow?: string[];
}

async function configs(): Promise<Config[]> {
  const out: Config[] = [
    // ids of their own, so each thread count keeps its calibrated profile (the cache is per device id)
    { name: 'wasm t1', devices: [{ kind: 'wasm', threads: 1, id: 'wasm-t1' }], allow: ['wasm-t1'] },
    { name: 'wasm t2', devices: [{ kind: 'wasm', threads: 2, id: 'wasm-t2' }], allow: ['wasm-t2'] },
  ];
  // the WebGPU adapter, when Dawn finds one here (SwiftShader on a machine without a GPU)
  const probe = await Session.create(join(root, 'examples/models/two-tower.onnx'), {
    backend: 'auto',
    devices: [{ kind: 'webgpu' }],
    calibration: 'cache',
  }).catch(() => undefined);
  const gpu = probe?.hetero?.devices.find((d) => d.device.kind === 'webgpu');
  if (gpu)
    out.push({
      name: `webgpu (${gpu.profile.name.replace(/^WebGPU: /, '').slice(0, 24)})`,
      devices: [{ kind: 'webgpu' }],
      allow: ['webgpu'],
    });
  else say('bench:predict: no WebGPU adapter; its rows are left out');
  await probe?.release();
  out.push({ name: 'auto' });
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Live {
  c: Config;
  s: Session;
  coldSteadyMs: number;
  times: number[];
  predicted: number[];
  feeds: ReturnType<typeof randomFeeds>;
}

async function open(model: string, c: Config, store: MemoryStore): Promise<Live> {
  const options: SessionOptions = {
    backend: 'auto',
    history: store,
    ...(c.devices ? { devices: c.devices } : {}),
    ...(c.allow ? { policy: { objective: 'latency', allow: c.allow } } : {}),
  };
  const s = await Session.create(model, options);
  const h = s.hetero!;
  const live = {
    c,
    s,
    coldSteadyMs: h.plan.steadyMs ?? h.plan.makespanMs,
    times: [],
    predicted: [],
    feeds: randomFeeds(s.graph, 1, {}),
  };
  await s.run(live.feeds);
  return live;
}

async function timeRun(l: Live): Promise<void> {
  const h = l.s.hetero!;
  // the prediction in force for this run: the plan it runs (re-predicted after each run)
  l.predicted.push(h.plan.steadyMs ?? h.plan.makespanMs);
  const t = performance.now();
  await l.s.run(l.feeds);
  l.times.push(performance.now() - t);
}

function spreadOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return q(0.9) / Math.max(1e-9, q(0.1));
}

async function finish(workload: string, l: Live): Promise<Row> {
  const h = l.s.hetero!;
  const p0 = h.firstRun!.plan;
  const devicesUsed = [...new Set(h.plan.assignments.filter((a) => !a.task.startsWith('@')).map((a) => a.device))].join(
    '+',
  );
  const row: Row = {
    workload,
    config: l.c.name,
    devices: devicesUsed,
    firstPredMs: p0.firstRun?.ms ?? p0.steadyMs ?? p0.makespanMs,
    firstMs: h.firstRun!.ms,
    // the first timed run still settles (tier-up, caches): the median of the rest
    coldSteadyMs: l.coldSteadyMs,
    steadyPredMs: median(l.predicted.slice(1)),
    steadyMs: median(l.times.slice(1)),
    runs: l.times.length,
    replans: h.replans,
    spread: spreadOf(l.times.slice(1)),
  };
  await l.s.release();
  return row;
}

/** Rounds of one run per configuration, interleaved so load from elsewhere lands on all alike. */
async function rounds(ls: Live[]): Promise<void> {
  const t0 = performance.now();
  for (let r = 0; ; r++) {
    const el = performance.now() - t0;
    if (r >= 4 && (el > 6000 || r >= 40 || (r >= maxRuns && el > 1500))) break;
    // a different configuration first each round: what one leaves running (a GPU queue draining,
    // a collection) lands on each of the others in turn, not always on the same one
    for (let i = 0; i < ls.length; i++) await timeRun(ls[(i + r) % ls.length]!);
  }
}

/** All configurations of a workload side by side; one at a time where the weights are large. */
async function measureWorkload(
  workload: string,
  model: string,
  cs: Config[],
  stores: Map<string, MemoryStore>,
  big: boolean,
): Promise<Row[]> {
  const rows: Row[] = [];
  const fail = (c: Config, e: unknown) =>
    rows.push({ workload, config: c.name, devices: '-', error: (e as Error).message.split('\n')[0]!.slice(0, 120) });
  if (big) {
    for (const c of cs) {
      say(`bench:predict: ${workload} on ${c.name}`);
      try {
        const l = await open(model, c, stores.get(c.name)!);
        await rounds([l]);
        rows.push(await finish(workload, l));
      } catch (e) {
        fail(c, e);
      }
    }
    return rows;
  }
  const ls: Live[] = [];
  for (const c of cs) {
    say(`bench:predict: ${workload} on ${c.name}`);
    try {
      ls.push(await open(model, c, stores.get(c.name)!));
    } catch (e) {
      fail(c, e);
    }
  }
  await rounds(ls);
  for (const l of ls) rows.push(await finish(workload, l));
  return rows;
}

/**
 * Seconds the run will take, roughly: per configuration a session is created and run once
 * (calibration is cached; SwiftShader's first compiles take longest), then rounds of runs for up
 * to 6 s per workload (big ones, one configuration at a time, each for its own rounds).
 */
function estimateS(models: [string, string][], configs: number, agent: boolean): number {
  let s = agent ? 40 : 0;
  for (const [, path] of models) s += statSync(path).size > 100e6 ? configs * 15 : configs * 2 + 4;
  return s;
}

async function main(): Promise<void> {
  const { ensureModels } = (await import(join(root, 'bench/peers/src/onnx/build-models.js'))) as {
    ensureModels: (ids: string[], log: (s: string) => void) => Record<string, string>;
  };
  const benchIds = [
    'matmul-256',
    'matmul-512',
    'matmul-1024',
    'encoder-minilm6',
    'gpt2-decode',
    'add-16m',
    'vecsearch-100k',
  ];
  const ids = benchIds
    .filter((id) => !only || only.test(id))
    .filter((id) => !quick || !['gpt2-decode', 'vecsearch-100k'].includes(id));
  const models: [string, string][] = Object.entries(ensureModels(ids, say));
  for (const m of ['mini-encoder', 'tiny-cnn', 'two-tower'])
    if (!only || only.test(m)) models.push([m, join(root, `examples/models/${m}.onnx`)]);
  const cs = await configs();
  const withAgent = !only || only.test('agent');
  const estimate = estimateS(models, cs.length, withAgent);
  say(
    `bench:predict: ${models.length} workloads${withAgent ? ' + the agent' : ''} x ${cs.length} configurations ` +
      `(${cs.map((c) => c.name).join(', ')}): roughly ${Math.ceil(estimate / 60)} min on a quiet machine`,
  );
  const started = performance.now();
  const stores = new Map(cs.map((c) => [c.name, new MemoryStore()]));
  const rows: Row[] = [];
  for (const [id, path] of models)
    rows.push(...(await measureWorkload(id, path, cs, stores, statSync(path).size > 100e6)));
  if (withAgent) rows.push(...(await agentRows(root, say)));
  say(
    `bench:predict: took ${((performance.now() - started) / 60e3).toFixed(1)} min (estimated ${Math.ceil(estimate / 60)})`,
  );
  const text = renderReport(rows, { runs: maxRuns, quick, date: new Date().toISOString() });
  console.log(text);
  writeFileSync(mdPath, text);
  say(`bench:predict: wrote ${mdPath}`);
}

await main();
process.exit(0);
