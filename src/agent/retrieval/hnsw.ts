// Approximate nearest neighbours with a hierarchical navigable small world graph (Malkov and
// Yashunin, 2016): each vector gets a random top layer (geometric, mean 1/ln M); search descends
// greedily from the top layer's entry point and runs a best-first search of width ef on layer 0.
// Neighbours are chosen with the paper's diversity heuristic (algorithm 4). Plain TypeScript, so it
// runs in Node and browsers alike, with a seeded level generator so builds are reproducible.

import { rng } from '../llm/synthetic.js';
import type { Hit, Metric, StoredDoc, VectorIndex } from './types.js';
import { checkVector, normalize, storeVector } from './types.js';

export interface HnswOptions {
  metric?: Metric;
  /** Links per node on upper layers (layer 0 keeps 2M). */
  M?: number;
  efConstruction?: number;
  /** Search width (at least k). */
  efSearch?: number;
  seed?: number;
}

/** Binary heap over (distance, id); `max` makes it a max-heap. */
class Heap {
  private d: number[] = [];
  private id: number[] = [];
  constructor(private readonly max: boolean) {}
  get size() {
    return this.d.length;
  }
  topDist() {
    return this.d[0]!;
  }
  topId() {
    return this.id[0]!;
  }
  private less(a: number, b: number) {
    return this.max ? this.d[a]! > this.d[b]! : this.d[a]! < this.d[b]!;
  }
  private swap(a: number, b: number) {
    [this.d[a], this.d[b]] = [this.d[b]!, this.d[a]!];
    [this.id[a], this.id[b]] = [this.id[b]!, this.id[a]!];
  }
  push(dist: number, id: number) {
    this.d.push(dist);
    this.id.push(id);
    let i = this.d.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.d[0]!, this.id[0]!];
    const ld = this.d.pop()!,
      li = this.id.pop()!;
    if (this.d.length) {
      this.d[0] = ld;
      this.id[0] = li;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < this.d.length && this.less(l, m)) m = l;
        if (r < this.d.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  items(): [number, number][] {
    return this.d.map((d, i) => [d, this.id[i]!]);
  }
}

export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw';
  readonly metric: Metric;
  readonly M: number;
  readonly efConstruction: number;
  efSearch: number;
  readonly docs: StoredDoc[] = [];
  private vectors: Float32Array;
  private count = 0;
  /** links[node][layer] = neighbour ids */
  links: number[][][] = [];
  levels: number[] = [];
  entry = -1;
  maxLevel = -1;
  private readonly rand: () => number;
  private readonly mL: number;

  constructor(
    readonly dim: number,
    opts: HnswOptions = {},
  ) {
    this.metric = opts.metric ?? 'cosine';
    this.M = opts.M ?? 16;
    this.efConstruction = opts.efConstruction ?? 200;
    this.efSearch = opts.efSearch ?? 64;
    this.rand = rng(opts.seed ?? 42);
    this.mL = 1 / Math.log(this.M);
    this.vectors = new Float32Array(dim * 16);
  }

  get size(): number {
    return this.count;
  }
  vectorData(): Float32Array {
    return this.vectors.slice(0, this.count * this.dim);
  }

  private dist(a: Float32Array | ArrayLike<number>, id: number): number {
    const v = this.vectors,
      o = id * this.dim,
      d = this.dim;
    if (this.metric === 'l2') {
      let s = 0;
      for (let i = 0; i < d; i++) {
        const x = a[i]! - v[o + i]!;
        s += x * x;
      }
      return s;
    }
    let s = 0;
    for (let i = 0; i < d; i++) s += a[i]! * v[o + i]!;
    return this.metric === 'cosine' ? 1 - s : -s;
  }
  private vec(id: number): Float32Array {
    return this.vectors.subarray(id * this.dim, (id + 1) * this.dim);
  }

  /** Best-first search on one layer from the entry points; returns up to ef closest (max-heap). */
  private searchLayer(q: ArrayLike<number>, eps: number[], ef: number, layer: number): Heap {
    const visited = new Set<number>(eps);
    const cand = new Heap(false),
      best = new Heap(true);
    for (const e of eps) {
      const d = this.dist(q, e);
      cand.push(d, e);
      best.push(d, e);
    }
    while (cand.size) {
      const [d, c] = cand.pop();
      if (d > best.topDist() && best.size >= ef) break;
      for (const n of this.links[c]![layer] ?? []) {
        if (visited.has(n)) continue;
        visited.add(n);
        const dn = this.dist(q, n);
        if (best.size < ef || dn < best.topDist()) {
          cand.push(dn, n);
          best.push(dn, n);
          if (best.size > ef) best.pop();
        }
      }
    }
    return best;
  }

  /** The paper's heuristic: keep a candidate only if it is closer to q than to every kept one. */
  private select(candidates: [number, number][], m: number): number[] {
    const sorted = [...candidates].sort((a, b) => a[0] - b[0]);
    const kept: number[] = [];
    const pruned: number[] = [];
    for (const [d, id] of sorted) {
      if (kept.length >= m) break;
      if (kept.every((k) => this.dist(this.vec(id), k) > d)) kept.push(id);
      else pruned.push(id);
    }
    for (const id of pruned) {
      if (kept.length >= m) break;
      kept.push(id);
    } // fill up (keepPrunedConnections)
    return kept;
  }

  add(vector: ArrayLike<number>, doc: StoredDoc): void {
    checkVector(vector, this.dim, `document '${doc.id}'`);
    this.vectors = storeVector(this.vectors, this.count, this.dim, vector, this.metric);
    const id = this.count++;
    const v = this.vec(id);
    this.docs.push(doc);
    const level = Math.floor(-Math.log(1 - this.rand()) * this.mL);
    this.levels.push(level);
    this.links.push(Array.from({ length: level + 1 }, () => []));
    if (this.entry < 0) {
      this.entry = id;
      this.maxLevel = level;
      return;
    }
    let ep = [this.entry];
    for (let l = this.maxLevel; l > level; l--) {
      const w = this.searchLayer(v, ep, 1, l);
      ep = [w.topId()];
    }
    for (let l = Math.min(level, this.maxLevel); l >= 0; l--) {
      const w = this.searchLayer(v, ep, this.efConstruction, l);
      const items = w.items();
      const neighbours = this.select(items, this.M);
      this.links[id]![l] = neighbours;
      const cap = l === 0 ? 2 * this.M : this.M;
      for (const n of neighbours) {
        const list = this.links[n]![l]!;
        list.push(id);
        if (list.length > cap) {
          const nv = this.vec(n);
          this.links[n]![l] = this.select(
            list.map((x) => [this.dist(nv, x), x]),
            cap,
          );
        }
      }
      ep = items.map((x) => x[1]);
    }
    if (level > this.maxLevel) {
      this.maxLevel = level;
      this.entry = id;
    }
  }

  searchSync(query: ArrayLike<number>, k: number, ef = this.efSearch): Hit[] {
    checkVector(query, this.dim, 'query');
    if (this.entry < 0) return [];
    const q = this.metric === 'cosine' ? normalize(query) : query;
    let ep = [this.entry];
    for (let l = this.maxLevel; l > 0; l--) ep = [this.searchLayer(q, ep, 1, l).topId()];
    const best = this.searchLayer(q, ep, Math.max(ef, k), 0)
      .items()
      .sort((a, b) => a[0] - b[0])
      .slice(0, k);
    return best.map(([d, i]) => ({ index: i, score: this.metric === 'cosine' ? 1 - d : -d, doc: this.docs[i]! }));
  }

  async search(query: ArrayLike<number>, k: number): Promise<Hit[]> {
    return this.searchSync(query, k);
  }

  /** Restore from persisted parts (see persist.ts). */
  static restore(
    dim: number,
    opts: HnswOptions,
    vectors: Float32Array,
    levels: number[],
    links: number[][][],
    docs: StoredDoc[],
    entry: number,
    maxLevel: number,
  ): HnswIndex {
    const h = new HnswIndex(dim, opts);
    h.vectors = vectors;
    h.count = levels.length;
    h.levels = levels;
    h.links = links;
    h.docs.push(...docs);
    h.entry = entry;
    h.maxLevel = maxLevel;
    return h;
  }
}
