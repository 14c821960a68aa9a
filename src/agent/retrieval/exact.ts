// Exact vector search on the engine's own kernels: scores = Q · Dᵀ (MatMul), then TopK, as one IR
// graph run through a Session on any backend (reference, wasm, webgpu). Cosine similarity is a dot
// product of L2-normalised vectors; l2 ranks by 2 q·d - |d|² (the same order as -|q - d|²).
// Given a Device (the one an agent plan placed the search on), the graph runs on that very device
// instance as a DeviceProgram; without one, through a Session on the index's backend.

import type { Device } from '../../backends/device.js';
import { GraphBuilder } from '../../ir/builder.js';
import type { Graph } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { Session } from '../../runtime/session.js';
import { DeviceProgram, WeightCache } from '../llm/program.js';
import type { Hit, Metric, StoredDoc, VectorIndex } from './types.js';
import { checkVector, normalize, storeVector } from './types.js';

export interface ExactIndexOptions {
  metric?: Metric;
  /** Backend that runs the search graph (default 'reference'). */
  backend?: string;
}

export class ExactIndex implements VectorIndex {
  readonly kind = 'exact';
  readonly metric: Metric;
  backend: string;
  private vectors: Float32Array;
  private count = 0;
  readonly docs: StoredDoc[] = [];
  private sessions = new Map<string, Promise<Session>>();
  /** Search programs on placed devices: device -> queries:k -> program, and each device's documents. */
  private programs = new Map<Device, Map<string, Promise<DeviceProgram>>>();
  private resident = new Map<Device, WeightCache>();

  constructor(
    readonly dim: number,
    opts: ExactIndexOptions = {},
  ) {
    this.metric = opts.metric ?? 'cosine';
    this.backend = opts.backend ?? 'reference';
    this.vectors = new Float32Array(dim * 16);
  }

  get size(): number {
    return this.count;
  }

  add(vector: ArrayLike<number>, doc: StoredDoc): void {
    checkVector(vector, this.dim, `document '${doc.id}'`);
    this.vectors = storeVector(this.vectors, this.count, this.dim, vector, this.metric);
    this.count++;
    this.docs.push(doc);
    // the document matrix is a constant of the search graph
    this.sessions.clear();
    this.dropPrograms();
  }

  /** Row-major [size, dim] copy of the stored vectors. */
  matrix(): Float32Array {
    return this.vectors.slice(0, this.count * this.dim);
  }

  private dropPrograms(): void {
    for (const w of this.resident.values()) w.release();
    this.resident.clear();
    this.programs.clear();
  }

  private searchGraph(queries: number, k: number): Graph {
    const N = this.count,
      d = this.dim;
    const g = new GraphBuilder(`exact_search_${N}x${d}`);
    const q = g.input('query', 'float32', [queries, d]);
    const dT = new Float32Array(d * N);
    for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) dT[j * N + i] = this.vectors[i * d + j]!;
    let scores = g.matmul(q, g.constant(new Tensor('float32', dT, [d, N]), 'documents_t'));
    if (this.metric === 'l2') {
      const sq = new Float32Array(N);
      for (let i = 0; i < N; i++) {
        let s2 = 0;
        for (let j = 0; j < d; j++) s2 += this.vectors[i * d + j]! ** 2;
        sq[i] = s2;
      }
      scores = g.sub(g.mul(scores, g.scalar(2)), g.constant(new Tensor('float32', sq, [N]), 'documents_sq'));
    }
    const [vals, idx] = g.opN(
      'TopK',
      [scores, g.constant(Tensor.from('int64', [BigInt(k)]))],
      { axis: -1, largest: 1, sorted: 1 },
      2,
    );
    g.output(vals!, 'scores');
    g.output(idx!, 'indices');
    return g.build();
  }

  private session(queries: number, k: number): Promise<Session> {
    const key = `${queries}:${k}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = Session.create(this.searchGraph(queries, k), { backend: this.backend });
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  private program(device: Device, queries: number, k: number): Promise<DeviceProgram> {
    const key = `${queries}:${k}`;
    let byKey = this.programs.get(device);
    if (!byKey) this.programs.set(device, (byKey = new Map()));
    let p = byKey.get(key);
    if (!p) {
      let w = this.resident.get(device);
      if (!w) this.resident.set(device, (w = new WeightCache(device)));
      p = DeviceProgram.create(this.searchGraph(queries, k), w);
      p.catch(() => byKey.delete(key));
      byKey.set(key, p);
    }
    return p;
  }

  /** Scores and indices of the top k: on `device` when given, else through the backend's Session. */
  private async topK(q: Tensor, k: number, device?: Device): Promise<[Float32Array, BigInt64Array]> {
    const queries = q.dims[0]!;
    if (!device) {
      const out = await (await this.session(queries, k)).run({ query: q });
      return [out.scores!.data as Float32Array, out.indices!.data as BigInt64Array];
    }
    const outs = await (await this.program(device, queries, k)).run([q]);
    try {
      const [scores, indices] = await Promise.all(outs.map((t) => device.download(t)));
      return [scores!.data as Float32Array, indices!.data as BigInt64Array];
    } finally {
      for (const t of outs) device.release(t);
    }
  }

  async search(query: ArrayLike<number>, k: number, device?: Device): Promise<Hit[]> {
    return (await this.searchBatch([query], k, device))[0]!;
  }

  async searchBatch(queries: ArrayLike<number>[], k: number, device?: Device): Promise<Hit[][]> {
    if (!this.count) return queries.map(() => []);
    const kk = Math.min(k, this.count);
    const q = new Float32Array(queries.length * this.dim);
    queries.forEach((v, i) => {
      checkVector(v, this.dim, 'query');
      q.set(this.metric === 'cosine' ? normalize(v) : Float32Array.from(v), i * this.dim);
    });
    const [sc, ix] = await this.topK(new Tensor('float32', q, [queries.length, this.dim]), kk, device);
    return queries.map((_, r) =>
      Array.from({ length: kk }, (_, j) => {
        const i = Number(ix[r * kk + j]!);
        let score = sc[r * kk + j]!;
        if (this.metric === 'l2') {
          let qq = 0;
          for (let t = 0; t < this.dim; t++) qq += q[r * this.dim + t]! ** 2;
          score = -(qq - score);
        }
        return { index: i, score, doc: this.docs[i]! };
      }),
    );
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release().catch(() => {});
    this.sessions.clear();
    this.dropPrograms();
  }
}
