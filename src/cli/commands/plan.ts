// switchyard plan <model.onnx | problem.json>: place a model on devices (profiles from
// calibration or the catalog) or solve an abstract placement problem; print text, JSON, a
// terminal Gantt chart or an SVG timeline, and optionally simulate the plan with noise.

import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ProfileCache } from '../../cost/calibrate/cache.js';
import { catalog, findProfile } from '../../cost/catalog/index.js';
import { Estimator } from '../../cost/estimator.js';
import { fig } from '../../cost/figure.js';
import { KernelHistory } from '../../cost/history.js';
import { JsonFileStore } from '../../cost/history-file.js';
import type { DeviceProfile } from '../../cost/profile.js';
import { DEFAULT_PIPELINE, runPipeline } from '../../passes/index.js';
import {
  ALGORITHMS,
  type Algorithm,
  buildInstance,
  graphProblem,
  type PassRecord,
  type Policy,
  type Problem,
  planGantt,
  planInstance,
  planSvg,
  planText,
  simulate,
} from '../../planner/index.js';
import { loadGraph } from '../../runtime/session.js';

interface PlanOpts {
  devices?: string;
  deadline?: string;
  objective?: string;
  json?: boolean;
  svg?: string;
  gantt?: boolean;
  algorithm?: string;
  simulate?: string;
  noise?: string;
  seed?: string;
  linkMs?: string;
  linkMbps?: string;
  maxUnits?: string;
}

function num(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${what} must be a number >= 0, got '${s}'`);
  return v;
}

function readProblem(path: string): Problem {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(
      `${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as Problem;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Device names -> profiles: calibrated when cached, else catalog; remote parts get a WAN link. */
function resolveDevices(names: string[], o: PlanOpts): DeviceProfile[] {
  const cache = new ProfileCache();
  const wanMs = num(o.linkMs, '--link-ms') ?? 20;
  const wanMbps = num(o.linkMbps, '--link-mbps') ?? 100;
  return names.map((name) => {
    const cached = cache.get(name);
    if (cached) return cached;
    const p = findProfile(name);
    if (!p)
      throw new Error(
        `unknown device '${name}'; known: ${catalog()
          .map((q) => q.id)
          .join(', ')}`,
      );
    if (p.kind !== 'accelerator' && p.kind !== 'cpu') return p;
    if (p.origin === 'default') return p;
    // a catalog part is reached over the network from here
    const q = structuredClone(p);
    q.kind = 'remote';
    q.link = {
      latency: fig(wanMs / 1e3, '--link-ms (default: assumed 20 ms WAN)'),
      bandwidth: fig((wanMbps * 1e6) / 8, '--link-mbps (default: assumed 100 Mbit/s)'),
    };
    return q;
  });
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      'place a model (or an abstract placement problem) on devices under a deadline at the lowest latency or cost',
    )
    .argument('<input>', 'ONNX model, or a placement problem as JSON')
    .option(
      '--devices <list>',
      'comma-separated devices (model: cpu, wasm, webgpu or catalog ids like H100; problem: a subset of its devices)',
    )
    .option('--deadline <ms>', 'end-to-end deadline in ms (overrides the problem policy)')
    .option('--objective <obj>', 'latency | cost (cost needs a deadline)')
    .option('--algorithm <name>', `placement algorithm: ${ALGORITHMS.join(', ')}`, 'auto')
    .option('--json', 'print the plan as one JSON object')
    .option('--svg <file>', 'write an SVG timeline')
    .option('--gantt', 'print a terminal Gantt chart (text mode prints one anyway)')
    .option('--simulate <runs>', 'replay the plan this many times with noisy durations')
    .option('--noise <sigma>', 'log-normal sigma of simulated durations', '0.1')
    .option('--seed <n>', 'simulation seed', '1')
    .option('--link-ms <ms>', 'latency to catalog (remote) devices', '20')
    .option('--link-mbps <mbps>', 'bandwidth to catalog (remote) devices', '100')
    .option('--max-units <n>', 'most placeable units a model is grouped into', '48')
    .action(async (input: string, o: PlanOpts) => {
      if (o.objective && o.objective !== 'latency' && o.objective !== 'cost')
        throw new Error(`--objective must be latency or cost, got '${o.objective}'`);
      if (!ALGORITHMS.includes(o.algorithm as Algorithm))
        throw new Error(`--algorithm must be one of ${ALGORITHMS.join(', ')}, got '${o.algorithm}'`);
      const deadlineMs = num(o.deadline, '--deadline');
      const objective = o.objective as Policy['objective'] | undefined;
      const devices = o.devices
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      let problem: Problem;
      let passes: PassRecord[] = [];
      let keep = devices;
      if (/\.json$/i.test(input)) {
        problem = readProblem(input);
      } else {
        const g = await loadGraph(input);
        runPipeline(g, DEFAULT_PIPELINE);
        const names = devices ?? ['cpu', 'wasm', 'webgpu'];
        const profiles = resolveDevices(names.includes('cpu') ? names : ['cpu', ...names], o);
        const estimator = new Estimator(new KernelHistory(new JsonFileStore()));
        const policy: Policy = {
          objective: objective ?? (deadlineMs !== undefined && o.objective === 'cost' ? 'cost' : 'latency'),
          deadlineMs,
        };
        ({ problem, passes } = graphProblem(g, profiles, {
          host: 'cpu',
          estimator,
          maxUnits: num(o.maxUnits, '--max-units'),
          policy,
        }));
        keep = undefined;
      }
      const inst = buildInstance(problem, { devices: keep, deadlineMs, objective });
      if (inst.excluded.length)
        passes.push({
          name: 'constraints',
          notes: inst.excluded.map((e) => `${e.task}: not ${e.device}: ${e.reason}`),
        });
      const plan = planInstance(inst, { algorithm: o.algorithm as Algorithm }, passes);
      let sim;
      if (o.simulate !== undefined && plan.assignments.length) {
        const idx = new Map(inst.tasks.map((t, i) => [t, i]));
        const sched = { device: inst.tasks.map(() => 0), start: inst.tasks.map(() => 0), end: inst.tasks.map(() => 0) };
        for (const a of plan.assignments) {
          const t = idx.get(a.task)!;
          sched.device[t] = inst.devices.indexOf(a.device);
          sched.start[t] = a.startMs;
          sched.end[t] = a.endMs;
        }
        const r = simulate(inst, sched, {
          runs: num(o.simulate, '--simulate'),
          noise: num(o.noise, '--noise'),
          seed: num(o.seed, '--seed'),
        });
        sim = {
          runs: r.runs,
          noise: num(o.noise, '--noise'),
          makespanMs: r.makespanMs,
          deadlineMissRate: r.deadlineMissRate,
        };
      }
      if (o.svg) writeFileSync(o.svg, planSvg(plan));
      if (o.json) console.log(JSON.stringify(sim ? { ...plan, simulation: sim } : plan));
      else {
        console.log(planText(plan));
        console.log();
        console.log(planGantt(plan));
        if (sim) {
          const m = sim.makespanMs;
          const miss = sim.deadlineMissRate;
          console.log(
            `\nsimulated ${sim.runs} runs (noise ${sim.noise}): mean ${m.mean.toFixed(1)} ms, ` +
              `p50 ${m.p50.toFixed(1)}, p90 ${m.p90.toFixed(1)}, p99 ${m.p99.toFixed(1)}` +
              (miss !== undefined ? `, deadline missed in ${(miss * 100).toFixed(1)}%` : ''),
          );
        }
        if (o.svg) console.log(`\ntimeline written to ${o.svg}`);
      }
      if (!plan.feasible) process.exitCode = 2;
    });
}
