// Seeded random feeds of the right type and shape, for `run` and `bench` without --inputs.

import { readFileSync } from 'node:fs';
import { decodeModel } from '../frontend/onnx/proto.js';
import { symbol } from '../frontend/onnx/value-types.js';
import { isBig, isFloat } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { setter, Tensor } from '../ir/tensor.js';
import { mulberry32 as rng } from '../util/rng.js';

export { mulberry32 as rng } from '../util/rng.js';

/** The default size of a symbolic dim that --dim does not set. */
export const DEFAULT_DIM = 1;

/**
 * Symbolic dims take values from `dims` (name -> size, by the model's own spelling or the IR's
 * identifier form), else DEFAULT_DIM; `onDefault` hears each dim that took the default.
 */
export function randomFeeds(
  g: Graph,
  seed = 1,
  dims: Record<string, number> = {},
  onDefault?: (dims: string[]) => void,
): Record<string, Tensor> {
  const sized: Record<string, number> = {};
  for (const [k, v] of Object.entries(dims)) {
    sized[k] = v;
    if (!(symbol(k) in dims)) sized[symbol(k)] = v;
  }
  const defaulted = symbolicDims(g).filter((d) => !(d in sized));
  if (defaulted.length) onDefault?.(defaulted);
  dims = sized;
  const r = rng(seed);
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) {
    const ty = v.type!;
    if (!ty.shape) throw new Error(`input '${v.name}' has unknown rank; give --inputs`);
    const shape = ty.shape.map((d) => (typeof d === 'number' ? d : (dims[d] ?? DEFAULT_DIM)));
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

/** `name=size` pairs; the name is everything before the last '=' (models name dims 'p2o.DynamicDimension.0', 'a=b'). */
export function parseDims(specs: string[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of specs) {
    const at = s.lastIndexOf('=');
    const name = s.slice(0, at),
      size = s.slice(at + 1);
    if (at <= 0 || !/^\d+$/.test(size))
      throw new Error(`--dim '${s}': expected name=size, e.g. batch=4 or p2o.DynamicDimension.0=1`);
    out[name] = Number(size);
  }
  return out;
}

/** The symbolic dims of the graph's inputs (IR identifiers), in first-seen order. */
export function symbolicDims(g: Graph): string[] {
  const out: string[] = [];
  for (const v of g.inputs)
    for (const d of v.type?.shape ?? []) if (typeof d === 'string' && !out.includes(d)) out.push(d);
  return out;
}

/** --dim names the model does not have are an error that lists the ones it has. */
export function checkDimNames(g: Graph, dims: Record<string, number>): Record<string, number> {
  const have = symbolicDims(g);
  const unknown = Object.keys(dims).filter((k) => !have.includes(k) && !have.includes(symbol(k)));
  if (unknown.length) {
    throw new Error(
      `--dim ${unknown.join(', ')}: the model has no such symbolic dim ` +
        `(${have.length ? `it has ${have.join(', ')}` : 'all its input dims are fixed'})`,
    );
  }
  return dims;
}

/** A stderr note for dims that took the default, with the model's own spelling where it is known. */
export function defaultDimsNote(dims: string[], original: Record<string, string> = {}): string {
  const named = dims.map((d) => original[d] ?? d);
  return (
    `note: symbolic input dims ${named.join(', ')} were not given and take size ${DEFAULT_DIM}; ` +
    `set them with --dim, e.g. ${named.map((n) => `--dim ${n}=${DEFAULT_DIM}`).join(' ')}`
  );
}

/** IR dim identifier -> the model's own dim_param spelling, read from an ONNX file's graph inputs. */
export function originalDimNames(model: unknown): Record<string, string> {
  if (typeof model !== 'string' || !model.endsWith('.onnx')) return {};
  try {
    const proto = decodeModel(new Uint8Array(readFileSync(model)), model);
    const out: Record<string, string> = {};
    for (const vi of proto.graph?.input ?? []) {
      for (const d of vi.type?.tensorType?.shape?.dim ?? []) if (d.dimParam) out[symbol(d.dimParam)] = d.dimParam;
    }
    return out;
  } catch {
    return {};
  }
}
