// The reference interpreter as a Device: "resident" tensors are plain CPU tensors, units run node by
// node with the reference ops. It keeps count of live tensors and bytes, and can be given a memory
// capacity, so code that keeps state on a device (a KV cache) is tested for leaks and for running
// out of memory without a GPU.

import type { Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { evalNode } from '../../ops/evaluate.js';
import type { CompiledUnit, Device, DeviceKind, DeviceTensor, Unit } from '../device.js';

class RefTensor implements DeviceTensor {
  constructor(readonly t: Tensor, readonly owner: ReferenceDevice) {}
  get type() { return this.t.type; }
  get dims() { return this.t.dims; }
}

export interface ReferenceDeviceOptions {
  id?: string;
  /** Bytes of live tensors allowed at once; exceeding it is an out-of-memory error. */
  capacityBytes?: number;
}

let counter = 0;

export class ReferenceDevice implements Device {
  readonly id: string;
  readonly kind: DeviceKind = 'reference';
  readonly capacityBytes?: number;
  private readonly live = new Set<RefTensor>();
  private liveBytes = 0;

  constructor(opts: ReferenceDeviceOptions = {}) {
    this.id = opts.id ?? `reference:${counter++}`;
    this.capacityBytes = opts.capacityBytes;
  }

  get liveTensors(): number { return this.live.size; }
  get bytesInUse(): number { return this.liveBytes; }

  supports(): true { return true; }

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

  private own(t: DeviceTensor): RefTensor {
    if (!(t instanceof RefTensor) || t.owner !== this) throw new Error(`device '${this.id}' was given a tensor that lives elsewhere`);
    if (!this.live.has(t)) throw new Error(`device '${this.id}' was given a released tensor`);
    return t;
  }

  async run(cu: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    const env = new Map<Value, Tensor>();
    cu.unit.inputs.forEach((v, i) => env.set(v, this.own(inputs[i]!).t));
    for (const node of cu.unit.nodes) {
      const ins = node.inputs.map((v) => (v ? v.const ?? env.get(v) : undefined));
      const outs = evalNode(node, ins);
      node.outputs.forEach((o, i) => { if (o) env.set(o, outs[i]!); });
    }
    return cu.unit.outputs.map((v) => this.adopt(env.get(v)!));
  }

  async upload(t: Tensor): Promise<DeviceTensor> { return this.adopt(t); }
  async download(t: DeviceTensor): Promise<Tensor> { return this.own(t).t; }

  release(t: DeviceTensor): void {
    const r = t as RefTensor;
    if (this.live.delete(r)) this.liveBytes -= r.t.byteLength;
  }

  async dispose(): Promise<void> {
    this.live.clear();
    this.liveBytes = 0;
  }
}
