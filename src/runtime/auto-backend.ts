// backend: 'auto' — the heterogeneous runtime. Discover the devices, lower the graph once, plan
// units across devices with the cost model, compile each unit where it was placed, and execute
// with transfers at the boundaries. Measured unit times feed the kernel history; when they drift
// from the prediction the next run is planned again.

import { type Device, DeviceError } from '../backends/device.js';
import { Estimator, unitOverheadMs } from '../cost/estimator.js';
import type { FirstRunEstimate } from '../cost/first-run.js';
import { type HistoryStore, KernelHistory, MemoryStore } from '../cost/history.js';
import type { Work } from '../cost/work.js';
import type { Graph } from '../ir/graph.js';
import { unitOf } from '../ir/unit.js';
import { tensorsOnly } from '../ir/values.js';
import { buildInstance, graphProblem, type Plan, planInstance } from '../planner/index.js';
import { mergeChains } from '../planner/merge-units.js';
import { MeasuredPlacements, preferSingle } from './auto-choice.js';
import { predictFirstRun, predictFirstRunByDevice, WARM_DEVICES } from './auto-first-run.js';
import { learnFirstRun, learnFromRun, learnRunOverhead } from './auto-learn.js';
import { emptyPlan, fallbackOrder, samePlacement } from './auto-placement.js';
import type { AutoOptions, HeteroPrepared } from './auto-types.js';
import { type Backend, type BackendOptions, type PreparedModel, registerBackend } from './backend.js';
import { KERNEL_PASSES } from './backends/kernel-passes.js';
import { discoverDevices, type ProfileSource } from './devices.js';
import { Executor, type PlacedUnit, type RunReport } from './executor.js';
import { keepRunning, repredict } from './keep-running.js';
import { LearnSchedule } from './learn-schedule.js';
import { LinkHistory } from './link-history.js';
import { TraceRecorder } from './trace.js';

export type { AutoOptions, HeteroPrepared } from './auto-types.js';

/** Node-only persistence for profiles and history, loaded lazily so browser bundles stay clean. */
async function nodeStores(): Promise<{ profiles?: ProfileSource; history?: HistoryStore }> {
  if (typeof process === 'undefined' || !process.versions?.node) return {};
  const spec = './node-stores.js';
  const m = (await import(/* @vite-ignore */ spec)) as typeof import('./node-stores.js');
  return m.stores();
}

export async function prepareAuto(graph: Graph, options: AutoOptions): Promise<HeteroPrepared> {
  const stores = await nodeStores();
  const discovery = await discoverDevices({
    devices: options.devices
      ? [{ kind: 'reference' }, ...options.devices.filter((d) => d.kind !== 'reference')]
      : undefined,
    calibration: options.calibration,
    profiles: options.profiles ?? stores.profiles,
    // calibration (first use of a device) and contention probes: a few seconds a person waits for
    onProgress: options.onProgress && ((d, t, step) => options.onProgress!(d, t, `calibrating: ${step}`)),
  });
  const entries = discovery.entries;
  const host = entries.find((e) => e.device.kind === 'reference')!.device.id;
  const devices = new Map<string, Device>(entries.map((e) => [e.device.id, e.device]));
  // policy.allow limits where units may go; the host still holds inputs and outputs
  const allowed = (dev: string) =>
    !policy?.allow || policy.allow.includes(dev) || policy.allow.includes(devices.get(dev)?.kind ?? '');
  // a device this graph never ran on is not trusted to beat what the runs measured (see KernelHistory)
  const history = new KernelHistory(options.history ?? stores.history ?? new MemoryStore(), 0.3, 'pessimistic');
  const estimator = new Estimator(history);

  let plan!: Plan;
  let executor!: Executor;
  let planUnits: PlacedUnit[] = [];
  const links = new LinkHistory();
  const trace = options.trace ? new TraceRecorder() : undefined;
  const notes = [...discovery.notes];
  let policy = options.policy;
  const keepMargin = options.keepMargin ?? 0.1;
  let lanesKey = '';
  const measuredPlacements = new MeasuredPlacements();
  /** Signatures of each plan unit (the keys its measured times are kept under). */
  let unitSigs = new Map<string, string[]>();
  /**
   * The work of each plan unit, as the estimator saw it (its roofline is what the unit's measured
   * time is a point against).
   */
  let unitWorks = new Map<string, Work>();
  /** What each device has compiled this session (its pipeline or module cache keeps it). */
  const compiledKeys = new Map<string, Set<string>>();
  let compileMs = 0;
  /** First-run prediction per device for the current executor (for learning how far off it was). */
  let firstByDevice = new Map<string, FirstRunEstimate>();
  /** The process warm-up included in it for devices on their first run in this process. */
  let firstWarmup = new Map<string, number>();
  /** The steady prediction: the schedule plus the learned per-run cost outside it. */
  const steadyOf = (p: Plan) => p.makespanMs + history.runOverheadPerUnit(host) * planUnits.length;
  /**
   * Plans again; returns false when the placement came out the same (the compiled executor is kept,
   * its predictions updated). onlyRepredict: keep the running placement, re-predicted from the history.
   */
  const makePlan = async (
    exclude: string[] = [],
    hysteresis = false,
    onlyRepredict = false,
    force?: Plan,
  ): Promise<boolean> => {
    const live = entries.filter((e) => !exclude.includes(e.device.id) || e.device.id === host);
    if (!graph.nodes.length) {
      // everything folded into constants (or outputs are inputs): nothing to place
      plan = emptyPlan(policy?.objective ?? 'latency');
      planUnits = [];
      executor = new Executor(graph, [], devices, { fallbackOrder: [host], hostDevice: host });
      return true;
    }
    // the host stays in the problem whatever policy.allow says: graph inputs and outputs live there
    // (supports() below keeps units off devices the policy does not allow, the host included)
    // (allow may name kinds, 'remote' or 'wasm': the planner takes device ids)
    const planPolicy = policy?.allow
      ? { ...policy, allow: [...new Set([...live.map((e) => e.device.id).filter(allowed), host])] }
      : policy;
    const {
      problem,
      passes,
      units,
      sources: srcs,
    } = graphProblem(
      graph,
      live.map((e) => links.corrected(e.profile)),
      {
        host,
        estimator,
        policy: planPolicy,
        contention: options.contention,
        supports: (dev, node) => (allowed(dev) ? devices.get(dev)!.supports(node) : `${dev} is not in policy.allow`),
      },
    );
    // the executor keeps the plan's lanes: devices sharing cores run one unit at a time
    const lanes = new Map<string, string>();
    for (const g of problem.shared ?? []) for (const d of g.devices) lanes.set(d, g.devices.join('+'));
    const inst = buildInstance(problem, { objective: policy?.objective, deadlineMs: policy?.deadlineMs });
    const running = executor ? plan : undefined;
    const back = force && repredict(inst, force, passes);
    const again = back || (onlyRepredict && running ? repredict(inst, running, passes) : undefined);
    plan = again ?? planInstance(inst, {}, passes);
    // one device where it is predicted within noise of a split (it has no transfers)
    const one =
      again || policy?.objective === 'cost' ? undefined : preferSingle(inst, plan, passes, keepMargin, allowed);
    if (one) {
      if (!notes.includes(one.note)) notes.push(one.note);
      plan = one.plan;
    }
    if (!plan.feasible && !plan.assignments.length) throw new Error(`no plan: ${plan.reason}`);
    // hysteresis: a re-plan moves units only when the new placement beats the running one, both
    // predicted from what the runs taught, by keepMargin; otherwise a device never measured (whose
    // calibrated guess is optimistic) lures the plan away from one that was measured, and back
    const measured = (task: string, dev: string) => srcs.get(task)?.[dev] === 'measured';
    const kept =
      !again && hysteresis && running && !exclude.length && policy?.objective !== 'cost'
        ? keepRunning(inst, running, plan, passes, keepMargin, measured, options.driftFactor ?? 2)
        : undefined;
    // a placement the runs measured slower than the running one is not gone back to
    const slower = !again && !kept && hysteresis && running && measuredPlacements.slower(plan, running);
    if (kept || slower) {
      const note = kept?.note ?? `kept the running placement: the new plan's was measured slower (${slower})`;
      notes.push(note);
      trace?.instant('plan', note);
      plan = kept?.plan ?? repredict(inst, running!, passes) ?? plan;
    }
    const byTask = new Map(plan.assignments.map((a) => [a.task, a]));
    planUnits = units.map((u) => {
      const a = byTask.get(u.id)!;
      return {
        id: u.id,
        unit: unitOf(graph, u.nodes),
        device: a.device,
        predictedStartMs: a.startMs,
        predictedEndMs: a.endMs,
      };
    });
    plan.steadyMs = steadyOf(plan);
    // the executor runs same-device chains as one unit where a unit costs a submit and a wait
    // (>= 10 us per unit: a GPU, a server); `placed` keeps the plan's own units
    const unitCost = new Map(live.map((e) => [e.device.id, unitOverheadMs(e.profile)]));
    const placed = mergeChains(graph, planUnits, (d) => (unitCost.get(d) ?? 0) >= 0.01);
    // the same placement as the running executor: keep its compiled units and resident weights
    const key = [...lanes].sort().join(';');
    const prev = executor as Executor | undefined;
    unitSigs = new Map(units.map((u) => [u.id, u.signatures]));
    unitWorks = new Map(units.map((u) => [u.id, u.work]));
    const same = prev && !exclude.length && key === lanesKey && samePlacement(prev.placed, placed);
    if (same) {
      prev.placed.forEach((u, i) =>
        Object.assign(u, {
          predictedStartMs: placed[i]!.predictedStartMs,
          predictedEndMs: placed[i]!.predictedEndMs,
          predictedBusyMs: placed[i]!.predictedBusyMs,
        }),
      );
      // compiled and resident already: the next run is a steady one
      plan.firstRun = predictFirstRun(steadyOf(plan), planUnits, new Map(), firstByUnit);
      return false;
    }
    ({
      byDevice: firstByDevice,
      byUnit: firstByUnit,
      warmup: firstWarmup,
    } = predictFirstRunByDevice(planUnits, live, compiledKeys, history, host));
    plan.firstRun = predictFirstRun(steadyOf(plan), planUnits, firstByDevice, firstByUnit);
    lanesKey = key;
    // fallback order: the host's reference interpreter last, the fastest devices first
    executor = new Executor(graph, placed, devices, {
      fallbackOrder: fallbackOrder(live, host),
      hostDevice: host,
      lanes,
    });
    try {
      const t0 = performance.now();
      await executor.compileAll();
      compileMs = performance.now() - t0;
    } catch (e) {
      // a device that fails while compiling (a server gone, a GPU lost) is left out of this plan
      if (!(e instanceof DeviceError) || e.device === host || exclude.includes(e.device) || !devices.has(e.device))
        throw e;
      await executor.release();
      trace?.instant('plan', `re-plan: ${e.device} failed to compile (${e.message})`);
      notes.push(`planned without ${e.device}: it failed to compile (${e.message})`);
      return makePlan([...exclude, e.device]);
    }
    return true;
  };
  /** What the new executor's first run pays beyond a steady run, per unit. */
  let firstByUnit = new Map<string, number>();
  await makePlan();

  const drift = options.driftFactor ?? 2;
  let lastReport: RunReport | undefined;
  let firstRun: HeteroPrepared['firstRun'];
  let steadyReports: RunReport[] = [];
  let lastRunPlan: Plan | undefined;
  let replans = 0;
  /** Runs of the current executor: its first compiles, plans memory and tiers up, and teaches nothing. */
  let executorRuns = 0;
  const learning = new LearnSchedule(options.relearnDrift ?? 0.3, 3, options.learnEvery === 'run' ? 1 : 32);

  const prepared: HeteroPrepared = {
    get plan() {
      return plan;
    },
    devices: entries,
    get lastReport() {
      return lastReport;
    },
    get lastRunPlan() {
      return lastRunPlan;
    },
    get firstRun() {
      return firstRun;
    },
    get steadyReports() {
      return steadyReports;
    },
    trace,
    notes,
    get replans() {
      return replans;
    },
    get placed() {
      return planUnits;
    },
    get placement() {
      return { placed: executor.placed, host };
    },
    get policy() {
      return policy;
    },
    async setPolicy(p) {
      const previous = { executor, plan, policy };
      policy = p;
      try {
        if (await makePlan()) executorRuns = 0;
      } catch (e) {
        // a policy that cannot be planned (a cost objective without a deadline) leaves the old plan
        ({ executor, plan, policy } = previous);
        throw e;
      }
      if (executor !== previous.executor) await previous.executor.release();
      trace?.instant(
        'plan',
        `re-plan: policy ${p.objective}${p.deadlineMs !== undefined ? `, deadline ${p.deadlineMs} ms` : ''}`,
      );
      return plan;
    },
    get fallbacks() {
      return new Map(
        (lastReport?.fallbacks ?? []).map((f) => [f.unit, `${f.from} failed (${f.reason}); ran on ${f.to}`]),
      );
    },
    async run(feeds) {
      return tensorsOnly(await prepared.runValues!(feeds), graph.outputs);
    },
    async runValues(feeds) {
      // the steady state a caller sees: the executor's run plus learning from it and re-predicting
      const entered = performance.now();
      let overheadFrom: Plan | undefined;
      lastRunPlan = plan;
      const { outputs, report } = await executor.run(feeds, { trace });
      lastReport = report;
      if (executorRuns === 0) {
        firstRun = { compileMs, runMs: report.totalMs, ms: compileMs + report.totalMs, report, plan };
        steadyReports = [];
        for (const u of executor.placed) WARM_DEVICES.add(u.device);
      } else {
        steadyReports = [...steadyReports.slice(-19), report];
        // the first steady run tells how far the first run's extra was from its prediction
        if (executorRuns === 1 && firstRun)
          learnFirstRun(history, firstByDevice, firstRun.ms - report.totalMs, firstWarmup);
      }
      const failedDevices = [...new Set(report.fallbacks.map((f) => f.from))];
      // an executor's first run is a warm-up (compiles, JIT, lazy allocation): its times would mislead the history
      const learned = executorRuns++ > 0;
      // the first steady runs still settle (tier-up, caches): later ones are the placement's time
      if (executorRuns > 3 && !failedDevices.length) measuredPlacements.record(plan, report.totalMs);
      // once the plan is stable, learning and re-predicting run on a schedule (every 1, 2, 4, ...
      // runs), or at once when the run is off the recent runs
      if (learned && !failedDevices.length && !learning.due(executorRuns, report.totalMs)) {
        report.callerMs = performance.now() - entered;
        learnRunOverhead(history, host, plan, planUnits.length, report.callerMs);
        plan.steadyMs = steadyOf(plan);
        return outputs;
      }
      // a placement measured faster earlier this session wins over the running one (measured slower)
      const faster = learned && !failedDevices.length ? measuredPlacements.faster(plan, keepMargin) : undefined;
      if (faster) {
        replans++;
        learning.learned(false);
        const own = measuredPlacements.measured(plan)!.toFixed(2);
        const note = `went back to a placement measured faster: ${faster.ms.toFixed(2)} ms against this one's ${own}`;
        const old = executor;
        if (await makePlan([], false, false, faster.plan)) {
          await old.release();
          executorRuns = 0;
        }
        notes.push(note);
        trace?.instant('plan', note);
        report.callerMs = performance.now() - entered;
        return outputs;
      }
      const drifted = learned
        ? learnFromRun({ placed: executor.placed, entries, history, unitSigs, unitWorks, links, drift }, report)
        : [];
      if (learned && !drifted.length && !failedDevices.length) {
        // no drift worth moving for: the same placement, its predictions updated from what ran
        const old = executor;
        if (await makePlan([], false, true)) {
          await old.release();
          executorRuns = 0;
        } else {
          overheadFrom = plan;
        }
        learning.learned(executorRuns > 0);
      } else if (drifted.length || failedDevices.length) {
        replans++;
        learning.learned(false);
        const why = failedDevices.length
          ? `devices failed: ${failedDevices.join(', ')}`
          : `drifted past ${drift}x the prediction: ` +
            `${drifted.slice(0, 3).join('; ')}${drifted.length > 3 ? `; ${drifted.length - 3} more` : ''}`;
        const old = executor;
        const moved = await makePlan(failedDevices, !failedDevices.length);
        if (moved) {
          await old.release();
          executorRuns = 0;
        } else if (!failedDevices.length) {
          overheadFrom = plan;
        }
        const what = moved ? '' : ' (same placement: predictions updated, compiled units kept)';
        trace?.instant('plan', `re-plan: ${why}${what}`);
        notes.push(`re-planned after run (${why})${what}`);
      }
      report.callerMs = performance.now() - entered;
      if (overheadFrom === plan && !learning.settled) {
        learnRunOverhead(history, host, plan, planUnits.length, report.callerMs);
        plan.steadyMs = steadyOf(plan);
      }
      return outputs;
    },
    async release() {
      await executor.release();
      for (const d of devices.values()) await d.dispose();
    },
  };
  return prepared;
}

class AutoBackend implements Backend {
  readonly name = 'auto';
  passes(): string[] {
    return [...KERNEL_PASSES];
  }
  prepare(graph: Graph, options: BackendOptions): Promise<PreparedModel> {
    return prepareAuto(graph, options as AutoOptions);
  }
}

registerBackend('auto', async () => new AutoBackend());
