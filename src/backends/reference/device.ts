// The reference interpreter as a Device: it runs any unit (every op has a reference
// implementation), so the runtime can always fall back to it.

import type { Node } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { evalNode } from '../../ops/evaluate.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from '../device.js';

interface RefTensor extends DeviceTensor { tensor: Tensor }

export class ReferenceDevice implements Device {
  readonly kind = 'reference' as const;
  constructor(readonly id = 'cpu') {}

  supports(_node: Node): true { return true; }

  async compile(unit: Unit): Promise<CompiledUnit> { return { unit }; }

  async run(compiled: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    const { unit } = compiled;
    const env = new Map(unit.inputs.map((v, i) => [v, (inputs[i] as RefTensor).tensor]));
    const read = (v: Node['inputs'][number]) => (v ? v.const ?? env.get(v) : undefined);
    for (const n of unit.nodes) {
      const outs = evalNode(n, n.inputs.map(read));
      n.outputs.forEach((o, i) => { if (o) env.set(o, outs[i]!); });
    }
    return unit.outputs.map((v) => wrap(v.const ?? env.get(v)!));
  }

  async upload(t: Tensor): Promise<DeviceTensor> { return wrap(t); }
  async download(t: DeviceTensor): Promise<Tensor> { return (t as RefTensor).tensor; }
  release(): void {}
  async dispose(): Promise<void> {}
}

const wrap = (tensor: Tensor): RefTensor => ({ type: tensor.type, dims: tensor.dims, tensor });
