// The heterogeneous benchmark (npm run bench:hetero; `npm run bench` runs it after the peers).
// Prints tables, asserts nothing. For each workload with independent branches, in one run:
//   - each single device alone (wasm, webgpu, cpu), through the same runtime (policy.allow)
//   - backend 'auto' over every local device: the plan from calibrated profiles and measured
//     contention, and what it predicted
//   - the same with contention ignored (each device planned as if it had the machine to itself):
//     that plan held for every run, and re-planned from what the runs measure
//   - 'auto' with a simulated accelerator beside them (a genuinely separate device that sleeps)
// First run apart from the median of the rest. Devices, calibrated profiles and the measured
// contention between device pairs are printed first. Results and traces go to bench/results/.
//   --quick            fewer runs
//   --runs N           timed runs after the first (default 10; 2 for the slow single devices)
//   --recalibrate      measure the devices again (the cache is bench/results/cache, or $SWITCHYARD_CACHE)
//   --only NAME        one workload (two-towers, encoder+search)

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { ms, table } from '../../src/cli/table.js';
import { compareTensors } from '../../src/conformance/compare.js';
import { MemoryStore } from '../../src/cost/history.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { Plan } from '../../src/planner/plan.js';
import { type DeviceSpec, discoverDevices } from '../../src/runtime/devices.js';
import { stores } from '../../src/runtime/node-stores.js';
import { Session } from '../../src/runtime/session.js';
import { SimDevice } from './sim-device.js';
import { encoderSearch, twoTowers, type Workload } from './workloads.js';

const argv = process.argv.slice(2);
const flag = (f: string) => argv.includes(f);
const opt = (f: string) => {
  const i = argv.indexOf(f);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('--quick');
const runs = Number(opt('--runs') ?? (quick ? 3 : 10));
const slowRuns = quick ? 1 : 2;
const only = opt('--only');

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const outDir = join(repo, 'bench/results');
mkdirSync(outDir, { recursive: true });
// calibration cached beside the results, so a benchmark does not depend on what the user's cache holds
process.env.SWITCHYARD_CACHE ??= join(outDir, 'cache');
if (flag('--recalibrate')) rmSync(join(process.env.SWITCHYARD_CACHE, 'profiles.json'), { force: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

console.log(`# Switchyard heterogeneous benchmark, ${new Date().toISOString()}`);
console.log(
  `machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; node ${process.versions.node}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  `protocol: a session per row (kernel history in memory, so predictions come from calibration); its first run, then the median of ${runs} more (${slowRuns} for the slow single devices), rows interleaved round by round; calibration cache ${process.env.SWITCHYARD_CACHE}\n`,
);

// ---- devices, calibration, contention -------------------------------------------------------

const progress = (d: number, t: number, s: string) => process.stderr.write(`  calibrating: ${d}/${t} ${s}\n`);
const found = await discoverDevices({ profiles: stores().profiles, onProgress: progress });
const gf = (x?: number) => (x === undefined ? '-' : (x / 1e9).toFixed(x >= 10e9 ? 0 : 2));
console.log('## Devices (profiles from calibration, cached)\n');
console.log(
  table(
    [
      'device',
      'profile',
      'matmul GFLOP/s',
      'copy GB/s',
      'per kernel us',
      'per unit us',
      'link GB/s',
      'link us',
      'computes on',
    ],
    found.entries.map(({ device: d, profile: p }) => [
      d.id,
      p.origin,
      gf(p.peakFlops.f32?.value),
      gf(p.memBandwidth.value),
      (p.launchOverhead.value * 1e6).toFixed(1),
      p.unitOverhead ? (p.unitOverhead.value * 1e6).toFixed(1) : '-',
      Number.isFinite(p.link.bandwidth.value) ? gf(p.link.bandwidth.value) : 'host',
      (p.link.latency.value * 1e6).toFixed(0),
      p.computesOn ?? '-',
    ]),
  ),
);
for (const n of found.notes) console.log(`note: ${n}`);
const pairs: string[][] = [];
for (const { device: a, profile: p } of found.entries) {
  for (const [b, f] of Object.entries(p.concurrency ?? {})) {
    if (a.id > b) continue;
    const m = /alone ([\d.]+) ms \([^)]*\) and ([\d.]+) ms \([^)]*\); together ([\d.]+) ms/.exec(f.note ?? '');
    pairs.push([
      `${a.id} + ${b}`,
      m?.[1] ?? '-',
      m?.[2] ?? '-',
      m?.[3] ?? '-',
      `${f.value.toFixed(2)}x`,
      f.value < 1.5 ? 'shared: planned as one lane' : 'separate',
    ]);
  }
}
if (pairs.length) {
  console.log('\n## Contention, measured (the same work on each device alone, then on both at once)\n');
  console.log(table(['pair', 'alone a ms', 'alone b ms', 'together ms', 'speedup of overlap', 'planner'], pairs));
}
for (const e of found.entries) await e.device.dispose();

// ---- rows --------------------------------------------------------------------------------

interface Row {
  workload: string;
  label: string;
  devicesFirst: string;
  splitFirst: boolean;
  devices: string;
  split: boolean;
  predictedFirst: number;
  first: number;
  median: number;
  predictedLast: number;
  replans: number;
  ok: string;
  createMs: number;
}

interface Config {
  label: string;
  allow?: string[];
  contention?: 'model' | 'ignore';
  sim?: boolean;
  slow?: boolean;
  /** Keep the plan from calibration for every run (no re-planning), to time that plan itself. */
  hold?: boolean;
  trace?: string;
}

/** Where the plan puts the time: predicted busy ms per device (devices with a share worth naming). */
const busy = (plan: Plan) =>
  plan.devices.filter((d) => d.busyMs > 0.005 * Math.max(plan.makespanMs, 1e-9)).sort((a, b) => b.busyMs - a.busyMs);
const where = (plan: Plan) =>
  busy(plan)
    .map((d) => `${d.id} ${ms(d.busyMs)}`)
    .join(', ') + (isSplit(plan) ? ' (split)' : '');
/** A split: more than one device carries at least a tenth of the plan's time. */
const isSplit = (plan: Plan) => plan.devices.filter((d) => d.busyMs >= 0.1 * plan.makespanMs).length > 1;

function check(w: Workload, got: Record<string, Tensor>, want: Tensor[], names: string[]): string {
  const bad: string[] = [];
  names.forEach((n, i) => {
    const t = got[n]!;
    if (t.type === 'int64') {
      const a = t.data as BigInt64Array,
        b = want[i]!.data as BigInt64Array;
      const diff = a.reduce((k, x, j) => k + (x === b[j] ? 0 : 1), 0);
      if (diff) bad.push(`${n}: ${diff} ids differ`);
    } else {
      const m = compareTensors(t, want[i]!, { rtol: 1e-3, atol: 1e-4 }, n);
      if (m) bad.push(m.message);
    }
  });
  void w;
  return bad.length ? bad.join('; ') : 'ok';
}

/** One configuration's session, run round by round beside the others. */
class Measured {
  private s!: Session;
  private sim?: SimDevice;
  private first = 0;
  private firstPlan!: Plan;
  private ok = '';
  private createMs = 0;
  readonly times: number[] = [];
  private readonly feeds: Record<string, Tensor>;

  constructor(
    readonly w: Workload,
    readonly c: Config,
    private readonly want: Tensor[],
  ) {
    this.feeds = w.feeds();
  }

  private options() {
    const sim = this.sim;
    return {
      backend: 'auto',
      history: new MemoryStore(),
      trace: !!this.c.trace,
      contention: this.c.contention,
      ...(this.c.hold ? { driftFactor: Infinity } : {}),
      devices: sim
        ? ([
            { kind: 'wasm' },
            { kind: 'webgpu' },
            { kind: 'remote', id: 'accel', instance: sim, profile: sim.profile },
          ] as DeviceSpec[])
        : undefined,
      policy: { objective: 'latency' as const, ...(this.c.allow ? { allow: this.c.allow } : {}) },
    };
  }

  /** Session created and its first run (compiles, JIT, first allocations) timed on its own. */
  async start(): Promise<void> {
    if (this.c.sim) {
      this.sim = new SimDevice('accel');
      // priming, not timed: every node once through the simulator, which computes it with the
      // reference interpreter and remembers the result
      const p = await Session.create(this.w.graph(), {
        ...this.options(),
        trace: false,
        policy: { objective: 'latency' as const, allow: ['accel'] },
      });
      await p.run(this.w.feeds());
      await p.release();
      this.sim.misses = 0;
    }
    const t0 = performance.now();
    this.s = await Session.create(this.w.graph(), this.options());
    this.createMs = performance.now() - t0;
    const t = performance.now();
    const out = await this.s.run(this.feeds);
    this.first = performance.now() - t;
    this.firstPlan = this.s.hetero!.lastRunPlan!;
    this.ok = check(this.w, out, this.want, this.s.outputNames);
  }

  get rounds(): number {
    return this.c.slow ? slowRuns : runs;
  }

  async once(): Promise<void> {
    const t = performance.now();
    await this.s.run(this.feeds);
    this.times.push(performance.now() - t);
  }

  async finish(): Promise<Row> {
    const h = this.s.hetero!;
    const lastPlan = h.lastRunPlan!;
    if (this.c.trace && this.s.trace) writeFileSync(join(outDir, this.c.trace), JSON.stringify(this.s.trace.toJSON()));
    // what the model says now that it has measured this machine (history from the runs above)
    const learned = await h.setPolicy(this.options().policy);
    const row: Row = {
      workload: this.w.name,
      label: this.c.label,
      devicesFirst: where(this.firstPlan),
      splitFirst: isSplit(this.firstPlan),
      devices: where(lastPlan),
      split: isSplit(lastPlan),
      predictedFirst: this.firstPlan.makespanMs,
      first: this.first,
      median: median(this.times),
      predictedLast: learned.makespanMs,
      replans: h.replans,
      ok: this.ok,
      createMs: this.createMs,
    };
    await this.s.release();
    if (this.sim?.misses) row.ok += ` (simulator computed ${this.sim.misses} unit(s) itself)`;
    return row;
  }
}

const workloads = [twoTowers(), encoderSearch()].filter((w) => !only || w.name === only);
const all: Row[] = [];
for (const w of workloads) {
  console.log(`\n## ${w.name}: ${w.what}\n`);
  const g = w.graph();
  const want = interpret(
    g,
    g.inputs.map((v) => w.feeds()[v.name]!),
  );
  const configs: Config[] = [
    { label: 'wasm alone', allow: ['wasm'] },
    { label: 'webgpu alone', allow: ['webgpu'], slow: true },
    { label: 'cpu alone (JS interpreter)', allow: ['cpu'], slow: true },
    { label: 'auto: planned (contention measured)', trace: `trace-${w.name}-auto.json` },
    {
      label: 'auto: contention ignored, plan held',
      contention: 'ignore',
      hold: true,
      trace: `trace-${w.name}-ignore-held.json`,
    },
    { label: 'auto: contention ignored, re-planning', contention: 'ignore', trace: `trace-${w.name}-ignore.json` },
    { label: 'auto + simulated separate accelerator', sim: true, trace: `trace-${w.name}-sim.json` },
  ];
  // every configuration's session open at once, their runs interleaved round by round, so a
  // burst of load on this shared machine lands on all of them alike
  const ms_: Measured[] = [];
  for (const c of configs) {
    process.stderr.write(`  ${w.name}: ${c.label}: first run\n`);
    (globalThis as { gc?: () => void }).gc?.(); // the last row's garbage is not this row's time
    const m = new Measured(w, c, want);
    await m.start();
    ms_.push(m);
  }
  for (let r = 0; r < runs; r++) {
    process.stderr.write(`  ${w.name}: round ${r + 1}/${runs}\n`);
    for (const m of ms_) if (r < m.rounds) await m.once();
  }
  const rows: Row[] = [];
  for (const m of ms_) rows.push(await m.finish());
  all.push(...rows);
  console.log(
    table(
      [
        'configuration',
        'plan from calibration: busy ms per device',
        'predicted ms',
        'first run ms',
        'plan the runs ended on',
        'median ms',
        'prediction after learning ms',
        're-plans',
        'result',
      ],
      rows.map((r) => [
        r.label,
        r.devicesFirst,
        ms(r.predictedFirst),
        ms(r.first),
        r.devices === r.devicesFirst ? '(same)' : r.devices,
        ms(r.median),
        ms(r.predictedLast),
        r.replans,
        r.ok,
      ]),
      ['l', 'l', 'r', 'r', 'l', 'r', 'r', 'r', 'l'],
    ),
  );
  const singles = rows.slice(0, 3).sort((a, b) => a.median - b.median);
  const [planned, held, , sim] = rows.slice(3);
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  console.log(`\n- best single device: ${singles[0]!.label}, ${ms(singles[0]!.median)} ms`);
  console.log(
    `- planned with measured contention: ${planned!.devicesFirst}; predicted ${ms(planned!.predictedFirst)} ms, measured ${ms(planned!.median)} ms (${x(planned!.median, singles[0]!.median)} the best single device)`,
  );
  if (held!.splitFirst)
    console.log(
      `- without the contention rule the plan splits (${held!.devicesFirst}): predicted ${ms(held!.predictedFirst)} ms, measured ${ms(held!.median)} ms, ${x(held!.median, held!.predictedFirst)} its prediction and ${x(held!.median, planned!.median)} the plan that does not split`,
    );
  else
    console.log(
      `- without the contention rule the plan from calibration does not split either (${held!.devicesFirst}): the calibrated speeds alone rule it out here`,
    );
  console.log(
    `- with a separate (simulated) accelerator: ${sim!.devices}; predicted ${ms(sim!.predictedLast)} ms after learning, measured ${ms(sim!.median)} ms (${x(sim!.median, singles[0]!.median)} the best single device)`,
  );
}

const file = join(outDir, `hetero-${stamp}.json`);
writeFileSync(
  file,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), load: loadavg() },
      runs,
      rows: all,
    },
    null,
    1,
  ),
);
console.log(`\nresults: ${file}; traces: ${outDir}/trace-*.json (render: node dist/scripts/trace-render.js)`);
