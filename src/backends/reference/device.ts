// The reference interpreter as a Device: it runs any unit (every op has a reference
// implementation), so the runtime can always fall back to it. "Resident" tensors are plain CPU
// tensors; the device keeps count of live tensors and bytes and can be given a memory capacity,
// so code that keeps state on a device (a KV cache) is tested for leaks and for running out of
// memory without a GPU.

import { dtypeBytes } from '../../ir/dtype.js';
import type { Node, Value } from '../../ir/graph.js';
import { nodeError } from '../../ir/infer.js';
import { Tensor } from '../../ir/tensor.js';
import { asTensor, type RunValue, TensorSequence } from '../../ir/values.js';
import { evalNodeValues } from '../../ops/evaluate.js';
import { checkValue } from '../../ops/subgraph.js';
import { type CompiledUnit, checkRowWrite, type Device, type DeviceTensor, type Unit } from '../device.js';
import { yieldIfDue } from '../yield.js';

/** A value held by the reference device: a tensor, or (host-only) a sequence or optional. */
class RefTensor implements DeviceTensor {
  constructor(
    readonly value: RunValue,
    readonly owner: ReferenceDevice,
  ) {}
  get type() {
    return this.value instanceof Tensor ? this.value.type : elemDType(this.value);
  }
  /** A sequence or optional has no dims of its own: [] */
  get dims(): readonly number[] {
    return this.value instanceof Tensor ? this.value.dims : [];
  }
  get byteLength(): number {
    return valueBytes(this.value);
  }
}

function elemDType(v: RunValue): Tensor['type'] {
  if (v instanceof Tensor) return v.type;
  if (v instanceof TensorSequence) return v.elemType;
  return v.type.dtype;
}

function valueBytes(v: RunValue | undefined): number {
  if (v === undefined) return 0;
  if (v instanceof Tensor) return v.byteLength;
  if (v instanceof TensorSequence) return v.items.reduce((a, t) => a + t.byteLength, 0);
  return valueBytes(v.value);
}

/** Nodes the device hands to someone else (control flow whose bodies run on a kernel device). */
export interface NodeDelegate {
  handles(node: Node): boolean;
  run(node: Node, inputs: (RunValue | undefined)[]): Promise<RunValue[]>;
}

export interface ReferenceDeviceOptions {
  id?: string;
  /** Bytes of live tensors allowed at once; exceeding it is an out-of-memory error. */
  capacityBytes?: number;
  /** Check every result against its node's shape/type rule (the 'reference' backend, an oracle). */
  checkResults?: boolean;
  delegate?: NodeDelegate;
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
    this.checkResults = o.checkResults ?? false;
    this.delegate = o.delegate;
  }
  private readonly checkResults: boolean;
  private readonly delegate?: NodeDelegate;

  get liveTensors(): number {
    return this.live.size;
  }
  get bytesInUse(): number {
    return this.liveBytes;
  }

  supports(_node: Node): true {
    return true;
  }

  async compile(unit: Unit): Promise<CompiledUnit> {
    return { unit };
  }

  private adopt(t: RunValue): RefTensor {
    const r = new RefTensor(t, this);
    if (this.capacityBytes !== undefined && this.liveBytes + r.byteLength > this.capacityBytes) {
      throw new Error(
        `device '${this.id}' is out of memory: ${this.liveBytes} bytes in use + ${r.byteLength} requested > capacity ` +
          `${this.capacityBytes}`,
      );
    }
    this.live.add(r);
    this.liveBytes += r.byteLength;
    return r;
  }

  private own(t: DeviceTensor): RunValue {
    if (!(t instanceof RefTensor)) throw new Error(`device '${this.id}' was given a tensor that lives elsewhere`);
    if (t.owner === this && !this.live.has(t)) throw new Error(`device '${this.id}' was given a released tensor`);
    return t.value;
  }

  async run(compiled: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    const { unit } = compiled;
    // values may be sequences or optionals: they stay on this (host) device
    const env = new Map<Value, RunValue>(unit.inputs.map((v, i) => [v, this.own(inputs[i]!)]));
    const read = (v: Node['inputs'][number]) => (v ? (v.const ?? env.get(v)) : undefined);
    for (const n of unit.nodes) {
      this.lastYield = await yieldIfDue(this.yieldEveryMs, this.lastYield);
      const ins = n.inputs.map(read);
      const outs = this.delegate?.handles(n) ? await this.delegate.run(n, ins) : evalNodeValues(n, ins);
      n.outputs.forEach((o, i) => {
        if (!o) return;
        const x = outs[i];
        if (x === undefined) throw nodeError(n, new Error(`produced no value for output #${i} '${o.name}'`));
        if (this.checkResults) checkValue(n, o, x);
        env.set(o, x);
      });
    }
    return unit.outputs.map((v) => this.adopt(v.const ?? env.get(v)!));
  }

  async upload(t: Tensor): Promise<DeviceTensor> {
    return this.adopt(t);
  }
  async download(t: DeviceTensor): Promise<Tensor> {
    return asTensor(this.own(t), 'download');
  }
  /** See Device.writeRows: the target's CPU data is written in place. */
  async writeRows(target: DeviceTensor, rows: ArrayLike<number>, source: DeviceTensor): Promise<void> {
    const t = asTensor(this.own(target), 'writeRows'),
      s = asTensor(this.own(source), 'writeRows');
    const w = checkRowWrite(t, rows, s) / dtypeBytes(t.type);
    const dst = t.data as Float32Array,
      src = s.data as Float32Array;
    for (let i = 0; i < rows.length; i++) {
      // numeric data is a typed array (set and subarray); strings and the like are plain arrays
      if (ArrayBuffer.isView(dst)) dst.set(src.subarray(i * w, (i + 1) * w), rows[i]! * w);
      else for (let j = 0; j < w; j++) (dst as unknown[])[rows[i]! * w + j] = src[i * w + j];
    }
  }
  /** The host keeps sequences and optionals too: upload and download them as they are. */
  async uploadValue(v: RunValue): Promise<DeviceTensor> {
    return this.adopt(v);
  }
  async downloadValue(t: DeviceTensor): Promise<RunValue> {
    return this.own(t);
  }

  release(t: DeviceTensor): void {
    const r = t as RefTensor;
    if (this.live.delete(r)) this.liveBytes -= r.byteLength;
  }

  async dispose(): Promise<void> {
    this.live.clear();
    this.liveBytes = 0;
  }
}
