// A graph compiled for one Device whose outputs stay on that device: what the LLM runtime needs to
// keep a KV cache resident between steps (prepareOnDevice downloads every output). Nodes the device
// lacks run on the reference ops in between, recorded like prepareOnDevice's fallbacks. Weights
// are uploaded once per device and shared by every graph that reads the same tensor (prefill
// buckets, decode).

import type { CompiledUnit, Device, DeviceTensor, Unit } from '../../backends/device.js';
import { partition } from '../../backends/device-backend.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { evalNode } from '../../ops/evaluate.js';
import { runPipeline } from '../../passes/index.js';

/** Weights resident on one device, keyed by the tensor object. */
export class WeightCache {
  private readonly map = new Map<Tensor, DeviceTensor>();
  constructor(readonly device: Device) {}
  async get(t: Tensor): Promise<DeviceTensor> {
    let d = this.map.get(t);
    if (!d) { d = await this.device.upload(t); this.map.set(t, d); }
    return d;
  }
  get bytes(): number { let b = 0; for (const t of this.map.keys()) b += t.byteLength; return b; }
  release(): void {
    for (const d of this.map.values()) this.device.release(d);
    this.map.clear();
  }
}

export const KERNEL_PASSES = ['shape-inference', 'lower', 'fuse-elementwise', 'fuse-epilogue', 'dce'];

type Step = { kind: 'device'; compiled: CompiledUnit } | { kind: 'cpu'; node: Node };

export class DeviceProgram {
  private constructor(
    readonly graph: Graph,
    readonly device: Device,
    private readonly steps: Step[],
    private readonly weights: WeightCache,
    /** Ops that ran on the reference path because the device has no kernel, with the reason. */
    readonly fallbacks: Map<string, string>,
  ) {}

  /**
   * Kernel devices get the shared kernel-level form first (nn.* lowered to k.*, elementwise chains
   * and matmul epilogues fused); constants are not folded, so weights stay the tensors the other
   * graphs of the model share.
   */
  static async create(graph: Graph, weights: WeightCache, passes = weights.device.kind === 'reference' ? [] : KERNEL_PASSES): Promise<DeviceProgram> {
    const device = weights.device;
    if (passes.length) runPipeline(graph, passes);
    const { steps, fallbacks } = partition(graph, device);
    const plan: Step[] = [];
    for (const s of steps) plan.push('nodes' in s ? { kind: 'device', compiled: await device.compile(s as Unit) } : { kind: 'cpu', node: s as Node });
    return new DeviceProgram(graph, device, plan, weights, fallbacks);
  }

  /**
   * Run with inputs in graph-input order (device tensors are borrowed, CPU tensors are uploaded
   * and freed); returns the outputs in graph-output order, resident and owned by the caller.
   */
  async run(inputs: (DeviceTensor | Tensor)[]): Promise<DeviceTensor[]> {
    const device = this.device;
    const onDevice = new Map<Value, DeviceTensor>();
    const onCpu = new Map<Value, Tensor>();
    const temps = new Set<DeviceTensor>();
    const borrowed = new Set<DeviceTensor>();
    this.graph.inputs.forEach((v, i) => {
      const t = inputs[i];
      if (!t) throw new Error(`${this.graph.name}: input '${v.name}' is missing`);
      if (t instanceof Tensor) onCpu.set(v, t); else { onDevice.set(v, t); borrowed.add(t); }
    });
    const dev = async (v: Value): Promise<DeviceTensor> => {
      if (v.const) return this.weights.get(v.const);
      let d = onDevice.get(v);
      if (!d) {
        const t = onCpu.get(v);
        if (!t) throw new Error(`${this.graph.name}: value '${v.name}' was not computed`);
        d = await device.upload(t);
        temps.add(d);
        onDevice.set(v, d);
      }
      return d;
    };
    const cpu = async (v: Value): Promise<Tensor> => {
      if (v.const) return v.const;
      let t = onCpu.get(v);
      if (!t) { t = await device.download(await dev(v)); onCpu.set(v, t); }
      return t;
    };
    let results: DeviceTensor[] = [];
    try {
      for (const s of this.steps) {
        if (s.kind === 'device') {
          const ins: DeviceTensor[] = [];
          for (const v of s.compiled.unit.inputs) ins.push(await dev(v));
          const outs = await device.run(s.compiled, ins);
          s.compiled.unit.outputs.forEach((v, i) => { onDevice.set(v, outs[i]!); temps.add(outs[i]!); });
        } else {
          const ins: (Tensor | undefined)[] = [];
          for (const v of s.node.inputs) ins.push(v ? await cpu(v) : undefined);
          evalNode(s.node, ins).forEach((t, i) => { const o = s.node.outputs[i]; if (o) onCpu.set(o, t); });
        }
      }
      for (const v of this.graph.outputs) {
        let d = await dev(v);
        // an output that is a borrowed input or a weight must be copied so the caller may free it
        if (borrowed.has(d) || v.const) d = await device.upload(await device.download(d));
        results.push(d);
      }
      for (const d of results) temps.delete(d);
      return results;
    } catch (e) {
      for (const d of results) temps.delete(d);
      for (const d of results) device.release(d);
      results = [];
      throw e;
    } finally {
      for (const d of temps) device.release(d);
    }
  }
}
