// LLM and agent benchmarks (npm run bench:agent). Prints tables; asserts nothing.
//
// 1. Decode: a GPT-2-small-shaped model (124 M parameters, seeded weights) generating greedily:
//    TTFT (prefill of the prompt + first token) and decode tokens/s on every device this build can
//    discover, beside onnxruntime-node running the very same prefill/decode step graphs (exported
//    to ONNX) with the KV cache fed back, and the ORT-web WASM decode step of the shared peers
//    bench (read from its results; same GPT-2-small shape, KV cache 128).
// 2. The example agent (examples/agent/rag.yaml): everything on the host, planned over the local
//    devices, planned over the local devices and an offload server (`switchyard serve --llm chat=…`
//    started here as a child process on loopback, as `npm start` does), and the answer pinned to
//    that server's chat route; the SLA met or missed in each, and where the planner put each node.
//    On one machine the server shares the CPU with this client, so it offers no extra compute; what
//    it does offer is a model compiled and warm before the first request.
//
// Options: --quick (a 4-layer model, fewer tokens), --tokens N, --prompt N, --layers N.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import '../src/index.js';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { prepareExampleModels } from '../src/agent/example.js';
import { paramCount } from '../src/agent/llm/config.js';
import { LlmEngine, type LlmModel } from '../src/agent/llm/engine.js';
import { buildStepGraph, stepInputNames } from '../src/agent/llm/model.js';
import { argmax } from '../src/agent/llm/sampling.js';
import { GPT2_SMALL, gpt2Config, syntheticHfTensors } from '../src/agent/llm/synthetic.js';
import { weightsFromHf } from '../src/agent/llm/weights.js';
import { AgentSession } from '../src/agent/session.js';
import type { AgentPlan, AgentResult, NodePlacement } from '../src/agent/types.js';
import type { Device } from '../src/backends/device.js';
import { table } from '../src/cli/table.js';
import { Estimator } from '../src/cost/estimator.js';
import { KernelHistory } from '../src/cost/history.js';
import { exportOnnx } from '../src/frontend/onnx/export.js';
import { type DeviceEntry, deviceKinds, discoverDevices } from '../src/runtime/devices.js';
import { stores } from '../src/runtime/node-stores.js';

const args = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const quick = args.includes('--quick');
const root = join(import.meta.dirname, '../..');
const f = (x: number | undefined, d = 1) =>
  x === undefined || !Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(d);

// ---------------------------------------------------------------------------------------------
// 1. decode

const layers = opt('layers', quick ? 4 : 12);
const newTokens = opt('tokens', quick ? 8 : 16);
const promptLen = opt('prompt', 32);
const capacity = 128;
const config = gpt2Config({ ...GPT2_SMALL, numLayers: layers });
console.log(
  `# LLM decode: GPT-2-small shape, ${layers} layers, ${(paramCount(config) / 1e6).toFixed(0)} M parameters (seeded), prompt ${promptLen} tokens, ${newTokens} new tokens, greedy, KV cache ${capacity}`,
);
const t0 = performance.now();
const model: LlmModel = {
  name: 'gpt2-small-synthetic',
  config,
  weights: weightsFromHf(syntheticHfTensors(config, 1, 0.02), config, 'synthetic'),
  source: 'synthetic',
};
console.log(`(weights made in ${f(performance.now() - t0, 0)} ms)`);
const prompt = Array.from({ length: promptLen }, (_, i) => (i * 7919) % config.vocabSize);

interface DecodeRow {
  engine: string;
  ttft: number;
  tpot: number;
  coldTtft: number;
  tokens: number[];
  logits?: Float32Array;
  note?: string;
}
const rows: DecodeRow[] = [];

async function engineRow(name: string, device: Device): Promise<DecodeRow> {
  const engine = new LlmEngine(model, { prefill: device, capacity, buckets: [promptLen] });
  const opts = { maxTokens: newTokens, ignoreEos: true };
  const cold = await engine.generate(prompt, { ...opts, maxTokens: 2 }).collect();
  const warm = await engine.generate(prompt, opts).collect();
  const [logits] = await engine.score(prompt, promptLen);
  engine.dispose();
  return {
    engine: `switchyard/${name}`,
    ttft: warm.ttftMs,
    tpot: warm.tpotMs,
    coldTtft: cold.ttftMs,
    tokens: warm.tokens,
    logits,
    note: (await engine.fallbacks()).size
      ? `fallbacks: ${[...(await engine.fallbacks()).keys()].join(', ')}`
      : undefined,
  };
}

/** onnxruntime-node on the same step graphs: prefill once, then decode feeding present -> past. */
async function ortRow(): Promise<DecodeRow> {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const opts = { graphOptimizationLevel: 'all' as const, intraOpNumThreads: 2 };
  const pre = await ort.InferenceSession.create(
    exportOnnx(buildStepGraph(config, model.weights, { seq: promptLen, capacity })),
    opts,
  );
  const dec = await ort.InferenceSession.create(
    exportOnnx(buildStepGraph(config, model.weights, { seq: 1, capacity })),
    opts,
  );
  const names = stepInputNames(config);
  const C = capacity;
  const feeds = (ids: number[], pos0: number, past: Map<string, InstanceType<typeof ort.Tensor>>) => {
    const n = ids.length;
    const mask = new Float32Array(n * C).fill(-1e9),
      place = new Float32Array(C * n),
      keep = new Float32Array(C).fill(1);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= pos0 + i; j++) mask[i * C + j] = 0;
      place[(pos0 + i) * n + i] = 1;
      keep[pos0 + i] = 0;
    }
    const f: Record<string, InstanceType<typeof ort.Tensor>> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(pos0 + i))), [1, n]),
      attn_mask: new ort.Tensor('float32', mask, [1, 1, n, C]),
      cache_place: new ort.Tensor('float32', place, [C, n]),
      cache_keep: new ort.Tensor('float32', keep, [C, 1]),
      last_index: new ort.Tensor('int64', BigInt64Array.of(BigInt(n - 1)), []),
    };
    for (const k of names.slice(6))
      f[k] =
        past.get(k) ??
        new ort.Tensor('float32', new Float32Array(config.numKvHeads * C * config.headDim), [
          1,
          config.numKvHeads,
          C,
          config.headDim,
        ]);
    return f;
  };
  let first: Float32Array | undefined;
  const generate = async (count: number) => {
    const t = performance.now();
    let out = await pre.run(feeds(prompt, 0, new Map()));
    first = Float32Array.from(out.logits!.data as Float32Array);
    const tokens = [argmax(out.logits!.data as Float32Array)];
    const ttft = performance.now() - t;
    const td = performance.now();
    while (tokens.length < count) {
      const past = new Map(names.slice(6).map((k) => [k, out[k.replace('past', 'present')]!]));
      out = await dec.run(feeds([tokens[tokens.length - 1]!], promptLen + tokens.length - 1, past));
      tokens.push(argmax(out.logits!.data as Float32Array));
    }
    return { ttft, tpot: tokens.length > 1 ? (performance.now() - td) / (tokens.length - 1) : 0, tokens };
  };
  const cold = await generate(2);
  const warm = await generate(newTokens);
  return {
    engine: 'onnxruntime-node (same step graphs, 2 threads)',
    ttft: warm.ttft,
    tpot: warm.tpot,
    coldTtft: cold.ttft,
    tokens: warm.tokens,
    logits: first,
  };
}

/** The newest peers-bench result for ORT-web's GPT-2 decode step (shared/peers-bench or bench/peers). */
function peersOrtWeb(): string[][] {
  const out: string[][] = [];
  for (const dir of [
    join(root, 'bench/peers/results'),
    join(root, '../../shared/peers-bench/results'),
    '/work/shared/peers-bench/results',
  ]) {
    let files: string[];
    try {
      files = readdirSync(dir)
        .filter((x) => x.endsWith('.md'))
        .sort();
    } catch {
      continue;
    }
    for (const file of files.reverse()) {
      const md = readFileSync(join(dir, file), 'utf8');
      const sec = md.split('## gpt2-decode')[1]?.split('\n## ')[0];
      if (!sec) continue;
      for (const line of sec.split('\n')) {
        const m = /^\| (ort-web-[^|]+) \| ([^|]*) \| ([^|]*) \|/.exec(line);
        if (m)
          out.push([
            `${m[1]!.trim()} (peers bench ${file.replace(/\.md$/, '')}, KV cache 128)`,
            m[3]!.trim(),
            m[2]!.trim(),
          ]);
      }
      if (out.length) return out;
    }
  }
  return out;
}

const discovery = await discoverDevices({
  devices: deviceKinds()
    .filter((k) => k !== 'remote')
    .map((kind) => ({ kind })),
  calibration: 'never',
});
for (const e of discovery.entries) {
  if (e.device.kind === 'reference' && layers > 4 && !args.includes('--reference')) {
    console.log(
      `(skipping the reference interpreter for ${layers} layers: it widens every weight to f64 per step; --reference runs it)`,
    );
    continue;
  }
  try {
    rows.push(await engineRow(`${e.device.id} (${e.device.kind})`, e.device));
  } catch (err) {
    console.log(`${e.device.id}: ${(err as Error).message}`);
  }
}
try {
  rows.push(await ortRow());
} catch (err) {
  console.log(`onnxruntime-node: ${(err as Error).message}`);
}
const ref = rows.find((r) => r.engine.startsWith('onnxruntime'));
/** Prefill logits against ORT's: max |difference| over the vocabulary, relative to their spread. */
const check = (r: DecodeRow) => {
  if (!ref?.logits || !r.logits || r === ref) return r === ref ? 'reference' : '-';
  let d = 0,
    lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < r.logits.length; i++) {
    d = Math.max(d, Math.abs(r.logits[i]! - ref.logits[i]!));
    lo = Math.min(lo, ref.logits[i]!);
    hi = Math.max(hi, ref.logits[i]!);
  }
  const same = r.tokens.join() === ref.tokens.join();
  return `logits max|Δ| ${d.toExponential(1)} (range ${(hi - lo).toFixed(2)}); tokens ${same ? 'same' : 'differ'}`;
};
console.log(
  table(
    ['engine / device', 'TTFT ms', 'TPOT ms', 'decode tok/s', 'first TTFT ms (cold)', 'check vs onnxruntime'],
    rows.map((r) => [r.engine, f(r.ttft), f(r.tpot, 2), f(1000 / r.tpot), f(r.coldTtft), check(r)]),
  ),
);
for (const r of rows) if (r.note) console.log(`${r.engine}: ${r.note}`);
const peers = peersOrtWeb();
if (peers.length) {
  console.log('\nORT-web decode step from the peers bench (one step, not a generation):');
  console.log(table(['peer', 'median ms', 'first run ms'], peers));
}

// ---------------------------------------------------------------------------------------------
// 2. the example agent: host only vs planned

const graphPath = join(root, 'examples/agent/rag.yaml');
await prepareExampleModels(graphPath);
const question = 'Hi, I am jane@example.com. My parcel weighs 3 kg and goes to zone B. How much is shipping?';

/** `switchyard serve --port 0 --llm chat=…` as a child (IPC: it exits if this process dies). */
async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const proc = spawn(
    process.execPath,
    [
      join(root, 'bin/switchyard.js'),
      'serve',
      '--port',
      '0',
      '--llm',
      `chat=${join(root, 'examples/agent/models/chat')}`,
      '--llm-capacity',
      '512',
      '--drain-timeout-ms',
      '1000',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  const exited = new Promise((r) => proc.on('exit', r));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      try {
        const j = JSON.parse(l) as { msg?: string; url?: string };
        if (j.url && j.msg?.includes('listening')) resolve(j.url);
      } catch {
        /* a log line */
      }
    });
    void exited.then(() => reject(new Error('the offload server exited before it listened')));
  });
  return {
    url,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

const server = await startServer();
const { profiles, history } = stores();
const session = await AgentSession.open(graphPath, {
  discover: {
    devices: [
      ...deviceKinds()
        .filter((k) => k !== 'remote')
        .map((kind) => ({ kind })),
      { kind: 'remote', url: server.url },
    ],
    calibration: 'cache',
    profiles,
  },
  // as `switchyard agent` does: a software WebGPU adapter (the CPU emulating a GPU) is left out
  onNote: (n) => {
    if (/software adapter/.test(n)) console.log(`(agent: ${n})`);
  },
  estimator: new Estimator(new KernelHistory(history)),
});
const isLocal = (e: DeviceEntry) => e.device.kind !== 'remote';
const localEntries = session.entries.filter(isLocal);
const remoteId = session.entries.find((e) => !isLocal(e))?.device.id;
const host = session.devices.defaultDevice;
const offloadNotes = session.notes.filter((n) => n.startsWith('offload: ')).map((n) => n.slice(9));
const sla = session.graph.spec.sla ?? {};
const runs = quick ? 1 : 3;
const agentHead = [
  'configuration',
  'placement (model nodes)',
  'TTFT ms',
  'TPOT ms',
  'total ms',
  `TTFT ≤ ${sla.ttftMs ?? '-'}`,
  `TPOT ≤ ${sla.tpotMs ?? '-'}`,
];
const agentRows: string[][] = [];
const whyLines: string[] = [];
const where = (placement: Map<string, NodePlacement>, chat: Set<string>) =>
  [...placement]
    .filter(([k]) => ['query', 'answer'].includes(k))
    .map(
      ([k, p]) =>
        `${k}@${p.prefill ? (p.prefill !== p.decode ? `${p.prefill}/${p.decode}` : p.prefill) : p.device}${chat.has(k) ? ' (chat route)' : ''}`,
    )
    .join(' ');
type Choice = { placement: Map<string, NodePlacement>; chat: Set<string>; notes?: string[] };
const measure = async (name: string, plan: () => Choice) => {
  // a warm-up run compiles what this configuration uses (the server compiled its model at start);
  // what it measured teaches the planner (the session learns), which then places the measured runs
  const first = plan();
  await session.run({ inputs: { question }, placement: first.placement }).done();
  const p = plan();
  const rs: AgentResult[] = [];
  for (let i = 0; i < runs; i++)
    rs.push(await session.run({ inputs: { question }, placement: p.placement, learn: false }).done());
  const med = (k: (r: AgentResult) => number) => rs.map(k).sort((a, b) => a - b)[rs.length >> 1]!;
  const ttft = med((r) => r.ttftMs ?? NaN),
    tpot = med((r) => r.tpotMs ?? NaN),
    total = med((r) => r.totalMs);
  const fell = rs.some((r) => r.warnings.some((w) => /continuing on the local engine/.test(w)));
  agentRows.push([
    name,
    where(p.placement, p.chat) + (fell ? ' (fell back!)' : ''),
    f(ttft),
    f(tpot, 2),
    f(total),
    sla.ttftMs ? (ttft <= sla.ttftMs ? 'met' : 'missed') : '-',
    sla.tpotMs ? (tpot <= sla.tpotMs ? 'met' : 'missed') : '-',
  ]);
  for (const n of p.notes ?? []) whyLines.push(`${name}: ${n}`);
};
const chatOf = (ap: AgentPlan) => new Set([...ap.llm].filter(([, l]) => l.route === 'chat').map(([k]) => k));
await measure('local: everything on the host', () => {
  const ap = session.replan({}, isLocal);
  const everywhere = { device: host, prefill: host, decode: host };
  return { placement: new Map([...ap.placement.keys()].map((k) => [k, everywhere])), chat: new Set<string>() };
});
await measure(`local: planned over ${localEntries.map((e) => e.device.id).join(', ')}`, () => {
  const ap = session.replan({}, isLocal);
  return { placement: ap.placement, chat: chatOf(ap) };
});
if (remoteId) {
  await measure('planned with the offload server too', () => {
    const ap = session.replan({});
    return {
      placement: ap.placement,
      chat: chatOf(ap),
      notes: ap.plan.passes.find((x) => x.name === 'offload')?.notes,
    };
  });
  await measure('answer pinned to the server (chat route)', () => {
    const placement = new Map(session.replan({}).placement);
    placement.set('answer', { prefill: remoteId, decode: remoteId, fallback: { prefill: host, decode: host } });
    return { placement, chat: new Set(['answer']) };
  });
}
await session.dispose();
await server.stop();
console.log(
  `\n# Agent example (${graphPath.replace(root + '/', '')}), median of ${runs} runs after a warm-up; offload server on loopback (${server.url}, wasm backend, same machine)`,
);
console.log(table(agentHead, agentRows, ['l', 'l', 'r', 'r', 'r', 'l', 'l']));
for (const n of offloadNotes) console.log(`offload: ${n}`);
for (const l of whyLines) console.log(l);
