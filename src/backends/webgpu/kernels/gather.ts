// Gather and GatherElements: index tensors bound as inputs, negative indices wrapped.

import type { AttrReader } from '../../../ir/attributes.js';
import { normAxis } from '../../../ir/shape.js';
import { registerKernels } from '../kernel.js';
import type { Params } from '../variant.js';
import { strides } from '../wgsl.js';
import { gatherPlan } from './lib/copy.js';
import { offsetParams } from './lib/index-math.js';

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
    const pre = (p: Params) => {
      const idxOff = offsetParams(
        ind.dims.map((_, k) => `c${axis + k}`),
        ist,
        p,
      );
      const nP = p.i(n),
        lastP = p.i(Math.max(0, n - 1));
      return [`    var g = i32(ind(${idxOff})); if (g < 0) { g = g + ${nP}; } g = clamp(g, 0i, ${lastP});`];
    };
    return gatherPlan(a, 'gather', (k) => (k < axis ? `c${k}` : k === axis ? 'u32(g)' : `c${k + q - 1}`), {
      preamble: pre,
      extraIns: [{ name: 'ind', idx: 1 }],
      key: { axis },
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
    const pre = (p: Params) => [
      `    var g = i32(ind(i)); if (g < 0) { g = g + ${p.i(n)}; } g = clamp(g, 0i, ${p.i(Math.max(0, n - 1))});`,
    ];
    return gatherPlan(a, 'gather', (k) => (k === axis ? 'u32(g)' : `c${k}`), {
      preamble: pre,
      extraIns: [{ name: 'ind', idx: 1 }],
      key: { axis },
    });
  },
});
