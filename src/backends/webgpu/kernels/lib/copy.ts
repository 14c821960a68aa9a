// The data-movement template (shaders/copy.wgsl): one thread per element, the source index from
// coordinates specialised for the shapes. Shared by the layout families (shape, slice, pad, tile,
// concat-split, gather, rearrange, trilu, onehot) and the scans and quantizers.

import { type Tensor, toIntArray } from '../../../../ir/tensor.js';
import type { Dispatch, KernelContext, NodePlan, PlanArgs, TRef } from '../../kernel.js';
import { Params, type ProgramVariant, typesKey, type Variant } from '../../variant.js';
import { fillTemplate, type Layout, partsOf, ShaderBuilder, strides } from '../../wgsl.js';
import { offsetParams, unflattenParams } from './index-math.js';

/** The parameters of a copy kernel over n elements: threads and n come first (the template reads P.v[0].xy). */
export function copyParams(ctx: KernelContext, n: number): Params {
  const p = new Params();
  p.u(Math.ceil(n / ctx.tiles.perThread));
  p.u(n);
  return p;
}

/**
 * One copy kernel over `n` elements; `body` computes and stores element i, reading sizes from `p`
 * (made by copyParams) where they are not part of the variant's key.
 */
export function copyKernel(
  ctx: KernelContext,
  label: string,
  n: number,
  ins: { name: string; layout: Layout; ref: TRef }[],
  out: { name: string; layout: Layout; ref: TRef },
  body: string,
  v: ProgramVariant,
  p: Params = copyParams(ctx, n),
): Dispatch {
  const b = new ShaderBuilder().uniform(p.struct());
  const tensors: TRef[] = [];
  for (const x of ins) {
    b.input(x.name, x.layout);
    tensors.push(x.ref);
  }
  b.output(out.name, out.layout);
  tensors.push(out.ref);
  const per = ctx.tiles.perThread;
  const threads = Math.ceil(n / per);
  if (p.words[0] !== threads || p.words[1] !== n) throw new Error(`${label}: copy parameters not made by copyParams`);
  const code = fillTemplate('copy', { BINDINGS: b.header(), WG: ctx.wg, PER_THREAD: per, BODY: body });
  const parts = [...ins.map((x) => partsOf(x.layout)), partsOf(out.layout)].join(',');
  const variant = { ...v, key: { ...v.key, parts, perThread: per, wg: ctx.wg, params: p.vec4s } };
  return {
    code,
    variant,
    params: p.data(),
    bindings: b.bindings,
    tensors,
    grid: ctx.grid(Math.ceil(threads / ctx.wg)),
    label,
  };
}

export interface GatherOptions {
  /** The value outside the source (Pad's constant); source coordinates are then i32. */
  pad?: string;
  preamble?: (p: Params) => string[];
  extraIns?: { name: string; idx: number }[];
  /** What the coordinate map depends on beyond the rank and types (perm, mode). */
  key?: Variant;
}

/**
 * A gather over the output: `srcCoords(k, p)` is the source coordinate on axis k from the output
 * coordinates `c{j}`, with sizes taken from `p`; the variant is `family/op` keyed by ranks,
 * types and opts.key.
 */
export function gatherPlan(
  a: PlanArgs,
  family: string,
  srcCoords: (k: number, p: Params) => string,
  opts: GatherOptions = {},
): NodePlan {
  const x = a.ins[0]!,
    y = a.outs[0]!;
  const n = y.layout.numel;
  if (n === 0) return { dispatches: [] };
  if (x.layout.numel === 0 && !opts.pad) return { dispatches: [] };
  const p = copyParams(a.ctx, n);
  const st = strides(x.dims);
  const lines = [`    ${unflattenParams('i', y.dims, 'c', p)}`];
  lines.push(...(opts.preamble?.(p) ?? []));
  const coords = x.dims.map((_, k) => srcCoords(k, p));
  if (opts.pad !== undefined) {
    lines.push(`    var inside = true;`);
    x.dims.forEach((d, k) =>
      lines.push(`    let s${k} = ${coords[k]}; inside = inside && s${k} >= 0 && s${k} < ${p.i(d)};`),
    );
    const off = x.dims.map((_, k) => `u32(s${k}) * ${p.u(st[k]!)}`).join(' + ') || '0u';
    lines.push(`    if (inside) { y_set(i, x(${off})); } else { y_set(i, ${opts.pad}); }`);
  } else {
    lines.push(`    y_set(i, x(${offsetParams(coords, st, p)}));`);
  }
  const ins = [{ name: 'x', layout: x.layout, ref: { in: 0 } as TRef }];
  for (const e of opts.extraIns ?? []) ins.push({ name: e.name, layout: a.ins[e.idx]!.layout, ref: { in: e.idx } });
  const v: ProgramVariant = {
    family,
    name: a.node.op.replace(/^\w+\./, ''),
    key: {
      ranks: [x.dims.length, y.dims.length, ...(opts.extraIns ?? []).map((e) => a.ins[e.idx]!.dims.length)].join(','),
      types: typesKey(a.ins, a.outs),
      ...(opts.pad !== undefined ? { pad: opts.pad } : {}),
      ...opts.key,
    },
  };
  const label = `${a.node.op}:layout`;
  const body = lines.join('\n');
  return {
    dispatches: [copyKernel(a.ctx, label, n, ins, { name: 'y', layout: y.layout, ref: { out: 0 } }, body, v, p)],
  };
}

export const ints = (t: Tensor | undefined) => (t ? toIntArray(t) : undefined);
