// switchyard run <model.onnx> [--inputs dir] [--out dir] [--backend B] [--json]

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readTensorFile, writeTensorFile } from '../../frontend/onnx/tensor-proto.js';
import { printGraph } from '../../ir/printer.js';
import type { Tensor } from '../../ir/tensor.js';
import { type DeviceSpec, deviceKinds } from '../../runtime/devices.js';
import { explainRun } from '../../runtime/explain.js';
import { Session, type SessionOptions } from '../../runtime/session.js';
import { addDeviceOptions, type DeviceFlags, deviceOptions } from '../backend-options.js';
import { checkDimNames, defaultDimsNote, originalDimNames, parseDims, randomFeeds } from '../random-inputs.js';
import { ms, table } from '../table.js';

function readInputs(dir: string, names: string[]): Record<string, Tensor> {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    throw new Error(`--inputs ${dir}: not a readable folder`);
  }
  const pbs = files
    .filter((f) => /^input_\d+\.pb$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  if (pbs.length !== names.length) {
    throw new Error(
      `--inputs ${dir}: found ${pbs.length} input_N.pb files, the model has ${names.length} inputs ` +
        `(${names.join(', ')})`,
    );
  }
  const feeds: Record<string, Tensor> = {};
  pbs.forEach((f, i) => {
    feeds[names[i]!] = readTensorFile(new Uint8Array(readFileSync(join(dir, f))), join(dir, f));
  });
  return feeds;
}

interface RunOptions {
  inputs?: string;
  out?: string;
  backend: string;
  dim?: string[];
  seed: string;
  printIr?: boolean;
  json?: boolean;
  devices?: string;
  deadline?: string;
  objective: string;
  explain?: boolean;
  steady?: string;
  trace?: string;
  remote?: string;
  token?: string;
}

type SharedFlags = {
  backend: string;
  devices?: string;
  deadline?: string;
  objective?: string;
  trace?: string;
  explain?: boolean;
  remote?: string;
  token?: string;
};

/** Session options from the shared CLI flags (--backend, --devices, --deadline, --objective, --trace). */
/**
 * Session options from the shared CLI flags (--backend, --devices, --deadline, --objective, --trace,
 * --remote, --token). `--remote URL` adds an offload server to the devices the planner places over
 * (backend 'auto' unless another is named); `--backend remote` forces the whole graph onto it with
 * no local fallback (for tests), `--deadline` then being each remote run's deadline.
 */
export function sessionOptions(o: SharedFlags, backendGiven = true): SessionOptions {
  if (o.remote) {
    const token = o.token ?? process.env.SWITCHYARD_TOKEN;
    const remote = { kind: 'remote' as const, url: o.remote, ...(token ? { token } : {}) };
    if (o.backend === 'remote') {
      const deadlineMs = o.deadline === undefined ? undefined : Number(o.deadline);
      if (deadlineMs !== undefined && !(deadlineMs > 0))
        throw new Error(`--deadline must be a positive number of milliseconds, got '${o.deadline}'`);
      return {
        backend: 'remote',
        fallback: false,
        trace: !!o.trace,
        devices: [{ ...remote, ...(deadlineMs ? { deadlineMs } : {}) }],
      };
    }
    if (backendGiven && o.backend !== 'auto')
      throw new Error(
        `--remote places work with --backend auto (the default with --remote) or forces it with ` +
          `--backend remote, not --backend ${o.backend}`,
      );
    const base = sessionOptions({ ...o, backend: 'auto', remote: undefined });
    const locals =
      base.devices ??
      deviceKinds()
        .filter((k) => k !== 'remote')
        .map((kind) => ({ kind }));
    return { ...base, devices: [...locals.filter((d) => d.kind !== 'remote'), remote] };
  }
  if (o.backend === 'remote')
    throw new Error('--backend remote needs --remote URL (and --token T or $SWITCHYARD_TOKEN)');
  const auto = o.backend === 'auto';
  if (!auto && (o.devices || o.deadline || o.trace || (o.explain && o.backend !== 'wasm')))
    throw new Error(
      '--devices, --deadline, --explain and --trace need --backend auto (--explain also takes --backend wasm)',
    );
  const deadlineMs = o.deadline === undefined ? undefined : Number(o.deadline);
  if (deadlineMs !== undefined && !(deadlineMs > 0))
    throw new Error(`--deadline must be a positive number of milliseconds, got '${o.deadline}'`);
  if (o.objective && o.objective !== 'latency' && o.objective !== 'cost')
    throw new Error(`--objective must be latency or cost, got '${o.objective}'`);
  return {
    backend: o.backend,
    ...(auto
      ? {
          trace: !!o.trace || !!o.explain,
          policy: { objective: (o.objective ?? 'latency') as 'latency' | 'cost', deadlineMs },
          devices: o.devices ? parseDevices(o.devices) : undefined,
        }
      : {}),
  };
}

function parseDevices(list: string): DeviceSpec[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((id) => {
      const kind = id === 'cpu' ? 'reference' : id.split(':')[0]!;
      if (!['reference', 'wasm', 'webgpu', 'remote'].includes(kind))
        throw new Error(`--devices: unknown device '${id}' (cpu, wasm, webgpu)`);
      return { kind: kind as DeviceSpec['kind'] };
    });
}

/** What ran on the reference path, with its share of the measured run time. */
export function explainFallbacks(
  reasons: Map<string, string>,
  cost: Map<string, { ms: number; calls: number }>,
  runMs: number,
): string {
  if (!reasons.size && !cost.size) return 'fallbacks: none (every op ran on a WASM kernel)';
  const rows = [...new Set([...reasons.keys(), ...cost.keys()])].map((op) => {
    const c = cost.get(op) ?? { ms: 0, calls: 0 };
    return [
      op,
      String(c.calls),
      ms(c.ms),
      `${((100 * c.ms) / Math.max(runMs, 1e-9)).toFixed(1)} %`,
      reasons.get(op) ?? '',
    ];
  });
  const total = [...cost.values()].reduce((a, c) => a + c.ms, 0);
  return (
    `fallbacks on the reference path: ${ms(total)} of the ${ms(runMs)} ms run\n` +
    table(['op', 'calls', 'ms', 'of run', 'why'], rows, ['l', 'r', 'r', 'r', 'l'])
  );
}

export function registerRun(program: Command): void {
  addDeviceOptions(
    program
      .command('run')
      .description('run a model once; random inputs of the right shape unless --inputs is given')
      .argument('<model>', 'ONNX model file')
      .option('-i, --inputs <dir>', 'folder with input_N.pb (TensorProto) files, in graph-input order')
      .option('-o, --out <dir>', 'write each output as output_N.pb (TensorProto), in graph-output order')
      .option('-b, --backend <name>', 'backend to run on', 'reference')
      .option('--dim <name=size...>', 'size of a symbolic input dim for random inputs (e.g. batch=4)')
      .option('--seed <n>', 'seed for random inputs', '1')
      .option('--print-ir', 'print the compiled IR before running')
      .option('--json', 'print one JSON object instead of text'),
  )
    .option('--devices <list>', "with --backend auto: devices to plan over, e.g. 'wasm,webgpu' (default: all found)")
    .option('--deadline <ms>', 'with --backend auto: end-to-end deadline for the plan')
    .option('--objective <o>', "with --backend auto: 'latency' or 'cost'", 'latency')
    .option(
      '--explain',
      'with --backend auto: print the plan, why each unit went where, predicted vs measured (first run and ' +
        'steady state), timelines; with --backend wasm: the ops that ran on the reference path and their ' +
        'share of the run',
    )
    .option('--steady <n>', 'with --explain: runs after the first, timed as the steady state', '5')
    .option('--trace <file>', 'with --backend auto: write a Chrome trace (open in Perfetto) of the run')
    .option('--remote <url>', 'offload server (switchyard serve) to place work on, e.g. http://127.0.0.1:8080')
    .option('--token <t>', 'bearer token for --remote (default: $SWITCHYARD_TOKEN)')
    .action(async (model: string, o: RunOptions & DeviceFlags, cmd: Command) => {
      const t0 = performance.now();
      const options = {
        ...sessionOptions(o, cmd.getOptionValueSource('backend') !== 'default'),
        ...deviceOptions(o, o.json),
      };
      o.backend = options.backend ?? o.backend;
      const session = await Session.create(model, options);
      const tCreate = performance.now() - t0;
      const feeds = o.inputs
        ? readInputs(o.inputs, session.inputNames)
        : randomFeeds(session.graph, Number(o.seed), checkDimNames(session.graph, parseDims(o.dim)), (d) =>
            console.error(defaultDimsNote(d, originalDimNames(model))),
          );
      const t1 = performance.now();
      const outs = await session.run(feeds);
      const tRun = performance.now() - t1;
      // --explain: a few more runs, so the steady state is measured beside the first run
      if (o.explain && session.hetero) for (let i = 0; i < Number(o.steady ?? 5); i++) await session.run(feeds);
      if (o.trace) {
        if (!session.trace) throw new Error('--trace needs --backend auto');
        writeFileSync(o.trace, JSON.stringify(session.trace.toJSON()));
      }
      if (o.out) {
        mkdirSync(o.out, { recursive: true });
        session.outputNames.forEach((name, i) =>
          writeFileSync(join(o.out!, `output_${i}.pb`), writeTensorFile(outs[name]!, name)),
        );
      }
      if (o.json) {
        console.log(
          JSON.stringify({
            model,
            backend: o.backend,
            createMs: tCreate,
            runMs: tRun,
            outputs: session.outputNames.map((name) => {
              const t = outs[name]!;
              return {
                name,
                dtype: t.type,
                dims: t.dims,
                data: t
                  .toNumbers()
                  .slice(0, 1024)
                  .map((v) => (Number.isFinite(v) ? v : String(v))),
                truncated: t.size > 1024,
              };
            }),
          }),
        );
      } else {
        if (o.printIr) console.log(printGraph(session.graph, { elideBlobs: true }));
        console.log(`model   ${model}`);
        console.log(`backend ${o.backend}`);
        console.log('inputs');
        for (const [k, t] of Object.entries(feeds))
          console.log(`  ${k}: ${t.toString()}${o.inputs ? '' : '  (random)'}`);
        console.log('outputs');
        for (const name of session.outputNames) console.log(`  ${name}: ${outs[name]!.toString()}`);
        console.log(`time    create ${ms(tCreate)} ms, run ${ms(tRun)} ms`);
        if (o.out) console.log(`wrote   ${session.outputNames.length} output_N.pb files to ${o.out}`);
        for (const [op, why] of session.fallbacks) console.log(`fallback ${op}: ${why}`);
        for (const f of session.deviceFallbacks)
          console.log(`fallback ${f.from} -> ${f.to} (${f.phase} of ${f.nodes.length} nodes): ${f.reason}`);
        for (const f of session.hetero?.lastReport?.fallbacks ?? [])
          console.log(`fallback ${f.from} -> ${f.to} (${f.unit}): ${f.reason}`);
        if (o.trace) console.log(`trace   ${o.trace} (open in https://ui.perfetto.dev)`);
        const cost = (
          session.preparedModel as
            | { device?: { fallbackCost?: Map<string, { ms: number; calls: number }> } }
            | undefined
        )?.device?.fallbackCost;
        if (o.explain && !session.hetero && cost) console.log(`\n${explainFallbacks(session.fallbacks, cost, tRun)}`);
        else if (o.explain) {
          if (!session.hetero) throw new Error('--explain needs --backend auto');
          console.log(`\n${explainRun(session.hetero)}`);
        }
      }
      await session.release();
    });
}
