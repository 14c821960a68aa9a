// Loaded graphs: content-addressed by the SHA-256 of their text, compiled once by the engine, their
// blobs pinned in the store while loaded, least recently used evicted past --max-graphs. Each knows
// how long a run should take: from its ops' cost and the calibration until it has run, then the
// average of measured runs.

import type { FastifyBaseLogger } from 'fastify';
import { ProtocolError } from '../protocol/errors.js';
import { blobRefs } from '../protocol/graph-wire.js';
import type { GraphInfo } from '../protocol/schemas.js';
import type { Calibration, GraphMeta } from './core.js';
import type { Engine, GraphSource } from './engine.js';
import type { BlobStore } from './store.js';

export interface GraphEntry {
  src: GraphSource;
  meta: GraphMeta;
  blobs: string[];
  runs: number;
  /** exponential average of measured compute ms */
  meanMs: number;
  used: number;
}

export class GraphRegistry {
  private graphs = new Map<string, GraphEntry>();
  private loading = new Map<string, Promise<GraphEntry>>();

  constructor(
    private store: BlobStore,
    private engine: Engine,
    private cal: Calibration,
    private o: { slowMs: number; maxGraphs: number },
    private log: FastifyBaseLogger,
  ) {}

  get size(): number {
    return this.graphs.size;
  }
  has(id: string): boolean {
    return this.graphs.has(id);
  }

  get(id: string): GraphEntry | undefined {
    const g = this.graphs.get(id);
    if (g) g.used = performance.now();
    return g;
  }

  estimateMs(g: GraphEntry): number {
    if (g.runs > 0) return g.meanMs + this.o.slowMs;
    const w = g.meta;
    const compute =
      w.flops !== undefined ? Math.max(w.flops / this.cal.f32Flops, (w.bytes ?? 0) / this.cal.memBandwidth) * 1000 : 0;
    return compute + w.nodes * this.cal.launchOverhead * 1000 + this.o.slowMs;
  }

  recordRun(g: GraphEntry, computeMs: number): void {
    g.meanMs = g.runs === 0 ? computeMs : 0.8 * g.meanMs + 0.2 * computeMs;
    g.runs++;
  }

  info(id: string, g: GraphEntry): GraphInfo {
    return {
      id,
      name: g.meta.name,
      nodes: g.meta.nodes,
      inputs: g.meta.inputs,
      outputs: g.meta.outputs,
      ...(g.meta.flops !== undefined ? { flops: g.meta.flops } : {}),
      estimatedMs: this.estimateMs(g),
      runs: g.runs,
      compileMs: g.meta.compileMs,
    };
  }

  all(): GraphInfo[] {
    return [...this.graphs].map(([id, g]) => this.info(id, g));
  }

  /** Load a graph whose text hashes to `id` (checked by the caller); concurrent loads share one compile. */
  load(id: string, text: string): Promise<GraphEntry> {
    let p = this.loading.get(id);
    if (p) return p;
    p = (async () => {
      const refs = blobRefs(text);
      const missing = refs.filter((r) => !this.store.has(r));
      if (missing.length)
        throw new ProtocolError(
          'missing_blobs',
          `graph refers to ${missing.length} blob(s) this server does not hold; PUT them first`,
          { missing },
        );
      this.store.pin(refs, 1);
      try {
        const src: GraphSource = { id, text, blobs: new Map(refs.map((r) => [r, this.store.get(r)!])) };
        const meta = await this.engine.load(src);
        const entry: GraphEntry = { src, meta, blobs: refs, runs: 0, meanMs: 0, used: performance.now() };
        this.graphs.set(id, entry);
        this.log.info(
          { graph: id, name: meta.name, nodes: meta.nodes, compileMs: Math.round(meta.compileMs) },
          'graph loaded',
        );
        await this.evict();
        return entry;
      } catch (e) {
        this.store.pin(refs, -1);
        throw e;
      }
    })();
    this.loading.set(id, p);
    p.finally(() => this.loading.delete(id)).catch(() => {});
    return p;
  }

  private async evict(): Promise<void> {
    while (this.graphs.size > this.o.maxGraphs) {
      const [id, g] = [...this.graphs].sort((a, b) => a[1].used - b[1].used)[0]!;
      this.graphs.delete(id);
      this.store.pin(g.blobs, -1);
      await this.engine.unload(id);
      this.log.info({ graph: id }, 'graph evicted (least recently used)');
    }
  }
}
