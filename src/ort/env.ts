// onnxruntime-web's `env`: the settings an app sets before creating sessions. env.wasm.numThreads
// becomes the WASM backend's thread count (wasmPaths is kept but unused); env.webgpu's
// powerPreference (and Switchyard's own `adapter` name) pick the adapter, and env.webgpu.device is
// the GPUDevice Switchyard's WebGPU sessions share (so apps can make GPU buffers on it).

import { sharedDevice } from '../backends/webgpu/shared-device.js';

export interface WasmEnv {
  numThreads?: number;
  simd?: boolean;
  proxy?: boolean;
  initTimeout?: number;
  wasmPaths?: string | { wasm?: string | URL; mjs?: string | URL };
}

export interface WebGpuEnv {
  powerPreference?: 'low-power' | 'high-performance';
  /** Switchyard: adapter by name ('swiftshader', 'llvmpipe', a vendor substring). */
  adapterName?: string;
  profiling?: { mode?: 'off' | 'default' };
  forceFallbackAdapter?: boolean;
  validateInputContent?: boolean;
  /** The shared GPUDevice (a promise, as in onnxruntime-web). */
  readonly device: Promise<GPUDevice>;
}

let heldDevice: Promise<GPUDevice> | undefined;

export function webgpuOptions(): { adapter?: string; powerPreference?: 'low-power' | 'high-performance' } {
  return { adapter: env.webgpu.adapterName, powerPreference: env.webgpu.powerPreference };
}

/** The device env.webgpu.device resolves to: held for the process (sessions share it). */
export function webgpuDevice(): Promise<GPUDevice> {
  heldDevice ??= sharedDevice(webgpuOptions()).then((d) => d.device.gpuDevice);
  return heldDevice;
}

// wasmPaths names onnxruntime-web's own binaries, which Switchyard does not load: it is kept for
// apps that read it back; Switchyard's kernels are located by setWasmBase (switchyard's index).
const wasm: WasmEnv = {};

export const env = {
  wasm,
  webgpu: {
    get device() {
      return webgpuDevice();
    },
  } as WebGpuEnv,
  logLevel: 'warning' as 'verbose' | 'info' | 'warning' | 'error' | 'fatal',
  debug: false,
  versions: { common: '1.30.0', switchyard: '0.1.0' } as Record<string, string>,
};
