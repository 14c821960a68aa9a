// A whole-graph Backend on top of one Device: the graph is cut into maximal runs of nodes the
// device supports; nodes it does not support run on the reference interpreter (CPU) in between,
// and each such fallback is recorded with its reason, never silent.

import type { Graph, Node, Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { evalNode } from '../ops/evaluate.js';
import type { BackendOptions, PreparedModel } from './backend.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from './device.js';

type Step = { kind: 'device'; compiled: CompiledUnit } | { kind: 'cpu'; node: Node };

/** Split nodes (in order) into device units and CPU fallback nodes. */
export function partition(g: Graph, device: Device): { steps: (Unit | Node)[]; fallbacks: Map<string, string> } {
  const fallbacks = new Map<string, string>();
  const steps: (Unit | Node)[] = [];
  let run: Node[] = [];
  const flush = () => {
    if (run.length) steps.push(unitOf(g, run));
    run = [];
  };
  for (const n of g.nodes) {
    const ok = device.supports(n);
    if (ok === true) { run.push(n); continue; }
    flush();
    steps.push(n);
    if (!fallbacks.has(n.op)) fallbacks.set(n.op, ok);
  }
  flush();
  return { steps, fallbacks };
}

/** Inputs and outputs of a run of nodes, as seen from the rest of the graph. */
export function unitOf(g: Graph, nodes: Node[]): Unit {
  const inside = new Set<Value>();
  for (const n of nodes) for (const o of n.outputs) if (o) inside.add(o);
  const inputs: Value[] = [];
  for (const n of nodes) {
    for (const v of n.inputs) if (v && !inside.has(v) && !inputs.includes(v)) inputs.push(v);
  }
  const usedOutside = new Set<Value>(g.outputs);
  const mine = new Set(nodes);
  for (const n of g.nodes) if (!mine.has(n)) for (const v of n.inputs) if (v) usedOutside.add(v);
  const outputs = [...inside].filter((v) => usedOutside.has(v));
  return { nodes, inputs, outputs };
}

export async function prepareOnDevice(g: Graph, device: Device, _options: BackendOptions): Promise<PreparedModel> {
  const { steps, fallbacks } = partition(g, device);
  const plan: Step[] = [];
  for (const s of steps) plan.push('nodes' in s ? { kind: 'device', compiled: await device.compile(s) } : { kind: 'cpu', node: s });
  // constants are uploaded once and stay resident between runs
  const resident = new Map<Value, DeviceTensor>();

  return {
    fallbacks,
    async run(feeds: Tensor[]): Promise<Tensor[]> {
      const onDevice = new Map<Value, DeviceTensor>();
      const onCpu = new Map<Value, Tensor>();
      g.inputs.forEach((v, i) => onCpu.set(v, feeds[i]!));
      const temps: DeviceTensor[] = [];
      const cpu = async (v: Value): Promise<Tensor> => {
        if (v.const) return v.const;
        let t = onCpu.get(v);
        if (!t) {
          const d = onDevice.get(v);
          if (!d) throw new Error(`value '${v.name}' was not computed`);
          t = await device.download(d);
          onCpu.set(v, t);
        }
        return t;
      };
      const dev = async (v: Value): Promise<DeviceTensor> => {
        let d = onDevice.get(v) ?? resident.get(v);
        if (!d) {
          d = await device.upload(await cpu(v));
          if (v.const) resident.set(v, d); else { onDevice.set(v, d); temps.push(d); }
        }
        return d;
      };
      try {
        for (const s of plan) {
          if (s.kind === 'device') {
            const ins = [];
            for (const v of s.compiled.unit.inputs) ins.push(await dev(v));
            const outs = await device.run(s.compiled, ins);
            s.compiled.unit.outputs.forEach((v, i) => { onDevice.set(v, outs[i]!); temps.push(outs[i]!); });
          } else {
            const ins = [];
            for (const v of s.node.inputs) ins.push(v ? await cpu(v) : undefined);
            const outs = evalNode(s.node, ins);
            s.node.outputs.forEach((v, i) => { if (v) onCpu.set(v, outs[i]!); });
          }
        }
        const results: Tensor[] = [];
        for (const v of g.outputs) results.push(await cpu(v));
        return results;
      } finally {
        for (const t of temps) device.release(t);
      }
    },
    async release() {
      for (const t of resident.values()) device.release(t);
      resident.clear();
      await device.dispose();
    },
  };
}
