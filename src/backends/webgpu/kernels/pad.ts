// Pad: constant, edge, reflect and wrap modes as source-coordinate maps of one gather.

import { normAxis } from '../../../ir/shape.js';
import { getter } from '../../../ir/tensor.js';
import { registerKernels } from '../kernel.js';
import type { Params } from '../variant.js';
import { lit } from '../wgsl.js';
import { gatherPlan, ints } from './lib/copy.js';
import { storeRule } from './lib/elementwise.js';

registerKernels({
  ops: ['nn.Pad'],
  int64Inputs: [1, 3],
  hostInputs: () => [1, 2, 3],
  plan(a) {
    const x = a.ins[0]!;
    const r = x.dims.length;
    const mode = a.attrs.string('mode', 'constant');
    const pads = ints(a.ins[1]?.host)!;
    const axes = (ints(a.ins[3]?.host) ?? Array.from({ length: r }, (_, i) => i)).map((v) =>
      normAxis(v, r, 'axes entry'),
    );
    const before = new Array<number>(r).fill(0);
    axes.forEach((ax, i) => {
      before[ax] = pads[i]!;
    });
    const cv = a.ins[2]?.host && a.ins[2].host.size ? Number(getter(a.ins[2].host)(0)) : 0;
    const w = x.layout.wtype;
    const raw = (k: number, p: Params) => `(i32(c${k}) - ${p.i(before[k]!)})`;
    const key = { mode };
    if (mode === 'constant') return gatherPlan(a, 'pad', raw, { pad: storeRule(lit(cv, w), a.outs[0]!.dtype, w), key });
    const src = (k: number, p: Params) => {
      const n = x.dims[k]!;
      if (mode === 'edge') return `u32(clamp(${raw(k, p)}, 0i, ${p.i(n - 1)}))`;
      if (mode === 'wrap') {
        const nP = p.i(n);
        return `u32(((${raw(k, p)} % ${nP}) + ${nP}) % ${nP})`;
      }
      // a period of at least 1, so a dim of size 1 reflects to 0
      return `u32(reflect_i(${raw(k, p)}, ${p.i(n)}, ${p.i(Math.max(1, 2 * (n - 1)))}))`;
    };
    const plan = gatherPlan(a, 'pad', src, { key });
    if (mode === 'reflect') {
      const helper =
        'fn reflect_i(i: i32, n: i32, p: i32) -> i32 { let m = ((i % p) + p) % p; return select(p - m, m, m < n); }';
      for (const d of plan.dispatches) d.code = d.code.replace('@compute', `${helper}\n@compute`);
    }
    return plan;
  },
});
