// Shape family: reshape-like views alias their input's storage (no copy), Shape and Size are
// answered on the host, Transpose and Expand gather with an index map.

import { Tensor } from '../../../ir/tensor.js';
import { registerKernels } from '../kernel.js';
import { gatherPlan } from './lib/copy.js';

// ---- views: the output is the input's storage with other dims -------------------------------
registerKernels({
  ops: ['nn.Reshape', 'nn.Flatten', 'nn.Squeeze', 'nn.Unsqueeze'],
  int64Inputs: [1],
  hostInputs: (node) => (node.op === 'nn.Flatten' ? [] : [1]),
  plan: () => ({ alias: [0], dispatches: [] }),
});

// ---- host-computed: shapes are known before the kernels run ---------------------------------
registerKernels({
  ops: ['nn.Shape', 'nn.Size'],
  int64Outputs: true,
  int64Inputs: 'all',
  plan(a) {
    const dims = a.ins[0]!.dims;
    if (a.node.op === 'nn.Size')
      return { host: [Tensor.from('int64', [BigInt(dims.reduce((p, q) => p * q, 1))], [])], dispatches: [] };
    const r = dims.length;
    const clampAx = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const start = clampAx(a.attrs.int('start', 0));
    const end = a.attrs.has('end') ? clampAx(a.attrs.int('end')) : r;
    return {
      host: [Tensor.from('int64', dims.slice(start, Math.max(start, end)).map(BigInt), [Math.max(0, end - start)])],
      dispatches: [],
    };
  },
});

registerKernels({
  ops: ['nn.Transpose'],
  plan(a) {
    const r = a.ins[0]!.dims.length;
    const perm = a.attrs.has('perm') ? a.attrs.ints('perm') : Array.from({ length: r }, (_, i) => r - 1 - i);
    const inv = new Array<number>(r);
    perm.forEach((p, k) => {
      inv[p] = k;
    });
    return gatherPlan(a, 'shape', (k) => `c${inv[k]}`, { key: { perm: perm.join('.') } });
  },
});

registerKernels({
  ops: ['nn.Expand'],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    const off = y.dims.length - x.dims.length;
    // a broadcast axis (size 1) reads coordinate 0: c mod 1
    return gatherPlan(a, 'shape', (k, p) => `c${k + off} % ${p.u(x.dims[k]!)}`);
  },
});
