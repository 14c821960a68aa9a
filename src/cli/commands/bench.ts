// switchyard bench <model.onnx> [--backend B] [--runs N] [--json]: first-run latency (create +
// first result) apart from the median/min/max of N timed runs after warm-up.

import type { Command } from 'commander';
import type { HeteroPrepared } from '../../runtime/auto-backend.js';
import { Session, type SessionOptions } from '../../runtime/session.js';
import { sessionOptions } from './run.js';

interface RemoteFlags {
  remote?: string;
  token?: string;
  deadline?: string;
}

import { addDeviceOptions, type DeviceFlags, deviceOptions } from '../backend-options.js';
import { checkDimNames, defaultDimsNote, originalDimNames, parseDims, randomFeeds } from '../random-inputs.js';
import { ms, table } from '../table.js';

export interface BenchResult {
  model: string;
  backend: string;
  createMs: number;
  firstRunMs: number;
  firstInferMs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number[];
  /** Backend 'auto': the plan's predictions (first run: compile and first use included; steady: a later run). */
  predicted?: { firstRunMs: number; steadyMs: number };
  /** Backend 'auto': the first run as the runtime measured it (compiling the plan's units + the first run). */
  measuredFirstRunMs?: number;
  /** Backend 'auto': per plan unit, predicted and measured ms (first run, steady median). */
  units?: {
    unit: string;
    device: string;
    firstPredMs: number;
    firstMs?: number;
    steadyPredMs: number;
    steadyMs?: number;
  }[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchModel(
  model: string,
  backend: string,
  runs: number,
  warmup: number,
  dims: Record<string, number>,
  options: SessionOptions = { backend },
): Promise<BenchResult> {
  const t0 = performance.now();
  const session = await Session.create(model, options);
  const createMs = performance.now() - t0;
  const feeds = randomFeeds(session.graph, 1, checkDimNames(session.graph, dims), (d) =>
    console.error(defaultDimsNote(d, originalDimNames(model))),
  );
  const t1 = performance.now();
  await session.run(feeds);
  const firstInferMs = performance.now() - t1;
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await session.run(feeds);
    times.push(performance.now() - s);
  }
  const h = session.hetero;
  const extra = h ? autoPredictions(h) : {};
  await session.release();
  return {
    model,
    backend,
    createMs,
    firstInferMs,
    firstRunMs: createMs + firstInferMs,
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    runs: times,
    ...extra,
  };
}

/** The plan's first-run and steady predictions beside what the runs measured, in total and per unit. */
function autoPredictions(h: HeteroPrepared): Pick<BenchResult, 'predicted' | 'measuredFirstRunMs' | 'units'> {
  const p0 = h.firstRun?.plan ?? h.plan;
  const first = new Map(
    (h.firstRun?.report.units ?? []).flatMap((u) =>
      (u.tasks ?? [u.unit]).map((t, i) => [t, i ? undefined : u.endMs - u.startMs] as const),
    ),
  );
  const steady = (t: string) => {
    const xs = h.steadyReports.flatMap((r) =>
      r.units.filter((u) => (u.tasks ?? [u.unit])[0] === t).map((u) => u.endMs - u.startMs),
    );
    return xs.length ? median(xs) : undefined;
  };
  const firstPred = new Map(
    p0.assignments.map((a) => [a.task, a.endMs - a.startMs + (p0.firstRun?.units[a.task] ?? 0)]),
  );
  return {
    predicted: {
      firstRunMs: p0.firstRun?.ms ?? p0.steadyMs ?? p0.makespanMs,
      steadyMs: h.plan.steadyMs ?? h.plan.makespanMs,
    },
    measuredFirstRunMs: h.firstRun?.ms,
    units: h.plan.assignments
      .filter((a) => !a.task.startsWith('@'))
      .map((a) => ({
        unit: a.task,
        device: a.device,
        firstPredMs: firstPred.get(a.task) ?? 0,
        firstMs: first.get(a.task),
        steadyPredMs: a.endMs - a.startMs,
        steadyMs: steady(a.task),
      })),
  };
}

export function registerBench(program: Command): void {
  const cmd = addDeviceOptions(program.command('bench'))
    .description('time a model: first run (create + first inference) and median/min/max of N runs')
    .argument('<model>', 'ONNX model file')
    .option('-b, --backend <name...>', 'backend(s) to time, side by side', ['reference'])
    .option('-n, --runs <n>', 'timed runs', '10')
    .option('--warmup <n>', 'untimed runs before timing', '2')
    .option('--dim <name=size...>', 'size of a symbolic input dim (e.g. batch=4)')
    .option('--json', 'print JSON')
    .option(
      '--remote <url>',
      "offload server: times backend 'auto' with it (or --backend remote: the whole graph on it)",
    )
    .option('--token <t>', 'bearer token for --remote (default: $SWITCHYARD_TOKEN)')
    .option('--deadline <ms>', 'with --backend remote: deadline of each remote run')
    .action(
      async (
        model: string,
        o: { backend: string[]; runs: string; warmup: string; dim?: string[]; json?: boolean } & RemoteFlags &
          DeviceFlags,
      ) => {
        const results: BenchResult[] = [];
        const explicit = cmd.getOptionValueSource('backend') !== 'default';
        const backends = o.remote && !explicit ? ['auto'] : o.backend;
        for (const b of backends) {
          const options =
            o.remote && (b === 'remote' || b === 'auto')
              ? sessionOptions({ backend: b, remote: o.remote, token: o.token, deadline: o.deadline })
              : { backend: b, ...deviceOptions(o, o.json) };
          results.push(await benchModel(model, b, Number(o.runs), Number(o.warmup), parseDims(o.dim), options));
        }
        if (o.json) {
          console.log(JSON.stringify(results.length === 1 ? results[0] : results));
          return;
        }
        console.log(`${model}: ${o.runs} timed runs after ${o.warmup} warm-up runs\n`);
        console.log(
          table(
            ['backend', 'first run ms', 'create ms', 'median ms', 'min ms', 'max ms'],
            results.map((r) => [r.backend, ms(r.firstRunMs), ms(r.createMs), ms(r.medianMs), ms(r.minMs), ms(r.maxMs)]),
          ),
        );
        for (const r of results) {
          if (!r.predicted || !r.units) continue;
          const x = (p: number, m: number | undefined) => (m === undefined ? '-' : (p / m).toFixed(2));
          console.log(
            `\n${r.backend}: predicted beside measured (first run: compiling the plan's units + the ` +
              `first run; steady: median of the timed runs)`,
          );
          console.log(
            table(
              ['unit', 'device', 'first pred ms', 'first ms', 'steady pred ms', 'steady ms'],
              [
                ...r.units.map((u) => [
                  u.unit,
                  u.device,
                  ms(u.firstPredMs),
                  u.firstMs === undefined ? '-' : ms(u.firstMs),
                  ms(u.steadyPredMs),
                  u.steadyMs === undefined ? '-' : ms(u.steadyMs),
                ]),
                [
                  'total',
                  '',
                  ms(r.predicted.firstRunMs),
                  r.measuredFirstRunMs === undefined ? '-' : ms(r.measuredFirstRunMs),
                  ms(r.predicted.steadyMs),
                  ms(r.medianMs),
                ],
                [
                  'pred/measured',
                  '',
                  x(r.predicted.firstRunMs, r.measuredFirstRunMs),
                  '',
                  x(r.predicted.steadyMs, r.medianMs),
                  '',
                ],
              ],
            ),
          );
        }
      },
    );
}
