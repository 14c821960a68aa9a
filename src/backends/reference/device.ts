// The reference interpreter as a Device: tensors stay on the CPU as they are, units run node by node
// with the ops' reference implementations. It is the local device of last resort (the offload
// client falls back to it) and a model for other devices' unit handling.

import type { Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { evalNode } from '../../ops/evaluate.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from '../device.js';

let nextId = 0;

export class ReferenceDevice implements Device {
  readonly kind = 'reference' as const;
  readonly id = `reference:${nextId++}`;

  supports(): true { return true; }

  async compile(unit: Unit): Promise<CompiledUnit> { return { unit }; }

  async run(c: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    const env = new Map<Value, Tensor>();
    c.unit.inputs.forEach((v, i) => env.set(v, inputs[i] as Tensor));
    for (const n of c.unit.nodes) {
      const outs = evalNode(n, n.inputs.map((v) => (v ? v.const ?? env.get(v) : undefined)));
      n.outputs.forEach((v, i) => { if (v) env.set(v, outs[i]!); });
    }
    return c.unit.outputs.map((v) => env.get(v)!);
  }

  async upload(t: Tensor): Promise<DeviceTensor> { return t; }
  async download(t: DeviceTensor): Promise<Tensor> { return t as Tensor; }
  release(): void {}
  async dispose(): Promise<void> {}
}
