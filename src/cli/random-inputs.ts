// Seeded random feeds of the right type and shape, for `run` and `bench` without --inputs.

import type { Graph } from '../ir/graph.js';
import { isBig, isFloat } from '../ir/dtype.js';
import { Tensor, setter } from '../ir/tensor.js';
import { mulberry32 as rng } from '../util/rng.js';

export { mulberry32 as rng } from '../util/rng.js';

/** Symbolic dims take values from `dims` (name -> size), else 1. */
export function randomFeeds(g: Graph, seed = 1, dims: Record<string, number> = {}): Record<string, Tensor> {
  const r = rng(seed);
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) {
    const ty = v.type!;
    if (!ty.shape) throw new Error(`input '${v.name}' has unknown rank; give --inputs`);
    const shape = ty.shape.map((d) => (typeof d === 'number' ? d : dims[d] ?? 1));
    const t = Tensor.zeros(ty.dtype, shape);
    const set = setter(t);
    for (let i = 0; i < t.size; i++) {
      if (isFloat(ty.dtype)) set(i, r() * 2 - 1);
      else if (ty.dtype === 'bool') set(i, r() < 0.5 ? 1 : 0);
      else set(i, isBig(ty.dtype) ? BigInt(Math.floor(r() * 10)) : Math.floor(r() * 10));
    }
    feeds[v.name] = t;
  }
  return feeds;
}

export function parseDims(specs: string[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of specs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\d+)$/.exec(s);
    if (!m) throw new Error(`--dim '${s}': expected name=size, e.g. batch=4`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}
