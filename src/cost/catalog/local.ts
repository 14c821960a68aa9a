// Default profiles for the devices on this machine before calibration has run: deliberately
// conservative guesses, marked as estimates. `switchyard calibrate` replaces them with measurements.

import { est, fig } from '../figure.js';
import type { DeviceProfile } from '../profile.js';

const GB = 1e9;
const MiB = 2 ** 20;
const US = 1e-6;
const GUESS = 'default before calibration';

/** Plain JavaScript on the main thread (the reference path). */
export const JS_CPU: DeviceProfile = {
  id: 'cpu', name: 'JavaScript CPU (one thread)', kind: 'cpu',
  peakFlops: { f32: est(1e9, GUESS, 'scalar JS loop, ~1 GFLOP/s'), f64: est(1e9, GUESS) },
  memBandwidth: est(5 * GB, GUESS),
  launchOverhead: est(1 * US, GUESS),
  memCapacity: est(4 * GB, GUESS, 'V8 heap and ArrayBuffer limits'),
  link: { bandwidth: fig(Infinity, 'the CPU is the host'), latency: fig(0, 'the CPU is the host') },
  pricePerHour: fig(0, 'local device'),
  origin: 'default',
};

/** WASM SIMD kernels on worker threads. */
export const WASM: DeviceProfile = {
  id: 'wasm', name: 'WASM SIMD on CPU workers', kind: 'wasm',
  peakFlops: { f32: est(20e9, GUESS, '4 workers x 128-bit SIMD'), f64: est(10e9, GUESS) },
  memBandwidth: est(15 * GB, GUESS),
  launchOverhead: est(20 * US, GUESS, 'postMessage / Atomics wake of the worker pool'),
  memCapacity: est(4 * GB, 'wasm32 linear memory limit'),
  maxBindingBytes: est(4 * GB, 'wasm32 linear memory limit'),
  link: { bandwidth: est(10 * GB, GUESS, 'copy into shared linear memory'), latency: est(5 * US, GUESS) },
  pricePerHour: fig(0, 'local device'),
  origin: 'default',
};

/** A WebGPU adapter (browser or Dawn): an integrated-class GPU by default. */
export const WEBGPU: DeviceProfile = {
  id: 'webgpu', name: 'WebGPU adapter', kind: 'webgpu',
  peakFlops: { f32: est(2e12, GUESS, 'integrated-class GPU'), f16: est(4e12, GUESS) },
  memBandwidth: est(100 * GB, GUESS),
  launchOverhead: est(30 * US, GUESS, 'queue.submit and dispatch through Dawn'),
  memCapacity: est(4 * GB, GUESS),
  maxBindingBytes: fig(128 * MiB, 'WebGPU spec default maxStorageBufferBindingSize (128 MiB)'),
  link: { bandwidth: est(8 * GB, GUESS, 'mapAsync / writeBuffer staging'), latency: est(50 * US, GUESS) },
  pricePerHour: fig(0, 'local device'),
  unsupportedDtypes: ['float64'],
  origin: 'default',
};

export const LOCAL: DeviceProfile[] = [JS_CPU, WASM, WEBGPU];
