// Datacenter fleets in the trace simulator (part of npm run bench:fleet; alone: node
// dist/bench/fleet-datacenter.js): servers built from the hardware catalog (src/cost/catalog/)
// by the roofline of derive.ts (prefill FLOP-bound, a decode step bandwidth-bound at small batches),
// serving Llama-3-70B (f16, GQA) under one SLA, and for each fleet family the cheapest count that
// meets the SLA for >= 97 % (--dc-attain) of a seeded trace with Switchyard's router: the newest homogeneous
// fleets against older GPUs plus newer accelerators. Prints a table; asserts nothing.
//   --dc-rate R (requests/s, default 6)  --dc-requests N (1500)  --dc-ttft MS (2000)  --dc-tpot MS (80)
//   --dc-attain F (the attainment a fleet must reach, default 0.97)

import { normalSampler } from '../src/agent/llm/synthetic.js';
import { ms, table } from '../src/cli/table.js';
import { getProfile } from '../src/cost/catalog/index.js';
import type { DeviceProfile } from '../src/cost/profile.js';
import type { ServingFigures } from '../src/planner/fleet/serving.js';
import { type SimServer, simulate, type TraceRequest } from '../src/planner/fleet/simulate.js';
import { mulberry32 } from '../src/util/rng.js';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : d;
};

/** Llama-3-70B: 70.6 B parameters, 80 layers, hidden 8192, 8 KV heads of 128 (f16 weights and KV). */
const MODEL = { params: 70.6e9, layers: 80, hidden: 8192, kvBytesPerToken: 2 * 80 * 8 * 128 * 2, bytes: 2 };
const EFF = { compute: 0.6, memory: 0.8 };

/** A replica on the smallest power-of-two tensor-parallel group that holds the weights with 20 % spare. */
export function catalogServer(id: string, name = id): SimServer | undefined {
  const p: DeviceProfile = getProfile(id);
  const W = MODEL.params * MODEL.bytes;
  const tp = [1, 2, 4, 8].find((k) => W <= 0.8 * k * p.memCapacity.value);
  if (!tp) return undefined;
  const F = tp * (p.peakFlops.f16 ?? p.peakFlops.f32)!.value * EFF.compute;
  const B = tp * p.memBandwidth.value * EFF.memory;
  const overhead = MODEL.layers * 4 * p.launchOverhead.value;
  const prefillMs = (n: number) =>
    1e3 * (Math.max((2 * MODEL.params * n + 2 * MODEL.layers * n * n * MODEL.hidden) / F, W / B) + overhead);
  // slots: sequences whose KV (at 2,048 positions) fits beside the weights, at most 64
  const room = 0.9 * tp * p.memCapacity.value - W;
  const slots = Math.max(1, Math.min(64, Math.floor(room / (2048 * MODEL.kvBytesPerToken))));
  const L = 1200; // mean positions a decode step reads
  const stepMs = (b: number) =>
    1e3 *
    (Math.max(
      (b * (2 * MODEL.params + 4 * MODEL.layers * L * MODEL.hidden)) / F,
      (W + b * L * MODEL.kvBytesPerToken) / B,
    ) +
      overhead);
  const sizes: number[] = [];
  for (let b = 1; b < slots; b *= 2) sizes.push(b);
  sizes.push(slots);
  const buckets = [128, 256, 512, 1024, 2048, 4096];
  const figures: ServingFigures = {
    prefill: { buckets, ms: buckets.map(prefillMs) },
    tpotMs: stepMs(1),
    batching: { slots, blockSize: 16, blocks: 1, sizes, tpotMs: sizes.map(stepMs) },
  };
  return { name: `${name}×${tp}`, figures, slots, pricePerHour: tp * p.pricePerHour.value };
}

/** Poisson arrivals; agent-like lengths: prompt lognormal (median 1,500, σ 0.7), output (median 150, σ 0.8). */
function trace(n: number, rate: number, sla: { ttftMs: number; tpotMs: number }, seed = 11): TraceRequest[] {
  const u = mulberry32(seed),
    z = normalSampler(seed + 1);
  let t = 0;
  return Array.from({ length: n }, () => {
    t += (-Math.log(1 - u()) / rate) * 1000;
    return {
      atMs: t,
      promptTokens: Math.round(Math.min(6000, Math.max(64, Math.exp(Math.log(1500) + 0.7 * z())))),
      maxTokens: Math.round(Math.min(1024, Math.max(8, Math.exp(Math.log(150) + 0.8 * z())))),
      ...sla,
    };
  });
}

interface Row {
  fleet: string;
  servers: SimServer[];
  attainment: number;
  perHour: number;
}

function evaluate(fleet: string, servers: SimServer[], tr: TraceRequest[]): Row {
  const sim = simulate(servers, tr, 'router');
  const attainment = sim.results.filter((r) => r.meets).length / tr.length;
  return { fleet, servers, attainment, perHour: servers.reduce((a, s) => a + s.pricePerHour, 0) };
}

/** The cheapest fleet of `kinds` (counts 0..max each, at least one server) meeting the target. */
function cheapest(fleet: string, kinds: string[], tr: TraceRequest[], max: number, target: number): Row | undefined {
  const protos = kinds.map((k) => catalogServer(k)!);
  let best: Row | undefined;
  const counts = kinds.map(() => 0);
  const next = () => {
    for (let i = 0; i < counts.length; i++) {
      if (++counts[i]! <= max) return true;
      counts[i] = 0;
    }
    return false;
  };
  while (next()) {
    if (kinds.length > 1 && counts.some((c) => c === 0)) continue; // a mix has both kinds
    const perHour = counts.reduce((a, c, i) => a + c * protos[i]!.pricePerHour, 0);
    if (best && perHour >= best.perHour) continue;
    const servers = counts.flatMap((c, i) =>
      Array.from({ length: c }, (_, j) => ({ ...protos[i]!, name: `${protos[i]!.name}#${j}` })),
    );
    const r = evaluate(fleet, servers, tr);
    if (r.attainment >= target) best = r;
  }
  return best;
}

export function datacenterTable(): string {
  const rate = Number(arg('--dc-rate', '6')),
    n = Number(arg('--dc-requests', '1500'));
  const sla = { ttftMs: Number(arg('--dc-ttft', '2000')), tpotMs: Number(arg('--dc-tpot', '80')) };
  const tr = trace(n, rate, sla);
  const target = Number(arg('--dc-attain', '0.97'));
  const families: [string, string[], number][] = [
    ['B200 only (newest)', ['B200'], 12],
    ['H200 only', ['H200'], 12],
    ['H100 only', ['H100'], 14],
    ['A100-80GB only (older)', ['A100-80GB'], 20],
    ['A100-80GB + B200', ['A100-80GB', 'B200'], 8],
    ['A100-80GB + MI300X', ['A100-80GB', 'MI300X'], 8],
    ['A100-80GB + Gaudi3', ['A100-80GB', 'Gaudi3'], 8],
    ['H100 + MI300X', ['H100', 'MI300X'], 8],
    ['MI300X only', ['MI300X'], 14],
  ];
  const rows: (string | number)[][] = [];
  let newest: Row | undefined;
  for (const [name, kinds, max] of families) {
    const r = cheapest(name, kinds, tr, max, target);
    if (name.includes('newest')) newest = r;
    if (!r) {
      rows.push([name, `none up to ${max} each`, '', '', '', '']);
      continue;
    }
    const mix = [...new Set(r.servers.map((s) => s.name.split('#')[0]!))]
      .map((k) => `${r.servers.filter((s) => s.name.startsWith(`${k}#`)).length} × ${k}`)
      .join(' + ');
    rows.push([
      name,
      mix,
      `${(r.attainment * 100).toFixed(1)} %`,
      `$${r.perHour.toFixed(2)}`,
      `$${((r.perHour / (3600 * rate)) * 1000).toFixed(2)}`,
      newest ? `${((r.perHour / newest.perHour) * 100).toFixed(0)} %` : '',
    ]);
  }
  const head =
    `# Datacenter fleets in the simulator: Llama-3-70B f16, ${n} requests at ${rate}/s (prompt median 1,500` +
    ` tokens, output median 150), SLA TTFT <= ${ms(sla.ttftMs)} ms and TPOT <= ${sla.tpotMs} ms for >= ${target * 100} %,` +
    ` Switchyard's router; the cheapest count per family (roofline at ${EFF.compute * 100} % of peak FLOP/s,` +
    ` ${EFF.memory * 100} % of bandwidth; ×k = tensor-parallel group)`;
  const body = table(
    ['fleet', 'cheapest fleet meeting the SLA', 'SLA met', '$ / hour', '$ / 1000 req', 'vs newest'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r'],
  );
  const srcs = ['A100-80GB', 'H100', 'H200', 'B200', 'MI300X', 'Gaudi3']
    .map((id) => {
      const p = getProfile(id);
      return `#   ${id}: specs ${p.memBandwidth.source ?? '?'}; price $${p.pricePerHour.value}/h, ${p.pricePerHour.source ?? '?'}`;
    })
    .join('\n');
  return `${head}\n${body}\n# catalog sources (src/cost/catalog/sources.ts):\n${srcs}`;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(datacenterTable());
