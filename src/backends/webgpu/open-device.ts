// Opening a GPU device on the chosen adapter: the limits the kernels use (the adapter's own,
// requested in full), the optional features (shader-f16 when f16 precision is asked for,
// timestamp-query when profiling is), the buffer pools, the pipeline cache and the kernel context.

import type { DType } from '../../ir/dtype.js';
import { BufferPool } from './buffer-pool.js';
import { BUFFER } from './flags.js';
import { type AdapterChoice, type FoundAdapter, findAdapter, limitsOf } from './gpu.js';
import type { KernelContext } from './kernel.js';
import { PipelineCache } from './pipeline-cache.js';
import { tilesFor } from './tiles.js';
import { KernelTimer } from './timestamps.js';
import { gridFor, type Layout, storageOf, type WType } from './wgsl.js';

export interface OpenOptions extends AdapterChoice {
  precision?: 'f32' | 'f16';
  limitOverrides?: Record<string, number>;
  /** Time every dispatch with timestamp queries where the adapter has `timestamp-query`. */
  profile?: boolean;
}

export interface Gpu {
  device: GPUDevice;
  found: FoundAdapter;
  limits: Record<string, number>;
  features: string[];
  f16: boolean;
  pool: BufferPool;
  staging: BufferPool;
  cache: PipelineCache;
  epoch: number;
  lost?: GPUDeviceLostInfo;
  lostPromise: Promise<GPUDeviceLostInfo>;
  ctx: KernelContext;
  bindGroups: Map<string, GPUBindGroup>;
  /** Uniform parameter buffers by content (see storage.ts paramsBuffer). */
  params: Map<string, GPUBuffer>;
  /** Per-kernel GPU time, when profiling on an adapter with timestamp-query. */
  timer?: KernelTimer;
}

const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
];

export async function openGpu(
  options: OpenOptions,
  epoch: number,
  onError: (message: string) => void,
  onLost: (device: GPUDevice, info: GPUDeviceLostInfo) => void,
): Promise<Gpu> {
  const found = await findAdapter(options);
  const a = found.adapter;
  const al = limitsOf(a.limits);
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) if (al[k] !== undefined) requiredLimits[k] = al[k]!;
  const f16 = a.features.has('shader-f16') && options.precision === 'f16';
  const timestamps = !!options.profile && a.features.has('timestamp-query');
  const requiredFeatures: GPUFeatureName[] = [];
  // shader-f16 and subgroups whenever the adapter has them: kernels that use them say so in
  // their variant line (storage stays f32 unless f16 precision is asked for)
  const shaderF16 = a.features.has('shader-f16');
  const subgroups = a.features.has('subgroups');
  if (shaderF16) requiredFeatures.push('shader-f16');
  if (subgroups) requiredFeatures.push('subgroups' as GPUFeatureName);
  if (timestamps) requiredFeatures.push('timestamp-query');
  const device = await a.requestDevice({ requiredLimits, requiredFeatures });
  const limits = { ...limitsOf(device.limits), ...(options.limitOverrides ?? {}) };
  device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => onError(ev.error.message);
  const lostPromise = device.lost.then((info) => {
    onLost(device, info);
    return info;
  });
  const maxPart = Math.min(limits.maxStorageBufferBindingSize!, limits.maxBufferSize!);
  const tiles = tilesFor(found.info, limits);
  const wg = Math.min(256, limits.maxComputeInvocationsPerWorkgroup ?? 256, limits.maxComputeWorkgroupSizeX ?? 256);
  const storage = (dt: DType): WType => {
    const w = storageOf(dt, f16);
    if (!w) throw new Error(`${dt} has no WGSL storage type`);
    return w;
  };
  const layout = (dt: DType, numel: number): Layout => {
    const wtype = storage(dt);
    const bytes = wtype === 'f16' ? 2 : 4;
    const partElems = Math.max(4, Math.floor(maxPart / bytes / 4) * 4);
    return { wtype, numel, partElems };
  };
  const maxPerDim = limits.maxComputeWorkgroupsPerDimension ?? 65535;
  const grid = (g: number) => gridFor(g, maxPerDim);
  const ctx: KernelContext = { limits, f16, shaderF16, subgroups, wg, tiles, layout, storage, grid };
  const usage = BUFFER.STORAGE | BUFFER.COPY_SRC | BUFFER.COPY_DST;
  return {
    device,
    found,
    limits,
    features: [...a.features].sort(),
    f16,
    pool: new BufferPool(device, usage, maxPart),
    staging: new BufferPool(device, BUFFER.MAP_READ | BUFFER.COPY_DST, limits.maxBufferSize!),
    cache: new PipelineCache(device),
    epoch,
    lostPromise,
    ctx,
    bindGroups: new Map(),
    params: new Map(),
    timer: timestamps ? new KernelTimer(device) : undefined,
  };
}
