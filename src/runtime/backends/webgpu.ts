// backend: 'webgpu' — the graph on one WebGPU device (shared by the sessions that pick the same
// adapter), nodes it lacks on the host's reference interpreter (recorded, e.g. int64 arithmetic).
// Constants are uploaded once and stay on the GPU; feeds may be GPU tensors of another session on
// the same device; outputs come back in one readback, or stay on the GPU with
// `preferredOutputLocation: 'gpu'`. After a device loss the next run uses a fresh device.
import type { WebGpuDevice, WebGpuOptions } from '../../backends/webgpu/device.js';
import { GpuResidentTensor, sharedDevice } from '../../backends/webgpu/shared-device.js';
import type { GpuTensor } from '../../backends/webgpu/tensor.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { type RunValue, tensorsOnly } from '../../ir/values.js';
import { runPipeline } from '../../passes/index.js';
import type { Backend, BackendOptions, PreparedModel } from '../backend.js';
import type { Feed } from '../executor.js';
import { prepareOnDevice } from '../single-device.js';
import { WEBGPU_KERNEL_PASSES as KERNEL_PASSES } from './kernel-passes.js';

export interface WebGpuBackendOptions extends BackendOptions, WebGpuOptions {
  /** 'gpu' keeps outputs on the GPU (Tensor.location === 'gpu'); download with getData(). */
  preferredOutputLocation?: 'cpu' | 'gpu';
  /** Skip the shared lowering/fusion passes (lower, fuse-elementwise, fuse-epilogue): nn.* kernels only. */
  kernelPasses?: boolean;
  /** A device to run on (shared between sessions); default: one per adapter choice, shared. */
  device?: WebGpuDevice;
}

export const webgpuBackend: Backend = {
  name: 'webgpu',
  passes: (o) => ((o as WebGpuBackendOptions).kernelPasses === false || o.passes ? [] : [...KERNEL_PASSES]),
  async prepare(graph, options) {
    const o = options as WebGpuBackendOptions;
    const own = o.device ? { device: o.device, done: async () => {} } : await sharedDevice(o);
    const device = own.device;
    let prepared;
    try {
      // control flow: the loop on the host, each body prepared on this same GPU device
      const prepareBody = async (body: Graph): Promise<PreparedModel> => {
        runPipeline(body, [...KERNEL_PASSES]);
        return prepareOnDevice(body, device, { ownsDevice: false, prepareBody });
      };
      prepared = await prepareOnDevice(graph, device, { prepareBody, ownsDevice: false });
    } catch (e) {
      await own.done();
      throw e;
    }
    if (o.precision === 'f16' && !device.f16) {
      prepared.fallbacks!.set('precision f16', `adapter ${device.name} has no shader-f16: float kernels run in f32`);
    }
    const keepOnGpu = o.preferredOutputLocation === 'gpu';
    let released = false;
    const fedOf = (feeds: RunValue[]): Feed[] =>
      feeds.map((f) => {
        if (!(f instanceof GpuResidentTensor)) return f;
        if (f.device !== device) throw new Error(`an input tensor is on another GPU device; download it first`);
        return { device: device.id, tensor: f.gpuTensor };
      });
    return {
      device,
      fallbacks: prepared.fallbacks,
      placement: prepared.placement,
      async run(feeds: Tensor[]): Promise<Tensor[]> {
        if (released) throw new Error('session has been released');
        const fed = fedOf(feeds);
        if (!keepOnGpu) return tensorsOnly((await prepared.executor.run(fed)).outputs, graph.outputs);
        const outs = (await prepared.executor.run(fed, { keepOn: device.id })).outputs as GpuTensor[];
        return Promise.all(
          outs.map(async (t) => {
            if (!t.host) return new GpuResidentTensor(device, t);
            const cpu = await device.download(t);
            device.release(t);
            return cpu;
          }),
        );
      },
      async runValues(feeds: RunValue[]): Promise<RunValue[]> {
        if (released) throw new Error('session has been released');
        return (await prepared.executor.run(fedOf(feeds))).outputs;
      },
      async release() {
        if (released) return;
        released = true;
        await prepared.release();
        await own.done();
      },
    };
  },
};
