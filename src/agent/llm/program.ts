// A graph compiled for one Device whose outputs stay on that device: what the LLM runtime needs to
// keep a KV cache resident between steps. It is a single-device plan run by the one executor
// (nodes the device lacks run on the host's reference interpreter, recorded), with the outputs
// left on the device and device-resident feeds borrowed. Weights are uploaded once per device and
// shared by every graph that reads the same tensor (prefill buckets, decode).

import type { Device, DeviceTensor } from '../../backends/device.js';
import { copyGraph } from '../../ir/copy.js';
import type { Graph } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { runPipeline } from '../../passes/index.js';
import { KERNEL_PASSES as KERNEL_TAIL, WEBGPU_KERNEL_PASSES } from '../../runtime/backends/kernel-passes.js';
import { type Feed, ResidentWeights } from '../../runtime/executor.js';
import { type DevicePreparedModel, prepareOnDevice } from '../../runtime/single-device.js';

/** Weights resident on one device, keyed by the tensor object (shared by a model's programs). */
export class WeightCache extends ResidentWeights {}

export const KERNEL_PASSES = ['shape-inference', ...KERNEL_TAIL];
/** WebGPU devices also fuse attention chains and turn unit-axis transposes into views. */
export const WEBGPU_PASSES = ['shape-inference', ...WEBGPU_KERNEL_PASSES];
/** WASM keeps MatMulNBits (GGUF blocks, 4- and 8-bit codes): its integer kernels read the codes. */
const WASM_PASSES = KERNEL_PASSES.map((p) => (p === 'decompose-contrib' ? 'decompose-contrib-cpu' : p));
/** The passes a device of this kind runs on a program's graph before compiling it. */
export const programPasses = (kind: string): string[] =>
  kind === 'reference' ? [] : kind === 'wasm' ? WASM_PASSES : kind === 'webgpu' ? WEBGPU_PASSES : KERNEL_PASSES;

/**
 * The graph as a device of this kind compiles it: a copy run through its passes (the graph given
 * stays as it is, so the planner may cost it and the engine compile it again).
 */
export function kernelForm(graph: Graph, kind: string, passes = programPasses(kind)): Graph {
  const g = copyGraph(graph);
  if (passes.length) runPipeline(g, passes);
  return g;
}

export class DeviceProgram {
  private constructor(
    readonly graph: Graph,
    readonly device: Device,
    private readonly prepared: DevicePreparedModel,
    /** Ops that ran on the reference path because the device has no kernel, with the reason. */
    readonly fallbacks: Map<string, string>,
  ) {}

  /**
   * Kernel devices get the shared kernel-level form first (nn.* lowered to k.*, elementwise chains
   * and matmul epilogues fused); constants are not folded, so weights stay the tensors the other
   * graphs of the model share. The graph given is not changed (the passes rewrite a copy, which
   * is `graph` here).
   */
  static async create(
    graph: Graph,
    weights: WeightCache,
    passes = programPasses(weights.device.kind),
  ): Promise<DeviceProgram> {
    const device = weights.device;
    graph = kernelForm(graph, device.kind, passes);
    const prepared = await prepareOnDevice(graph, device, { resident: new Map([[device.id, weights]]) });
    return new DeviceProgram(graph, device, prepared, prepared.fallbacks ?? new Map());
  }

  /**
   * Run with inputs in graph-input order (device tensors are borrowed, CPU tensors are uploaded
   * and freed); returns the outputs in graph-output order, resident and owned by the caller.
   */
  async run(inputs: (DeviceTensor | Tensor)[]): Promise<DeviceTensor[]> {
    const feeds: Feed[] = this.graph.inputs.map((v, i) => {
      const t = inputs[i];
      if (!t) throw new Error(`${this.graph.name}: input '${v.name}' is missing`);
      return t instanceof Tensor ? t : { device: this.device.id, tensor: t };
    });
    return (await this.prepared.executor.run(feeds, { keepOn: this.device.id })).outputs;
  }
}
