// Slice: a gather whose source coordinates are start + step * c per sliced axis.

import { normAxis } from '../../../ir/shape.js';
import { sliceAxis } from '../../../ops/slice.js';
import { registerKernels } from '../kernel.js';
import { gatherPlan, ints } from './lib/copy.js';

registerKernels({
  ops: ['nn.Slice'],
  int64Inputs: [1, 2, 3, 4],
  hostInputs: () => [1, 2, 3, 4],
  plan(a) {
    const x = a.ins[0]!;
    const r = x.dims.length;
    const starts = ints(a.ins[1]?.host)!,
      ends = ints(a.ins[2]?.host)!;
    const axes = (ints(a.ins[3]?.host) ?? starts.map((_, i) => i)).map((v) => normAxis(v, r, 'axes entry'));
    const steps = ints(a.ins[4]?.host) ?? starts.map(() => 1);
    const begin = new Array<number>(r).fill(0),
      step = new Array<number>(r).fill(1);
    axes.forEach((ax, i) => {
      const s = sliceAxis(x.dims[ax]!, starts[i]!, ends[i]!, steps[i]!);
      begin[ax] = s.start;
      step[ax] = steps[i]!;
    });
    return gatherPlan(a, 'slice', (k, p) => `u32(${p.i(begin[k]!)} + i32(c${k}) * ${p.i(step[k]!)})`);
  },
});
