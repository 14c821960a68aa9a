// The 'webgpu' Backend: the graph is partitioned into units the WebGPU device supports and nodes
// that run on the reference path (recorded in session.fallbacks with the reason, e.g. int64
// arithmetic). Constants are uploaded once and stay on the GPU; feeds may be GPU tensors from
// another session (location 'gpu'); outputs come back to the CPU, or stay on the GPU with
// `preferredOutputLocation: 'gpu'`. After a device loss the next run uses a fresh device.

import type { Graph, Node, Value } from '../../ir/graph.js';
import { allocTyped } from '../../ir/dtype.js';
import { Tensor } from '../../ir/tensor.js';
import { evalNodeValues } from '../../ops/evaluate.js';
import { HostControlFlow } from '../host-control-flow.js';
import { asTensor, tensorsOnly, type RunValue } from '../../ir/values.js';
import { DEFAULT_PIPELINE, KERNEL_PIPELINE, runPipeline } from '../../passes/index.js';
import { registerBackend, type Backend, type BackendOptions, type PreparedModel } from '../backend.js';
import { partition } from '../device-backend.js';
import type { Unit } from '../device.js';
import { WebGpuDevice, type WebGpuOptions, type WebGpuUnit } from './device.js';
import { GpuTensor } from './tensor.js';
import './calibrate.js';

export interface WebGpuBackendOptions extends BackendOptions, WebGpuOptions {
  /** 'gpu' keeps outputs on the GPU (Tensor.location === 'gpu'); download with getData(). */
  preferredOutputLocation?: 'cpu' | 'gpu';
  /** Skip the shared lowering/fusion passes (lower, fuse-elementwise, fuse-epilogue): nn.* kernels only. */
  kernelPasses?: boolean;
  /** A device to run on (shared between sessions); default: one per adapter choice, shared. */
  device?: WebGpuDevice;
}

/** A session output that stayed on the GPU: `location === 'gpu'`, `await getData()` downloads it. */
export class GpuResidentTensor extends Tensor {
  private cached?: Tensor;
  constructor(readonly device: WebGpuDevice, readonly gpuTensor: GpuTensor) {
    super(gpuTensor.type, allocTyped(gpuTensor.type, 0), [0]);
    this.location = 'gpu';
    Object.defineProperty(this, 'dims', { value: Object.freeze([...gpuTensor.dims]), enumerable: true });
    Object.defineProperty(this, 'data', {
      enumerable: true,
      get: () => {
        if (this.cached) return this.cached.data;
        throw new Error(`tensor ${gpuTensor.type}[${gpuTensor.dims.join(',')}] is on the GPU: await tensor.getData() first`);
      },
    });
  }

  override get size(): number { return this.dims.reduce((a, b) => a * b, 1); }

  /** The GPU buffer(s) holding the data. */
  get gpuBuffer(): GPUBuffer | undefined { return this.gpuTensor.storage?.buffers[0]; }

  async getData(): Promise<Tensor['data']> {
    if (!this.cached) this.cached = await this.device.download(this.gpuTensor);
    return this.cached.data;
  }

  dispose(): void { this.device.release(this.gpuTensor); }
}

const shared = new Map<string, { device: Promise<WebGpuDevice>; users: number }>();

/** One device per adapter choice and precision, shared by sessions (so GPU tensors move between them). */
export async function sharedDevice(o: WebGpuOptions): Promise<{ device: WebGpuDevice; done(): Promise<void> }> {
  const key = JSON.stringify([o.adapter ?? 'default', o.powerPreference ?? '', o.precision ?? 'f32', o.limitOverrides ?? {}]);
  let e = shared.get(key);
  if (!e) {
    e = { device: WebGpuDevice.create(o), users: 0 };
    shared.set(key, e);
    e.device.catch(() => shared.delete(key));
  }
  e.users++;
  const device = await e.device;
  const entry = e;
  return {
    device,
    async done() {
      if (--entry.users > 0) return;
      shared.delete(key);
      await device.dispose();
    },
  };
}

type Step = { kind: 'gpu'; unit: WebGpuUnit } | { kind: 'cpu'; node: Node };

export async function prepareWebGpu(g: Graph, options: WebGpuBackendOptions): Promise<PreparedModel & { device: WebGpuDevice }> {
  const own = options.device ? { device: options.device, done: async () => {} } : await sharedDevice(options);
  const device = own.device;
  // the shared kernel-level passes (k.map, k.matmul epilogues…) unless the caller chose passes
  if (options.kernelPasses !== false && !options.passes) runPipeline(g, KERNEL_PIPELINE.slice(DEFAULT_PIPELINE.length));
  const { steps, fallbacks } = partition(g, device);
  if (options.precision === 'f16' && !device.f16) {
    fallbacks.set('precision f16', `adapter ${device.name} has no shader-f16: float kernels run in f32`);
  }
  // control flow: the loop on the host, each body prepared on this same GPU device
  const control = new HostControlFlow((body) => prepareWebGpu(body, { ...options, passes: undefined, kernelPasses: true, device }));
  for (const s of steps) {
    if (!('nodes' in s) && control.handles(s as Node)) {
      const op = (s as Node).op;
      fallbacks.set(op, `${op.slice(3)} runs as one unit driven from the host; its body runs on webgpu`);
    }
  }
  const plan: Step[] = [];
  try {
    for (const s of steps) plan.push('nodes' in s ? { kind: 'gpu', unit: await device.compile(s as Unit) } : { kind: 'cpu', node: s as Node });
  } catch (e) {
    await own.done();
    throw e;
  }
  const resident = new Map<Value, GpuTensor>();
  const keepOnGpu = options.preferredOutputLocation === 'gpu';
  let released = false;

  const runValues = async (feeds: RunValue[]): Promise<RunValue[]> => {
      if (released) throw new Error('session has been released');
      const onGpu = new Map<Value, GpuTensor>();
      // host values: tensors, and the sequences and optionals that only host nodes touch
      const onCpu = new Map<Value, RunValue>();
      const temps: GpuTensor[] = [];
      g.inputs.forEach((v, i) => {
        const f = feeds[i]!;
        if (f instanceof GpuResidentTensor && f.device === device) onGpu.set(v, f.gpuTensor);
        else onCpu.set(v, f);
      });
      const cpu = async (v: Value): Promise<RunValue> => {
        if (v.const) return v.const;
        let t = onCpu.get(v);
        if (!t) {
          const d = onGpu.get(v);
          if (!d) throw new Error(`value '${v.name}' was not computed`);
          t = await device.download(d);
          onCpu.set(v, t);
        }
        return t;
      };
      const gpu = async (v: Value): Promise<GpuTensor> => {
        let d = onGpu.get(v) ?? resident.get(v);
        if (!d) {
          const t = v.const ?? onCpu.get(v);
          if (t instanceof GpuResidentTensor) throw new Error(`input '${v.name}' is on another GPU device; download it first`);
          d = await device.upload(asTensor(await cpu(v), v.name), v.name);
          if (v.const) resident.set(v, d); else { onGpu.set(v, d); temps.push(d); }
        }
        return d;
      };
      const outputs = new Set(g.outputs);
      try {
        for (const s of plan) {
          if (s.kind === 'gpu') {
            const ins: GpuTensor[] = [];
            for (const v of s.unit.unit.inputs) ins.push(await gpu(v));
            const outs = await device.run(s.unit, ins);
            s.unit.unit.outputs.forEach((v, i) => {
              const t = outs[i] as GpuTensor;
              onGpu.set(v, t);
              if (!(keepOnGpu && outputs.has(v))) temps.push(t);
            });
          } else {
            const ins: (RunValue | undefined)[] = [];
            for (const v of s.node.inputs) ins.push(v ? await cpu(v) : undefined);
            const outs = control.handles(s.node) ? await control.run(s.node, ins) : evalNodeValues(s.node, ins);
            for (const [k, v] of control.fallbacks) if (!fallbacks.has(k)) fallbacks.set(k, v);
            s.node.outputs.forEach((v, i) => { if (v) onCpu.set(v, outs[i]!); });
          }
        }
        if (keepOnGpu) {
          return Promise.all(g.outputs.map(async (v) => {
            const d = onGpu.get(v);
            return d && !d.host ? new GpuResidentTensor(device, d) : cpu(v);
          }));
        }
        // one submit for every output's readback
        const pending = g.outputs.filter((v) => !v.const && !onCpu.has(v) && onGpu.has(v));
        const got = await device.downloadMany(pending.map((v) => onGpu.get(v)!));
        pending.forEach((v, i) => onCpu.set(v, got[i]!));
        const results: RunValue[] = [];
        for (const v of g.outputs) results.push(await cpu(v));
        return results;
      } finally {
        for (const t of temps) device.release(t);
      }
  };
  return {
    device,
    fallbacks,
    run: async (feeds: Tensor[]) => tensorsOnly(await runValues(feeds), g.outputs),
    runValues,
    async release() {
      if (released) return;
      released = true;
      for (const t of resident.values()) device.release(t);
      resident.clear();
      await control.release();
      await own.done();
    },
  };
}

class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  prepare(graph: Graph, options: BackendOptions): Promise<PreparedModel> {
    return prepareWebGpu(graph, options as WebGpuBackendOptions);
  }
}

registerBackend('webgpu', async () => new WebGpuBackend());
