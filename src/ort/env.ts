// onnxruntime-web's `env`: the settings an app sets before creating sessions. env.wasm.numThreads
// becomes the WASM backend's thread count, env.wasm.wasmPaths its kernel URL base; env.webgpu's
// powerPreference (and Switchyard's own `adapter` name) pick the adapter, and env.webgpu.device is
// the GPUDevice Switchyard's WebGPU sessions share (so apps can make GPU buffers on it).

import { setWasmBase } from '../backends/wasm/loader.js';
import { sharedDevice } from '../backends/webgpu/backend.js';

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

const wasm: WasmEnv = {};
let wasmPaths: WasmEnv['wasmPaths'];
Object.defineProperty(wasm, 'wasmPaths', {
  enumerable: true,
  get: () => wasmPaths,
  set: (v: WasmEnv['wasmPaths']) => {
    wasmPaths = v;
    const base = typeof v === 'string' ? v : v?.wasm ? new URL('.', v.wasm.toString()).toString() : undefined;
    if (base) setWasmBase(base);
  },
});

export const env = {
  wasm,
  webgpu: { get device() { return webgpuDevice(); } } as WebGpuEnv,
  logLevel: 'warning' as 'verbose' | 'info' | 'warning' | 'error' | 'fatal',
  debug: false,
  versions: { common: '1.30.0', web: 'switchyard' } as Record<string, string>,
};
