// TfIdfVectorizer: counts the n-grams of a pool (integers or strings) in each row of the input,
// with up to max_skip_count items skipped between the items of an n-gram, and writes the counts
// (TF), their presence times a weight (IDF) or count times weight (TFIDF) at each n-gram's index.
// The pool lists n-grams grouped by length: ngram_counts[i] is where the (i+1)-grams start.

import type { AttrReader } from '../ir/attributes.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { inType } from './util.js';

interface Pool {
  byLength: Map<number, Map<string, number>>;
  width: number;
}

/** Pool n-grams keyed by their items joined, per length, with the output index of each. */
function buildPool(attrs: AttrReader): Pool {
  const items = attrs.has('pool_strings') ? attrs.strings('pool_strings') : attrs.ints('pool_int64s', []).map(String);
  const counts = attrs.ints('ngram_counts');
  const indexes = attrs.ints('ngram_indexes');
  const byLength = new Map<number, Map<string, number>>();
  let g = 0;
  counts.forEach((start, i) => {
    const n = i + 1;
    const end = i + 1 < counts.length ? counts[i + 1]! : items.length;
    if ((end - start) % n !== 0) throw new Error(`pool entries ${start}..${end} do not divide into ${n}-grams`);
    const m = new Map<string, number>();
    for (let p = start; p < end; p += n) {
      const at = indexes[g++];
      if (at === undefined) throw new Error(`ngram_indexes has ${indexes.length} entries; the pool holds more n-grams`);
      m.set(JSON.stringify(items.slice(p, p + n)), at);
    }
    byLength.set(n, m);
  });
  return { byLength, width: indexes.length ? Math.max(...indexes) + 1 : 0 };
}

const tfidf: OpDef = {
  name: 'nn.TfIdfVectorizer',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {
    max_gram_length: { kind: 'int', required: true },
    min_gram_length: { kind: 'int', required: true },
    max_skip_count: { kind: 'int', required: true },
    mode: { kind: 'string', required: true },
    ngram_counts: { kind: 'ints', required: true },
    ngram_indexes: { kind: 'ints', required: true },
    pool_int64s: { kind: 'ints' },
    pool_strings: { kind: 'strings' },
    weights: { kind: 'floats' },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    if (!['int32', 'int64', 'string'].includes(x.dtype)) {
      throw new Error(`X must be int32, int64 or string, got ${formatType(x)}`);
    }
    if (ctx.attrs.has('pool_strings') !== (x.dtype === 'string')) {
      throw new Error(`X ${formatType(x)} and the pool must both be strings or both integers`);
    }
    const mode = ctx.attrs.string('mode');
    if (!['TF', 'IDF', 'TFIDF'].includes(mode)) throw new Error(`mode '${mode}' must be TF, IDF or TFIDF`);
    const { width } = buildPool(ctx.attrs);
    if (!x.shape) return [{ dtype: 'float32' }];
    if (x.shape.length > 2 || x.shape.length === 0) throw new Error(`X ${formatType(x)} must be [C] or [N,C]`);
    return [{ dtype: 'float32', shape: x.shape.length === 1 ? [width] : [x.shape[0]!, width] }];
  },
  run({ inputs: [xt], attrs }) {
    const x = xt!;
    const pool = buildPool(attrs);
    const minN = attrs.int('min_gram_length'),
      maxN = attrs.int('max_gram_length');
    const maxSkip = attrs.int('max_skip_count');
    const mode = attrs.string('mode');
    const weights = attrs.floats('weights', []);
    const rows = x.dims.length === 2 ? x.dims[0]! : 1;
    const cols = x.dims[x.dims.length - 1]!;
    const cells = Array.from({ length: x.size }, (_, i) => String(x.data[i]));
    const y = new Float32Array(rows * pool.width);
    for (let r = 0; r < rows; r++) {
      const row = cells.slice(r * cols, (r + 1) * cols);
      const counts = new Float64Array(pool.width);
      for (let n = Math.max(minN, 1); n <= maxN; n++) {
        const grams = pool.byLength.get(n);
        if (!grams) continue;
        // a 1-gram is the same whatever the skip: count it once
        for (let skip = 0; skip <= (n === 1 ? 0 : maxSkip); skip++) {
          const step = skip + 1;
          for (let s = 0; s + (n - 1) * step < cols; s++) {
            const gram = Array.from({ length: n }, (_, k) => row[s + k * step]!);
            const at = grams.get(JSON.stringify(gram));
            if (at !== undefined) counts[at]! += 1;
          }
        }
      }
      for (let j = 0; j < pool.width; j++) {
        const c = counts[j]!,
          w = weights[j] ?? 1;
        y[r * pool.width + j] = mode === 'TF' ? c : mode === 'IDF' ? (c > 0 ? w : 0) : c * w;
      }
    }
    return [new Tensor('float32', y, x.dims.length === 1 ? [pool.width] : [rows, pool.width])];
  },
  onnx: { type: 'TfIdfVectorizer', minOpset: 9 },
};

registerOps([tfidf]);
