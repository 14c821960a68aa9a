// Running a compiled unit: each step planned for the shapes it meets (memoised), its outputs
// given storage (or aliasing an input's, or host-only), its dispatches recorded into the run's
// command encoder, and values whose last reader has run given back to the pool.

import type { Value } from '../../ir/graph.js';
import { nodeError } from '../../ir/infer.js';
import type { Tensor } from '../../ir/tensor.js';
import type { DeviceTensor } from '../device.js';
import { CommandRecorder } from './command-recorder.js';
import type { WebGpuUnit } from './compile-unit.js';
import type { GpuCounters } from './counters.js';
import { DeviceLostError } from './errors.js';
import type { NodePlan, OutInfo } from './kernel.js';
import { planStep } from './node-plan.js';
import type { Gpu } from './open-device.js';
import type { Residency } from './residency.js';
import { cachedBindGroup, paramsBuffer } from './storage.js';
import { GpuTensor } from './tensor.js';

export interface RunContext {
  gpu: Gpu;
  res: Residency;
  counters: GpuCounters;
  kernelDispatches: Map<string, number>;
  guard<T>(p: Promise<T>, what: string): Promise<T>;
  lostError(what: string): DeviceLostError;
  download(t: GpuTensor): Promise<Tensor>;
  afterSubmit?: () => void;
}

export async function runUnit(cx: RunContext, wu: WebGpuUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
  const g = cx.gpu;
  const { unit } = wu;
  const env = new Map<Value, GpuTensor>();
  unit.inputs.forEach((v, i) => env.set(v, inputs[i] as GpuTensor));
  const keep = new Set<Value>([...unit.outputs, ...unit.inputs]);
  const made: GpuTensor[] = [];
  const rec = new CommandRecorder(g, cx.counters);
  wu.counters.beginRun();
  cx.counters.runs++;
  try {
    for (let si = 0; si < wu.steps.length; si++) {
      const step = wu.steps[si]!;
      const node = step.node;
      const ins = node.inputs.map((v) => {
        if (!v) return undefined;
        const t = env.get(v) ?? (v.const ? cx.res.residentConst(v) : undefined);
        if (!t) throw nodeError(node, new Error(`input '${v.name}' was not computed`));
        return t;
      });
      for (const k of step.hostInputs) {
        const t = ins[k];
        if (t && !t.host) {
          rec.flush();
          t.host = await cx.download(t);
        }
      }
      const infos = ins.map((t) =>
        t
          ? { dtype: t.type, dims: t.dims as number[], layout: g.ctx.layout(t.type, t.numel), host: t.host }
          : undefined,
      );
      const { plan, outs } = planStep(g.ctx, step, infos);
      const outputs = stepOutputs(cx.res, step.node.outputs, plan, outs, ins);
      made.push(...outputs);
      node.outputs.forEach((v, k) => {
        if (v) env.set(v, outputs[k]!);
      });
      if (plan.dispatches.length) {
        const temps = (plan.temps ?? []).map((l) => cx.res.allocStorage(l));
        for (const d of plan.dispatches) {
          const pipe = g.cache.get(d) ?? (await cx.guard(g.cache.request(d), 'pipeline compilation'));
          const entries: GPUBindGroupEntry[] = [];
          if (d.params) entries.push({ binding: 0, resource: { buffer: paramsBuffer(g, d.params) } });
          for (const r of d.tensors) {
            const st =
              'in' in r
                ? (cx.res.ensureStorage(ins[r.in]!), ins[r.in]!.storage!)
                : 'out' in r
                  ? outputs[r.out]!.storage!
                  : temps[r.tmp]!;
            for (const b of st.buffers) entries.push({ binding: entries.length, resource: { buffer: b } });
          }
          const bind = cachedBindGroup(g, d.bindings, entries, () => cx.counters.bindGroupsCreated++);
          rec.dispatch(d, pipe, bind);
          wu.counters.dispatched(d.label);
          cx.kernelDispatches.set(d.label, (cx.kernelDispatches.get(d.label) ?? 0) + 1);
        }
        for (const s of temps) cx.res.releaseStorage(s, true);
      }
      // values whose last reader in this unit has run go back to the pool
      for (const v of node.inputs) {
        if (v && wu.lastUse.get(v) === si && !keep.has(v)) {
          const t = env.get(v);
          if (t) cx.res.releaseTensor(t, true);
        }
      }
      for (const v of node.outputs) {
        if (v && !wu.lastUse.has(v) && !keep.has(v)) cx.res.releaseTensor(env.get(v)!, true);
      }
    }
    rec.flush();
    wu.counters.endRun();
    cx.afterSubmit?.();
    if (g.lost) throw cx.lostError('a run');
  } catch (e) {
    rec.abandon();
    for (const v of unit.outputs) {
      const t = env.get(v);
      if (t && made.includes(t)) cx.res.releaseTensor(t);
    }
    if (g.lost && !(e instanceof DeviceLostError)) throw cx.lostError('a run');
    throw e;
  }
  return unit.outputs.map((v) => {
    const t = env.get(v);
    if (!t) throw new Error(`unit output '${v.name}' was not computed`);
    return t;
  });
}

/** A step's output tensors: host values, no storage (unused optional outputs), an input's storage, or new. */
function stepOutputs(
  res: Residency,
  values: (Value | null)[],
  plan: NodePlan,
  outs: OutInfo[],
  ins: (GpuTensor | undefined)[],
): GpuTensor[] {
  return outs.map((o, k) => {
    const name = values[k]?.name ?? '';
    if (plan.host) return new GpuTensor(o.dtype, o.dims, undefined, plan.host[k], name);
    // an optional output the graph does not take (Attention's present_key, ...): no storage
    const used = plan.dispatches.some((d) => d.tensors.some((r) => 'out' in r && r.out === k));
    if (!values[k] && !used) return new GpuTensor(o.dtype, o.dims, undefined, undefined, name);
    const a = plan.alias?.[k];
    if (a !== undefined) {
      const src = ins[a]!;
      res.ensureStorage(src);
      src.storage!.refs++;
      // written in place: the input's host copy no longer holds its values
      if (plan.writesInputs?.includes(a)) src.host = undefined;
      return new GpuTensor(
        o.dtype,
        o.dims,
        src.storage,
        src.host && src.host.size === o.dims.reduce((x, y) => x * y, 1) ? src.host.reshape(o.dims) : undefined,
        name,
      );
    }
    return new GpuTensor(o.dtype, o.dims, res.allocStorage(o.layout), undefined, name);
  });
}
