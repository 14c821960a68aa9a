// What every vector index shares: documents, hits, metrics and the vector checks.

import type { Device } from '../../backends/device.js';

export type Metric = 'cosine' | 'dot' | 'l2';

export interface StoredDoc {
  id: string;
  text: string;
  /** Anything else the caller keeps with the document (source, title, …). */
  meta?: Record<string, unknown>;
}

export interface Hit {
  /** Position of the document in the index. */
  index: number;
  /** Similarity, larger is closer (cosine/dot), or minus the squared distance (l2). */
  score: number;
  doc: StoredDoc;
}

export interface VectorIndex {
  readonly kind: 'exact' | 'hnsw';
  readonly dim: number;
  readonly metric: Metric;
  readonly size: number;
  readonly docs: StoredDoc[];
  add(vector: ArrayLike<number>, doc: StoredDoc): void;
  /** `device`: the placed device to search on, for indexes that compute on one (exact search). */
  search(query: ArrayLike<number>, k: number, device?: Device): Promise<Hit[]>;
}

export function checkVector(v: ArrayLike<number>, dim: number, what: string): void {
  if (v.length !== dim) throw new Error(`${what}: vector has ${v.length} dimensions, the index has ${dim}`);
  for (let i = 0; i < v.length; i++)
    if (!Number.isFinite(v[i])) throw new Error(`${what}: vector element ${i} is ${v[i]}`);
}

export function normalize(v: ArrayLike<number>): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}

/** Fraction of the exact top-k that the approximate top-k found, averaged over queries. */
export function recallAtK(approx: Hit[][], exact: Hit[][], k = 10): number {
  let found = 0,
    total = 0;
  exact.forEach((ex, q) => {
    const truth = new Set(ex.slice(0, k).map((h) => h.index));
    for (const h of approx[q]!.slice(0, k)) if (truth.has(h.index)) found++;
    total += truth.size;
  });
  return total ? found / total : 1;
}

/**
 * `vector` stored at row `row` of a row-major store (normalized for cosine), the store doubled
 * when full; returns the store to keep (the same one or its grown copy).
 */
export function storeVector(
  store: Float32Array,
  row: number,
  dim: number,
  vector: ArrayLike<number>,
  metric: Metric,
): Float32Array {
  let out = store;
  if (out.length < (row + 1) * dim) {
    out = new Float32Array(Math.max(out.length * 2, (row + 1) * dim));
    out.set(store);
  }
  out.set(metric === 'cosine' ? normalize(vector) : Float32Array.from(vector), row * dim);
  return out;
}
