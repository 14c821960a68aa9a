// The KV cache: per layer a key and a value tensor [1, kv_heads, capacity, head_dim], resident on
// the device that runs the next step. Positions [0, length) are filled. Moving it to another
// device (Splitwise: prefill on one, decode on another) downloads and uploads every layer; a
// failure at any point frees what was allocated, so a run never leaks a half-filled cache.

import type { Device, DeviceTensor } from '../../backends/device.js';
import { Tensor } from '../../ir/tensor.js';
import { kvCacheBytes, type LlmConfig } from './config.js';

export const formatBytes = (b: number): string =>
  b >= 2 ** 30
    ? `${(b / 2 ** 30).toFixed(2)} GiB`
    : b >= 2 ** 20
      ? `${(b / 2 ** 20).toFixed(1)} MiB`
      : b >= 1024
        ? `${(b / 1024).toFixed(1)} KiB`
        : `${b} B`;
const MiB = formatBytes;

/** Memory a device says it has, when it says (reference devices with a capacity, profiled devices). */
export function deviceMemoryBytes(device: Device): number | undefined {
  const d = device as Device & { capacityBytes?: number; memoryBytes?: number; profile?: { memoryBytes?: number } };
  return d.capacityBytes ?? d.memoryBytes ?? d.profile?.memoryBytes;
}

export class KvCache {
  length = 0;
  private constructor(
    public device: Device,
    readonly config: LlmConfig,
    readonly capacity: number,
    /** [k0, v0, k1, v1, …] */
    public tensors: DeviceTensor[],
  ) {}

  get bytes(): number {
    return kvCacheBytes(this.config, this.capacity);
  }

  /**
   * Allocate an empty cache, after checking that it fits beside `otherBytes` (the weights) in what
   * the device reports; `owner` names the node for errors.
   */
  static async allocate(
    device: Device,
    c: LlmConfig,
    capacity: number,
    owner: string,
    otherBytes = 0,
    limitBytes = deviceMemoryBytes(device),
  ): Promise<KvCache> {
    const bytes = kvCacheBytes(c, capacity);
    if (limitBytes !== undefined && bytes + otherBytes > limitBytes) {
      throw new Error(
        `${owner}: the KV cache for ${capacity} positions needs ${MiB(bytes)} (${c.numLayers} layers × ` +
          `key+value × ${c.numKvHeads} heads × ${c.headDim} × 4 B per position), but device '${device.id}' has ` +
          `${MiB(limitBytes)} and the weights take ${MiB(otherBytes)}; lower the context (capacity) or place the ` +
          `node on a larger device`,
      );
    }
    const zero = Tensor.zeros('float32', [1, c.numKvHeads, capacity, c.headDim]);
    const tensors: DeviceTensor[] = [];
    try {
      for (let i = 0; i < 2 * c.numLayers; i++) tensors.push(await device.upload(zero));
    } catch (e) {
      for (const t of tensors) device.release(t);
      throw new Error(
        `${owner}: could not allocate the KV cache (${MiB(bytes)}) on device '${device.id}': ${(e as Error).message}`,
      );
    }
    return new KvCache(device, c, capacity, tensors);
  }

  /** Take the step's present tensors as the new cache, freeing the old ones. */
  replace(presents: DeviceTensor[], added: number): void {
    for (const t of this.tensors) this.device.release(t);
    this.tensors = presents;
    this.length += added;
  }

  /** Move every layer to `target`; the source copies are freed once all have arrived. */
  async transferTo(target: Device): Promise<number> {
    if (target === this.device) return 0;
    const moved: DeviceTensor[] = [];
    let bytes = 0;
    try {
      for (const t of this.tensors) {
        const host = await this.device.download(t);
        bytes += host.byteLength;
        moved.push(await target.upload(host));
      }
    } catch (e) {
      for (const t of moved) target.release(t);
      throw new Error(`moving the KV cache from '${this.device.id}' to '${target.id}' failed: ${(e as Error).message}`);
    }
    for (const t of this.tensors) this.device.release(t);
    this.tensors = moved;
    this.device = target;
    return bytes;
  }

  /** Positions [0, n) of every layer, [kv_heads, n, head_dim] each (a KV hand-off). */
  async exportRows(n: number): Promise<Float32Array[]> {
    const { numKvHeads: H, headDim: D } = this.config,
      C = this.capacity;
    const out: Float32Array[] = [];
    for (const t of this.tensors) {
      const all = (await this.device.download(t)).data as Float32Array;
      const rows = new Float32Array(H * n * D);
      for (let h = 0; h < H; h++) rows.set(all.subarray(h * C * D, h * C * D + n * D), h * n * D);
      out.push(rows);
    }
    return out;
  }

  /** Fill positions [0, n) from exported rows (the cache must be empty). */
  async importRows(layers: Float32Array[], n: number): Promise<void> {
    const { numKvHeads: H, headDim: D } = this.config,
      C = this.capacity;
    if (layers.length !== this.tensors.length)
      throw new Error(`KV import: ${layers.length} tensors for a cache of ${this.tensors.length}`);
    if (n > C) throw new Error(`KV import: ${n} positions do not fit a cache of ${C}`);
    const next: DeviceTensor[] = [];
    try {
      for (const rows of layers) {
        const full = new Float32Array(H * C * D);
        for (let h = 0; h < H; h++) full.set(rows.subarray(h * n * D, (h + 1) * n * D), h * C * D);
        next.push(await this.device.upload(new Tensor('float32', full, [1, H, C, D])));
      }
    } catch (e) {
      for (const t of next) this.device.release(t);
      throw e;
    }
    this.replace(next, n);
  }

  release(): void {
    for (const t of this.tensors) this.device.release(t);
    this.tensors = [];
    this.length = 0;
  }
}
