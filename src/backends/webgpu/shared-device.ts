// What WebGPU sessions share: one device per adapter choice (so GPU tensors move between sessions
// without a copy), and the session output that stays on the GPU (GpuResidentTensor). The 'webgpu'
// backend itself is a single-device plan (src/runtime/backends/webgpu.ts).

import { allocTyped } from '../../ir/dtype.js';
import { Tensor } from '../../ir/tensor.js';
import { WebGpuDevice, type WebGpuOptions } from './device.js';
import type { GpuTensor } from './tensor.js';
import './calibrate.js';

/** A session output that stayed on the GPU: `location === 'gpu'`, `await getData()` downloads it. */
export class GpuResidentTensor extends Tensor {
  private cached?: Tensor;
  constructor(
    readonly device: WebGpuDevice,
    readonly gpuTensor: GpuTensor,
  ) {
    super(gpuTensor.type, allocTyped(gpuTensor.type, 0), [0]);
    this.location = 'gpu';
    Object.defineProperty(this, 'dims', { value: Object.freeze([...gpuTensor.dims]), enumerable: true });
    Object.defineProperty(this, 'data', {
      enumerable: true,
      get: () => {
        if (this.cached) return this.cached.data;
        throw new Error(
          `tensor ${gpuTensor.type}[${gpuTensor.dims.join(',')}] is on the GPU: await tensor.getData() first`,
        );
      },
    });
  }

  override get size(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }

  /** The GPU buffer(s) holding the data. */
  get gpuBuffer(): GPUBuffer | undefined {
    return this.gpuTensor.storage?.buffers[0];
  }

  async getData(): Promise<Tensor['data']> {
    if (!this.cached) this.cached = await this.device.download(this.gpuTensor);
    return this.cached.data;
  }

  dispose(): void {
    this.device.release(this.gpuTensor);
  }
}

const shared = new Map<
  string,
  { device: Promise<WebGpuDevice>; users: number; idle?: ReturnType<typeof setTimeout> }
>();

/**
 * How long a shared device nobody uses any more is kept, with its compiled pipelines, for the next
 * session on the same adapter (a cold start then compiles nothing already compiled). The timer
 * does not keep the process alive. 0: dispose at once (SWITCHYARD_SHARED_DEVICE_IDLE_MS sets it).
 */
let idleMs = Number(globalThis.process?.env?.SWITCHYARD_SHARED_DEVICE_IDLE_MS ?? 60_000);
export function setSharedDeviceIdleMs(ms: number): void {
  idleMs = ms;
}

/** Dispose the shared devices no session holds now (tests, memory pressure). */
export async function disposeIdleSharedDevices(): Promise<void> {
  for (const [key, e] of [...shared]) {
    if (e.users > 0) continue;
    if (e.idle) clearTimeout(e.idle);
    shared.delete(key);
    await (await e.device).dispose();
  }
}

/** One device per adapter choice and precision, shared by sessions (so GPU tensors move between them). */
export async function sharedDevice(o: WebGpuOptions): Promise<{ device: WebGpuDevice; done(): Promise<void> }> {
  const key = JSON.stringify([
    o.adapter ?? 'default',
    o.powerPreference ?? '',
    o.precision ?? 'f32',
    o.limitOverrides ?? {},
  ]);
  let e = shared.get(key);
  if (!e) {
    e = { device: WebGpuDevice.create(o), users: 0 };
    shared.set(key, e);
    e.device.catch(() => shared.delete(key));
  }
  if (e.idle) clearTimeout(e.idle);
  e.idle = undefined;
  e.users++;
  const device = await e.device;
  const entry = e;
  let done = false;
  return {
    device,
    async done() {
      if (done) return;
      done = true;
      if (--entry.users > 0) return;
      if (idleMs <= 0) {
        shared.delete(key);
        await device.dispose();
        return;
      }
      // kept for the next session: pooled buffers go now, pipelines and layouts stay
      device.trim();
      entry.idle = setTimeout(() => {
        if (entry.users > 0 || shared.get(key) !== entry) return;
        shared.delete(key);
        void device.dispose();
      }, idleMs);
      (entry.idle as { unref?: () => void }).unref?.();
    },
  };
}
