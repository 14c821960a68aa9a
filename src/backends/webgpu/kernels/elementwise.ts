// Elementwise family's kernel-level op: k.map (fused elementwise chains from the lowering and
// fusion passes) on the shared elementwise template, its expression tree generated as WGSL.

// for kernel files that build on the elementwise template

import { exprOf } from '../../../ops/kernel/elementwise.js';
import { registerKernels } from '../kernel.js';
import { planElementwise } from './lib/elementwise.js';
import { exprToWgsl, storeF32 } from './lib/expr.js';

export { convert, planElementwise, sameDims, storeRule } from './lib/elementwise.js';

registerKernels({
  ops: ['k.map'],
  plan(a) {
    const e = exprOf(a.attrs.string('expr'));
    const outDt = a.outs[0]!.dtype;
    return planElementwise(a, (args, w) => {
      const ins = args.map((x) => (x ? (x.w === 'f32' ? x.code : `f32(${x.code})`) : '0.0'));
      const { lines, result } = exprToWgsl(e, ins);
      return { pre: lines, expr: storeF32(result, outDt, w) };
    });
  },
});
