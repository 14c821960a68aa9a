// Gather and GatherElements: index tensors bound as inputs, negative indices wrapped.

import type { AttrReader } from '../../../ir/attributes.js';
import { normAxis } from '../../../ir/shape.js';
import { registerKernels } from '../kernel.js';
import { strides } from '../wgsl.js';
import { gatherPlan } from './lib/copy.js';

function axisOf(attrs: AttrReader, r: number): number {
  return normAxis(attrs.int('axis', 0), r);
}

registerKernels({
  ops: ['nn.Gather'],
  int64Inputs: [1],
  plan(a) {
    const x = a.ins[0]!,
      ind = a.ins[1]!,
      _y = a.outs[0]!;
    const axis = axisOf(a.attrs, x.dims.length);
    const q = ind.dims.length;
    const n = x.dims[axis]!;
    // output coords: [x dims before axis][indices dims][x dims after axis]
    const ist = strides(ind.dims);
    const idxOff =
      ind.dims.map((_, k) => (ist[k] === 1 ? `c${axis + k}` : `c${axis + k} * ${ist[k]}u`)).join(' + ') || '0u';
    const pre = [
      `    var g = i32(ind(${idxOff})); if (g < 0) { g = g + ${n}i; } g = clamp(g, 0i, ${Math.max(0, n - 1)}i);`,
    ];
    return gatherPlan(a, (k) => (k < axis ? `c${k}` : k === axis ? 'u32(g)' : `c${k + q - 1}`), {
      preamble: pre,
      extraIns: [{ name: 'ind', idx: 1 }],
    });
  },
});

registerKernels({
  ops: ['nn.GatherElements'],
  int64Inputs: [1],
  plan(a) {
    const x = a.ins[0]!;
    const axis = axisOf(a.attrs, x.dims.length);
    const n = x.dims[axis]!;
    const pre = [`    var g = i32(ind(i)); if (g < 0) { g = g + ${n}i; } g = clamp(g, 0i, ${Math.max(0, n - 1)}i);`];
    return gatherPlan(a, (k) => (k === axis ? 'u32(g)' : `c${k}`), {
      preamble: pre,
      extraIns: [{ name: 'ind', idx: 1 }],
    });
  },
});
