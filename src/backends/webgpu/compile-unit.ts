// Compiling a unit for WebGPU: one step per node, and for nodes whose shapes (and host inputs)
// are known statically, their plans made now, so limits are checked at create and the
// pipelines compile in parallel before the first run.

import type { Value } from '../../ir/graph.js';
import { nodeError } from '../../ir/infer.js';
import type { CompiledUnit, Unit } from '../device.js';
import { UnitCounters } from './counters.js';
import { type Dispatch, kernelFor, type TensorInfo } from './kernel.js';
import { planStep, type Step } from './node-plan.js';
import type { Gpu } from './open-device.js';
import { paramsBuffer } from './storage.js';

export class WebGpuUnit implements CompiledUnit {
  constructor(
    readonly unit: Unit,
    readonly steps: Step[],
    readonly lastUse: Map<Value, number>,
  ) {}
  /** Dispatches per run and per kernel (the last run's). */
  readonly counters = new UnitCounters();
}

export interface CompileContext {
  gpu: Gpu;
  /** Await a GPU promise, failing fast when the device is lost. */
  guard<T>(p: Promise<T>, what: string): Promise<T>;
  onProgress?(done: number, total: number, what: string): void;
}

export async function compileUnit(cx: CompileContext, unit: Unit): Promise<WebGpuUnit> {
  const steps: Step[] = [];
  const lastUse = new Map<Value, number>();
  unit.nodes.forEach((n, i) => {
    for (const v of n.inputs) if (v) lastUse.set(v, i);
  });
  const warm: Dispatch[] = [];
  for (const node of unit.nodes) {
    const fam = kernelFor(node.op);
    if (!fam) throw nodeError(node, new Error(`no WGSL kernel for ${node.op}`));
    const step: Step = { node, memo: new Map(), hostInputs: fam.hostInputs?.(node) ?? [] };
    steps.push(step);
    const infos = node.inputs.map((v) =>
      v ? staticInfo(cx.gpu, v, step.hostInputs.includes(node.inputs.indexOf(v))) : undefined,
    );
    if (infos.some((x, i) => x === null || (x === undefined && node.inputs[i]))) continue;
    const planned = planStep(cx.gpu.ctx, step, infos as (TensorInfo | undefined)[]);
    warm.push(...planned.plan.dispatches);
  }
  await warmUp(cx, warm);
  return new WebGpuUnit(unit, steps, lastUse);
}

/** TensorInfo from a value's static type, or null where the shape (or a needed host value) is unknown. */
function staticInfo(g: Gpu, v: Value, needHost: boolean): TensorInfo | null {
  const t = v.type;
  if (!t?.shape || !t.shape.every((d) => typeof d === 'number')) return null;
  if (needHost && !v.const) return null;
  const dims = t.shape as number[];
  return {
    dtype: t.dtype,
    dims,
    layout: g.ctx.layout(
      t.dtype,
      dims.reduce((a, b) => a * b, 1),
    ),
    host: v.const,
  };
}

async function warmUp(cx: CompileContext, ds: Dispatch[]): Promise<void> {
  const c = cx.gpu.cache;
  const pending = new Map<string, Dispatch>();
  for (const d of ds) {
    // uniform parameters are uploaded now, so the first run creates no buffers
    if (d.params) paramsBuffer(cx.gpu, d.params);
    const key = c.keyOf(d);
    if (!c.get(d) && !pending.has(key)) pending.set(key, d);
  }
  if (!pending.size) return;
  let done = 0;
  const total = pending.size;
  const report = cx.onProgress;
  report?.(0, total, 'compiling WGSL pipelines');
  await cx.guard(
    Promise.all(
      [...pending.values()].map((d) =>
        c.request(d).then(() => {
          done++;
          report?.(done, total, 'compiling WGSL pipelines');
        }),
      ),
    ),
    'pipeline compilation',
  );
}
