// Engines run graphs for the HTTP thread: WorkerEngine on worker threads (the default; the event
// loop stays free for health checks, refusals and uploads while a run computes) and InlineEngine
// in-process (`--workers 0`, for debugging). A worker that dies or overruns its hard time limit
// is replaced; its graphs are loaded again on demand from the server's store.

import { Worker } from 'node:worker_threads';
import type { Tensor } from '../ir/tensor.js';
import { type ErrorCode, ProtocolError } from '../protocol/errors.js';
import { type Calibration, ComputeCore, type GraphMeta } from './core.js';
import { type Packed, packTensors, unpackTensors } from './pack.js';

export interface RunResult {
  outputs: [string, Tensor][];
  computeMs: number;
}

/** Text and blobs of a graph, kept by the server so any worker can (re)load it. */
export interface GraphSource {
  id: string;
  text: string;
  blobs: Map<string, Uint8Array>;
}

export interface RunOptions {
  wanted?: string[];
  slowMs?: number;
  hardLimitMs?: number;
}

export interface Engine {
  readonly concurrency: number;
  start(): Promise<void>;
  load(src: GraphSource): Promise<GraphMeta>;
  unload(id: string): Promise<void>;
  run(src: GraphSource, inputs: Map<string, Tensor>, opts: RunOptions): Promise<RunResult>;
  calibrate(): Promise<Calibration>;
  close(): Promise<void>;
}

export class InlineEngine implements Engine {
  readonly concurrency = 1;
  private core: ComputeCore;
  constructor(backend: string) {
    this.core = new ComputeCore(backend);
  }
  start() {
    return this.core.init();
  }
  load(src: GraphSource) {
    return this.core.load(src.id, src.text, src.blobs);
  }
  unload(id: string) {
    return this.core.unload(id);
  }
  async run(src: GraphSource, inputs: Map<string, Tensor>, opts: RunOptions): Promise<RunResult> {
    if (!this.core.has(src.id)) await this.load(src);
    const r = await this.core.run(src.id, inputs, opts.wanted, opts.slowMs);
    return { outputs: r.outputs, computeMs: r.computeMs };
  }
  calibrate() {
    return this.core.calibrate();
  }
  async close() {}
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

class Slot {
  worker!: Worker;
  busy = false;
  loaded = new Set<string>();
  private pending = new Map<number, Pending>();
  private nextRid = 1;
  private ready!: Promise<void>;
  dead?: Error;

  constructor(
    private backend: string,
    private onExit: (s: Slot, e: Error) => void,
  ) {
    this.spawn();
  }

  private spawn(): void {
    for (const p of this.pending.values()) p.reject(new ProtocolError('internal', 'compute worker was replaced'));
    this.pending.clear();
    this.dead = undefined;
    this.loaded.clear();
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { backend: this.backend } });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      const onMsg = (m: { ready?: boolean; message?: string }) => {
        if (m.ready === undefined) return;
        this.worker.off('message', onMsg);
        if (m.ready) resolve();
        else reject(new Error(`compute worker cannot start backend '${this.backend}': ${m.message}`));
      };
      this.worker.on('message', onMsg);
    });
    this.ready.catch(() => {});
    const w = this.worker;
    w.on(
      'message',
      (m: {
        rid?: number;
        ok?: boolean;
        value?: unknown;
        code?: ErrorCode;
        message?: string;
        extra?: Record<string, unknown>;
      }) => {
        if (m.rid === undefined) return;
        const p = this.pending.get(m.rid);
        if (!p) return;
        this.pending.delete(m.rid);
        if (m.ok) p.resolve(m.value);
        else p.reject(new ProtocolError(m.code ?? 'internal', m.message ?? 'compute failed', m.extra ?? {}));
      },
    );
    const died = (e: Error) => {
      if (w !== this.worker) return;
      this.dead = e;
      for (const p of this.pending.values())
        p.reject(new ProtocolError('internal', `compute worker died: ${e.message}`));
      this.pending.clear();
      this.onExit(this, e);
    };
    w.on('error', died);
    w.on('exit', (code) => died(new Error(`exited with code ${code}`)));
  }

  waitReady(): Promise<void> {
    return this.ready;
  }

  async call<T>(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    await this.ready;
    if (this.dead) throw new ProtocolError('internal', `compute worker died: ${this.dead.message}`);
    const rid = this.nextRid++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.worker.postMessage({ ...msg, rid }, transfer);
      } catch (e) {
        this.pending.delete(rid);
        reject(e as Error);
      }
    });
  }

  /** Kill and replace the worker (hard time limit, or death). */
  async replace(): Promise<void> {
    const old = this.worker;
    this.spawn();
    await old.terminate().catch(() => {});
  }

  async terminate(): Promise<void> {
    this.dead = new Error('server closed');
    await this.worker.terminate().catch(() => {});
  }
}

export class WorkerEngine implements Engine {
  private slots: Slot[] = [];
  private closing = false;
  constructor(
    private backend: string,
    readonly concurrency: number,
    private log: (msg: string, extra?: object) => void = () => {},
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.concurrency; i++) {
      this.slots.push(
        new Slot(this.backend, (s, e) => {
          if (this.closing) return;
          this.log('compute worker died; starting a new one', { error: e.message });
          s.replace().catch(() => {});
        }),
      );
    }
    await Promise.all(this.slots.map((s) => s.waitReady()));
  }

  private idle(): Slot {
    const s = this.slots.find((x) => !x.busy);
    if (!s) throw new ProtocolError('internal', 'no idle compute worker (scheduler bug)');
    return s;
  }

  async load(src: GraphSource): Promise<GraphMeta> {
    const s = this.slots.find((x) => !x.busy) ?? this.slots[0]!;
    const meta = await s.call<GraphMeta>({ op: 'load', id: src.id, text: src.text, blobs: [...src.blobs] });
    s.loaded.add(src.id);
    return meta;
  }

  async unload(id: string): Promise<void> {
    await Promise.all(
      this.slots
        .filter((s) => s.loaded.has(id))
        .map(async (s) => {
          s.loaded.delete(id);
          await s.call({ op: 'unload', id }).catch(() => {});
        }),
    );
  }

  async run(src: GraphSource, inputs: Map<string, Tensor>, opts: RunOptions): Promise<RunResult> {
    const s = this.idle();
    s.busy = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      if (!s.loaded.has(src.id)) {
        await s.call({ op: 'load', id: src.id, text: src.text, blobs: [...src.blobs] });
        s.loaded.add(src.id);
      }
      // decoded inputs own their buffers (fresh arrays or views of this request's body)
      const { packed, transfer } = packTensors([...inputs], undefined, true);
      const work = s.call<{ outputs: Packed[]; computeMs: number }>(
        { op: 'run', id: src.id, inputs: packed, wanted: opts.wanted, slowMs: opts.slowMs ?? 0 },
        transfer,
      );
      const limit = opts.hardLimitMs;
      const r =
        limit === undefined
          ? await work
          : await Promise.race([
              work,
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                  reject(
                    new ProtocolError(
                      'deadline_exceeded',
                      `run overran its deadline by more than the grace period (${limit} ms in all); the computation ` +
                        `was stopped`,
                    ),
                  );
                  s.replace().catch(() => {});
                }, limit);
              }),
            ]);
      return { outputs: unpackTensors(r.outputs), computeMs: r.computeMs };
    } finally {
      if (timer) clearTimeout(timer);
      s.busy = false;
    }
  }

  calibrate(): Promise<Calibration> {
    return this.slots[0]!.call<Calibration>({ op: 'calibrate' });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.terminate()));
  }
}
