// The errors the WebGPU device throws: a lost device (the runtime may move the work elsewhere) and
// a compile-time refusal that names the limit a kernel would exceed.

import { DeviceError } from '../device.js';

/** The GPU device went away (driver reset, device.destroy()): a DeviceError, so the runtime can move the work. */
export class DeviceLostError extends DeviceError {
  constructor(message: string, device = 'webgpu') {
    super(message, device);
    this.name = 'DeviceLostError';
  }
}

/** A refusal at compile time: the node, the tensor, its size and the limit it exceeds. */
export class LimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimitError';
  }
}

export function lostMessage(info: GPUDeviceLostInfo, what: string): string {
  const why = `${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''}`;
  return `WebGPU device lost during ${what} (${why}); the next run opens a fresh device`;
}

export const GPU_INT64_NOTE = 'WGSL has no 64-bit integers';
