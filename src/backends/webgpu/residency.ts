// Where tensors live on the current GPU device: storage from the pool, lazy uploads of host
// values, and the units' constants (weights) kept resident per GPU device, so a fresh device
// after a loss uploads them again from their host copy.

import type { Value } from '../../ir/graph.js';
import type { GpuCounters } from './counters.js';
import { DeviceLostError } from './errors.js';
import type { Gpu } from './open-device.js';
import { allocStorage, releaseStorage, uploadHost } from './storage.js';
import { GpuTensor, type Storage } from './tensor.js';
import type { Layout } from './wgsl.js';

export class Residency {
  private consts = new WeakMap<Gpu, Map<Value, GpuTensor>>();

  constructor(
    /** The current GPU device (a new one after a loss). */
    private readonly gpu: () => Gpu,
    private readonly counters: GpuCounters,
    private readonly deviceId: string,
  ) {}

  allocStorage(l: Layout): Storage {
    return allocStorage(this.gpu(), l);
  }

  releaseStorage(s: Storage, deferred = false): void {
    releaseStorage(this.gpu(), s, deferred);
  }

  releaseTensor(t: GpuTensor, deferred = false): void {
    if (t.storage) this.releaseStorage(t.storage, deferred);
    t.storage = undefined;
  }

  /** Make sure a tensor has GPU storage on the current device (lazy upload of host values). */
  ensureStorage(t: GpuTensor): void {
    const g = this.gpu();
    if (t.storage && t.storage.epoch === g.epoch) return;
    if (!t.host) throw this.goneError(t);
    t.storage = uploadHost(g, t);
    this.counters.uploads++;
  }

  goneError(t: GpuTensor): DeviceLostError {
    const what = `tensor '${t.name}' ${t.type}[${t.dims.join(',')}]`;
    return new DeviceLostError(
      `${what} was on a WebGPU device that has been lost; run again to recompute it`,
      this.deviceId,
    );
  }

  /** A unit's constant (weights): uploaded on first use and kept for every later run. */
  residentConst(v: Value): GpuTensor {
    const g = this.gpu();
    let m = this.consts.get(g);
    if (!m) this.consts.set(g, (m = new Map()));
    let t = m.get(v);
    if (!t) {
      const c = v.const!;
      t = new GpuTensor(c.type, c.dims, undefined, c, v.name);
      if (c.size > 64) this.ensureStorage(t);
      m.set(v, t);
    }
    return t;
  }
}
