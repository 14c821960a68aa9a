// Resize planner: one separable pass per resized axis. The taps (input index and weight per output
// position) come from the reference's own table builder, so every mode and coordinate
// transformation (nearest with its rounding modes, linear, cubic, antialias, exclude_outside,
// tf_crop_and_resize) matches it; the kernel only applies them.

import { numel, stridesOf } from '../../../ir/shape.js';
import { axisTaps, planResize, readAttrs, values } from '../../../ops/resize-taps.js';
import { type OpPlanner, run, type Step, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';
import { stridedStep } from './lib/copy.js';

export const resize: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [x, roiV, scalesV, sizesV] = n.inputs;
  const out = n.outputs[0]!;
  if (!F32(ctx, x) || !F32(ctx, out)) return 'cpu';
  const a = readAttrs(attrsOf(ctx));
  const known = (v: typeof roiV) => (v ? ctx.constOf(v) : undefined);
  if ((scalesV && !known(scalesV)) || (sizesV && !known(sizesV))) return 'cpu';
  const crop = a.transform === 'tf_crop_and_resize';
  if (crop && !known(roiV)) return 'cpu';
  const dims = ctx.dims(x!);
  const { outDims, plans } = planResize(dims, a, values(known(scalesV)), values(known(sizesV)));
  const roi = crop ? values(known(roiV)) : undefined;
  if (numel(outDims) === 0) return () => {};
  const active = plans
    .map((p, i) => ({ p, rs: roi ? roi[i]! : 0, re: roi ? roi[i + plans.length]! : 1 }))
    .filter(({ p, rs, re }) => !(p.outLen === p.inLen && p.scale === 1 && rs === 0 && re === 1));
  if (active.some(({ p }) => p.inLen === 0)) return 'cpu';
  const xs = ctx.slot(x!),
    os = ctx.slot(out);
  if (!active.length) {
    const d = ctx.dims(x!);
    return stridedStep(
      ctx,
      d,
      stridesOf(d),
      stridesOf(d),
      4,
      (P) => P[xs]!,
      (P) => P[os]!,
    );
  }
  const fn = ctx.fn('resize', 'resizeAxis');
  const steps: Step[] = [];
  const cur = [...dims];
  let src = xs;
  active.forEach(({ p, rs, re }, k) => {
    const t = axisTaps(p, a, rs, re);
    const idx = ctx.resident(t.idx);
    const w = ctx.resident(Float32Array.from(t.w));
    let ex = 0;
    if (t.extrapolated) {
      const b = new Int32Array(Math.ceil(t.extrapolated.length / 4));
      new Uint8Array(b.buffer).set(t.extrapolated);
      ex = ctx.resident(b);
    }
    const outer = numel(cur.slice(0, p.axis)),
      inner = numel(cur.slice(p.axis + 1));
    cur[p.axis] = p.outLen;
    const dst = k === active.length - 1 ? os : ctx.slot(ctx.temp([...cur]));
    const s = src;
    steps.push(
      run(ctx, fn, outer * p.outLen * inner * t.n, (P) => [
        outer,
        p.inLen,
        p.outLen,
        inner,
        t.n,
        idx,
        w,
        ex,
        a.extrapolation,
        P[s]!,
        P[dst]!,
      ]),
    );
    src = dst;
  });
  return async (P) => {
    for (const s of steps) await s(P);
  };
};

export const KERNELS: WasmFamily = { planners: { 'nn.Resize': resize }, floatData: ['nn.Resize'] };
