// Checking what a caller feeds against the graph's inputs, before any backend sees it.

import type { Graph } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { describeRunValue, fitsType, type RunValue } from '../ir/values.js';

/** Order feeds by graph input, with errors that name the input and what was expected. */
export function bindFeeds(g: Graph, feeds: Record<string, Tensor>): Tensor[] {
  const wrapped = g.inputs.find((v) => v.type?.wrap?.length);
  if (wrapped)
    throw new Error(`input '${wrapped.name}' is ${formatType(wrapped.type)}; feed it with session.runValues()`);
  return bindValueFeeds(g, feeds) as Tensor[];
}

/** bindFeeds for any run-time value: sequences and optionals are checked against their types. */
export function bindValueFeeds(g: Graph, feeds: Record<string, RunValue>): RunValue[] {
  const names = new Set(g.inputs.map((v) => v.name));
  const extra = Object.keys(feeds).filter((k) => !names.has(k));
  if (extra.length) {
    throw new Error(
      `unknown input${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')}; the model's ` +
        `inputs are ${[...names].map((k) => `'${k}'`).join(', ') || '(none)'}`,
    );
  }
  const symbols = new Map<string, [number, string]>();
  return g.inputs.map((v) => {
    const x = feeds[v.name] ?? v.default;
    if (!x) throw new Error(`missing input '${v.name}' (${formatType(v.type)})`);
    if (v.type?.wrap?.length || !(x instanceof Tensor)) {
      if (!fitsType(x, v.type!))
        throw new Error(`input '${v.name}' is ${describeRunValue(x)}, the model expects ${formatType(v.type)}`);
      return x;
    }
    const t = x;
    if (!t || typeof t !== 'object' || !('dims' in t) || !('type' in t))
      throw new Error(`input '${v.name}' is not a Tensor`);
    const ty = v.type!;
    if (t.type !== ty.dtype)
      throw new Error(`input '${v.name}' has type ${t.type}, the model expects ${formatType(ty)}`);
    if (ty.shape) {
      if (t.dims.length !== ty.shape.length) {
        throw new Error(
          `input '${v.name}' has shape [${t.dims.join(',')}] (rank ${t.dims.length}), the model expects ` +
            `${formatType(ty)} (rank ${ty.shape.length})`,
        );
      }
      ty.shape.forEach((d, i) => {
        const got = t.dims[i]!;
        if (typeof d === 'number' && d !== got) {
          throw new Error(
            `input '${v.name}' has shape [${t.dims.join(',')}], the model expects ${formatType(ty)} (dim ` +
              `${i} must be ${d})`,
          );
        }
        if (typeof d === 'string') {
          const prev = symbols.get(d);
          if (prev && prev[0] !== got) {
            throw new Error(
              `input '${v.name}' dim ${i} ('${d}') is ${got}, but input '${prev[1]}' already set '${d}' = ${prev[0]}`,
            );
          }
          symbols.set(d, [got, v.name]);
        }
      });
    }
    return t;
  });
}
