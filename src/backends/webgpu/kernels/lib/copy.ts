// The data-movement template (shaders/copy.wgsl): one thread per element, the source index from
// coordinates specialised for the shapes. Shared by the layout families (shape, slice, pad, tile,
// concat-split, gather, rearrange, trilu, onehot) and the scans and quantizers.

import { type Tensor, toIntArray } from '../../../../ir/tensor.js';
import type { Dispatch, KernelContext, NodePlan, PlanArgs, TRef } from '../../kernel.js';
import { fillTemplate, type Layout, ShaderBuilder, strides, unflatten } from '../../wgsl.js';

/** One copy kernel over `n` elements; `body` computes and stores element i. */
export function copyKernel(
  ctx: KernelContext,
  label: string,
  n: number,
  ins: { name: string; layout: Layout; ref: TRef }[],
  out: { name: string; layout: Layout; ref: TRef },
  body: string,
): Dispatch {
  const b = new ShaderBuilder();
  const tensors: TRef[] = [];
  for (const x of ins) {
    b.input(x.name, x.layout);
    tensors.push(x.ref);
  }
  b.output(out.name, out.layout);
  tensors.push(out.ref);
  const per = ctx.tiles.perThread;
  const threads = Math.ceil(n / per);
  const code = fillTemplate('copy', {
    BINDINGS: b.header(),
    WG: ctx.wg,
    THREADS: threads,
    PER_THREAD: per,
    N: n,
    BODY: body,
  });
  return { code, bindings: b.bindings, tensors, grid: ctx.grid(Math.ceil(threads / ctx.wg)), label };
}

/** Flat source offset from per-axis source coordinates `s{k}` (expressions). */
export const offsetFrom = (coords: string[], st: number[]) =>
  coords.map((c, k) => (st[k] === 1 ? `(${c})` : `(${c}) * ${st[k]}u`)).join(' + ') || '0u';

export function gatherPlan(
  a: PlanArgs,
  srcCoords: (k: number) => string,
  opts: { pad?: string; preamble?: string[]; extraIns?: { name: string; idx: number }[] } = {},
): NodePlan {
  const x = a.ins[0]!,
    y = a.outs[0]!;
  const n = y.layout.numel;
  if (n === 0) return { dispatches: [] };
  if (x.layout.numel === 0 && !opts.pad) return { dispatches: [] };
  const st = strides(x.dims);
  const lines = [`    ${unflatten('i', y.dims, 'c')}`, ...(opts.preamble ?? [])];
  const coords = x.dims.map((_, k) => srcCoords(k));
  if (opts.pad !== undefined) {
    lines.push(`    var inside = true;`);
    x.dims.forEach((d, k) =>
      lines.push(`    let s${k} = ${coords[k]}; inside = inside && s${k} >= 0 && s${k} < ${d};`),
    );
    const off = x.dims.map((_, k) => (st[k] === 1 ? `u32(s${k})` : `u32(s${k}) * ${st[k]}u`)).join(' + ') || '0u';
    lines.push(`    if (inside) { y_set(i, x(${off})); } else { y_set(i, ${opts.pad}); }`);
  } else {
    lines.push(`    y_set(i, x(${offsetFrom(coords, st)}));`);
  }
  const ins = [{ name: 'x', layout: x.layout, ref: { in: 0 } as TRef }];
  for (const e of opts.extraIns ?? []) ins.push({ name: e.name, layout: a.ins[e.idx]!.layout, ref: { in: e.idx } });
  return {
    dispatches: [
      copyKernel(
        a.ctx,
        `${a.node.op}:layout`,
        n,
        ins,
        { name: 'y', layout: y.layout, ref: { out: 0 } },
        lines.join('\n'),
      ),
    ],
  };
}

export const ints = (t: Tensor | undefined) => (t ? toIntArray(t) : undefined);
