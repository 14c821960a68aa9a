// The reference interpreter as a Device: it runs any unit (every op has a reference
// implementation), so the runtime can always fall back to it. "Resident" tensors are plain CPU
// tensors; the device keeps count of live tensors and bytes and can be given a memory capacity,
// so code that keeps state on a device (a KV cache) is tested for leaks and for running out of
// memory without a GPU.

import type { Node, Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { evalNodeValues } from '../../ops/evaluate.js';
import { asTensor, type RunValue } from '../../ir/values.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from '../device.js';
import { yieldIfDue } from '../yield.js';

class RefTensor implements DeviceTensor {
  constructor(readonly tensor: Tensor, readonly owner: ReferenceDevice) {}
  get type() { return this.tensor.type; }
  get dims() { return this.tensor.dims; }
}

export interface ReferenceDeviceOptions {
  id?: string;
  /** Bytes of live tensors allowed at once; exceeding it is an out-of-memory error. */
  capacityBytes?: number;
}

export class ReferenceDevice implements Device {
  readonly kind = 'reference' as const;
  readonly id: string;
  /** JavaScript on the main thread. */
  readonly computesOn: string | undefined = 'host-cpu';
  /** See Device.yieldEveryMs. */
  yieldEveryMs?: number;
  private lastYield = 0;
  readonly capacityBytes?: number;
  private readonly live = new Set<RefTensor>();
  private liveBytes = 0;

  constructor(opts: string | ReferenceDeviceOptions = {}) {
    const o = typeof opts === 'string' ? { id: opts } : opts;
    this.id = o.id ?? 'cpu';
    this.capacityBytes = o.capacityBytes;
  }

  get liveTensors(): number { return this.live.size; }
  get bytesInUse(): number { return this.liveBytes; }

  supports(_node: Node): true { return true; }

  async compile(unit: Unit): Promise<CompiledUnit> { return { unit }; }

  private adopt(t: Tensor): RefTensor {
    if (this.capacityBytes !== undefined && this.liveBytes + t.byteLength > this.capacityBytes) {
      throw new Error(`device '${this.id}' is out of memory: ${this.liveBytes} bytes in use + ${t.byteLength} requested > capacity ${this.capacityBytes}`);
    }
    const r = new RefTensor(t, this);
    this.live.add(r);
    this.liveBytes += t.byteLength;
    return r;
  }

  private own(t: DeviceTensor): Tensor {
    if (!(t instanceof RefTensor)) throw new Error(`device '${this.id}' was given a tensor that lives elsewhere`);
    if (t.owner === this && !this.live.has(t)) throw new Error(`device '${this.id}' was given a released tensor`);
    return t.tensor;
  }

  async run(compiled: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    const { unit } = compiled;
    // inside a unit, values may be sequences or optionals; what leaves it is a tensor
    const env = new Map<Value, RunValue>(unit.inputs.map((v, i) => [v, this.own(inputs[i]!)]));
    const read = (v: Node['inputs'][number]) => (v ? v.const ?? env.get(v) : undefined);
    for (const n of unit.nodes) {
      this.lastYield = await yieldIfDue(this.yieldEveryMs, this.lastYield);
      const outs = evalNodeValues(n, n.inputs.map(read));
      n.outputs.forEach((o, i) => { if (o) env.set(o, outs[i]!); });
    }
    return unit.outputs.map((v) => this.adopt(v.const ?? asTensor(env.get(v), v.name)));
  }

  async upload(t: Tensor): Promise<DeviceTensor> { return this.adopt(t); }
  async download(t: DeviceTensor): Promise<Tensor> { return this.own(t); }

  release(t: DeviceTensor): void {
    const r = t as RefTensor;
    if (this.live.delete(r)) this.liveBytes -= r.tensor.byteLength;
  }

  async dispose(): Promise<void> {
    this.live.clear();
    this.liveBytes = 0;
  }
}
