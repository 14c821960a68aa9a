// Default profiles for the devices on this machine before calibration has run: deliberately
// conservative guesses, marked as estimates. `switchyard calibrate` replaces them with measurements.

import { est, fig } from '../figure.js';
import type { DeviceProfile } from '../profile.js';

const GB = 1e9;
const MiB = 2 ** 20;
const US = 1e-6;
const GUESS = 'default before calibration';
const FIRST = 'first-run default (a 2-core machine under load); scaled by measured first runs';

/** Plain JavaScript on the main thread (the reference path). */
export const JS_CPU: DeviceProfile = {
  id: 'cpu',
  name: 'JavaScript CPU (one thread)',
  kind: 'cpu',
  peakFlops: { f32: est(1e9, GUESS, 'scalar JS loop, ~1 GFLOP/s'), f64: est(1e9, GUESS) },
  // the reference interpreter, measured through its own path (not a tight JS loop): ~30 us per node
  // for a tiny one, and about 1 us per element of an elementwise expression tree on a loaded
  // 2-core machine; a matmul reaches the ~1 GFLOP/s above
  memBandwidth: est(0.5 * GB, GUESS, "the reference interpreter's elementwise kernels (expression trees per element)"),
  launchOverhead: est(30 * US, GUESS, 'the reference interpreter per node: shapes, attributes, allocation'),
  memCapacity: est(4 * GB, GUESS, 'V8 heap and ArrayBuffer limits'),
  link: { bandwidth: fig(Infinity, 'the CPU is the host'), latency: fig(0, 'the CPU is the host') },
  pricePerHour: fig(0, 'local device'),
  firstRun: {
    compiles: 'none',
    compileKernel: fig(0, 'the interpreter compiles nothing'),
    firstUseUnit: est(0.5e-3, FIRST, 'the JIT warming the interpreter'),
    firstUseKernel: est(0.5e-3, FIRST),
  },
  origin: 'default',
};

/** WASM SIMD kernels on worker threads. */
export const WASM: DeviceProfile = {
  id: 'wasm',
  name: 'WASM SIMD on CPU workers',
  kind: 'wasm',
  peakFlops: { f32: est(20e9, GUESS, '4 workers x 128-bit SIMD'), f64: est(10e9, GUESS) },
  memBandwidth: est(15 * GB, GUESS),
  launchOverhead: est(20 * US, GUESS, 'postMessage / Atomics wake of the worker pool'),
  memCapacity: est(4 * GB, 'wasm32 linear memory limit'),
  maxBindingBytes: est(4 * GB, 'wasm32 linear memory limit'),
  link: { bandwidth: est(10 * GB, GUESS, 'copy into shared linear memory'), latency: est(5 * US, GUESS) },
  pricePerHour: fig(0, 'local device'),
  firstRun: {
    compiles: 'elementwise',
    compileKernel: est(6e-3, FIRST, 'WebAssembly.compile of a fused elementwise module, loaded on every worker'),
    firstUseUnit: est(1.5e-3, FIRST, "building the unit's run plan and arena; the baseline tier"),
    firstUseKernel: est(0.3e-3, FIRST),
    packBandwidth: est(1 * GB, FIRST, 'packing constant GEMM operands into panels'),
    processWarmup: est(3e-3, FIRST, "the JIT's first pass over the kernels' glue, the workers' first tasks"),
  },
  origin: 'default',
};

/** A WebGPU adapter (browser or Dawn): an integrated-class GPU by default. */
export const WEBGPU: DeviceProfile = {
  id: 'webgpu',
  name: 'WebGPU adapter',
  kind: 'webgpu',
  peakFlops: { f32: est(2e12, GUESS, 'integrated-class GPU'), f16: est(4e12, GUESS) },
  memBandwidth: est(100 * GB, GUESS),
  launchOverhead: est(30 * US, GUESS, 'queue.submit and dispatch through Dawn'),
  memCapacity: est(4 * GB, GUESS),
  maxBindingBytes: fig(128 * MiB, 'WebGPU spec default maxStorageBufferBindingSize (128 MiB)'),
  link: { bandwidth: est(8 * GB, GUESS, 'mapAsync / writeBuffer staging'), latency: est(50 * US, GUESS) },
  pricePerHour: fig(0, 'local device'),
  unsupportedDtypes: ['float64'],
  firstRun: {
    compiles: 'all',
    compileKernel: est(8e-3, FIRST, 'createComputePipelineAsync per distinct kernel'),
    firstUseUnit: est(1e-3, FIRST, 'first submit and bind groups'),
    firstUseKernel: est(0.2e-3, FIRST),
  },
  origin: 'default',
};

export const LOCAL: DeviceProfile[] = [JS_CPU, WASM, WEBGPU];
