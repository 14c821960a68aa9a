// Indexes on disk as safetensors: vectors [N, d], and for HNSW the layer of each node and its
// links (flattened, with offsets); parameters and documents go in the string metadata. One file,
// readable by any safetensors tool.

import { readSafetensors, writeSafetensors } from '../../frontend/weights/safetensors.js';
import { Tensor } from '../../ir/tensor.js';
import { ExactIndex, type ExactIndexOptions } from './exact.js';
import { HnswIndex } from './hnsw.js';
import type { Metric, StoredDoc, VectorIndex } from './types.js';

const FORMAT = 'switchyard-index/1';

export function saveIndex(index: ExactIndex | HnswIndex): Uint8Array {
  const base = {
    format: FORMAT,
    kind: index.kind,
    metric: index.metric,
    dim: String(index.dim),
    docs: JSON.stringify(index.docs),
  };
  if (index instanceof ExactIndex) {
    return writeSafetensors({ vectors: new Tensor('float32', index.matrix(), [index.size, index.dim]) }, base);
  }
  const offsets: number[] = [0];
  const flat: number[] = [];
  for (const node of index.links)
    for (const layer of node) {
      flat.push(...layer);
      offsets.push(flat.length);
    }
  return writeSafetensors(
    {
      vectors: new Tensor('float32', index.vectorData(), [index.size, index.dim]),
      levels: new Tensor('int32', Int32Array.from(index.levels), [index.size]),
      link_offsets: new Tensor('int32', Int32Array.from(offsets), [offsets.length]),
      links: new Tensor('int32', Int32Array.from(flat), [flat.length]),
    },
    {
      ...base,
      M: String(index.M),
      efConstruction: String(index.efConstruction),
      efSearch: String(index.efSearch),
      entry: String(index.entry),
      maxLevel: String(index.maxLevel),
    },
  );
}

export function loadIndex(
  bytes: Uint8Array,
  source = 'index',
  opts: ExactIndexOptions = {},
): VectorIndex & (ExactIndex | HnswIndex) {
  const f = readSafetensors(bytes, source);
  const m = f.metadata;
  if (m.format !== FORMAT)
    throw new Error(`${source}: not a Switchyard index (format '${m.format ?? 'missing'}', expected '${FORMAT}')`);
  const dim = Number(m.dim);
  const metric = m.metric as Metric;
  let docs: StoredDoc[];
  try {
    docs = JSON.parse(m.docs ?? '[]') as StoredDoc[];
  } catch {
    throw new Error(`${source}: the documents metadata is not JSON`);
  }
  const vectors = f.tensors.get('vectors');
  if (!vectors || vectors.dims.length !== 2 || vectors.dims[1] !== dim || vectors.dims[0] !== docs.length) {
    throw new Error(
      `${source}: tensor 'vectors' must be [${docs.length}, ${dim}] (documents × dim), ` +
        `got ${vectors ? `[${vectors.dims.join(', ')}]` : 'nothing'}`,
    );
  }
  const data = Float32Array.from(vectors.data as Float32Array);
  if (m.kind === 'exact') {
    const idx = new ExactIndex(dim, { ...opts, metric });
    // vectors are stored already normalised for cosine; normalising again is harmless
    docs.forEach((d, i) => idx.add(data.subarray(i * dim, (i + 1) * dim), d));
    return idx;
  }
  if (m.kind !== 'hnsw') throw new Error(`${source}: unknown index kind '${m.kind}'`);
  const levels = [...(f.tensors.get('levels')!.data as Int32Array)];
  const offsets = f.tensors.get('link_offsets')!.data as Int32Array;
  const flat = f.tensors.get('links')!.data as Int32Array;
  const links: number[][][] = [];
  let k = 0;
  for (const lv of levels) {
    const node: number[][] = [];
    for (let l = 0; l <= lv; l++, k++) {
      const ids = [...flat.subarray(offsets[k]!, offsets[k + 1]!)];
      for (const id of ids)
        if (id < 0 || id >= levels.length)
          throw new Error(`${source}: link to node ${id} is outside the index (${levels.length} nodes)`);
      node.push(ids);
    }
    links.push(node);
  }
  const padded = new Float32Array(Math.max(data.length, dim * 16));
  padded.set(data);
  return HnswIndex.restore(
    dim,
    { metric, M: Number(m.M), efConstruction: Number(m.efConstruction), efSearch: Number(m.efSearch) },
    padded,
    levels,
    links,
    docs,
    Number(m.entry),
    Number(m.maxLevel),
  );
}
