// Continuous batching: one step loop per engine that interleaves the prefill chunks and decode
// steps of every running generation. Each turn runs the decode steps of all sequences that are
// ready as one batched step (B rows through one MatMul per linear layer, B padded up to a power of
// two so few graphs compile), then one prefill chunk of a newly admitted sequence, so a long prompt
// delays the running streams by one chunk at a time and not by its whole prefill (Orca, Sarathi).
// The KV cache is paged (paged-kv.ts); admission waits for a slot and for the blocks the sequence
// may reach. A request whose signal aborts is dropped before its next step and its blocks return
// to the pool, so a client that leaves frees its slot within one step. A step attends over the
// span its sequences have reached (a power of two), and on devices with Device.writeRows the new
// key/value rows are written into the pool in place (no per-step copy of the pool). Admission
// given the prompt reuses the cached blocks of its longest cached prefix (prefix-cache.ts).

import type { Device } from '../../backends/device.js';
import { Tensor } from '../../ir/tensor.js';
import type { LlmConfig } from './config.js';
import { PagedKvPool, type PagedSequence } from './paged-kv.js';
import { buildPagedStepGraph } from './paged-model.js';
import { DeviceProgram, type WeightCache } from './program.js';
import { rowWriter } from './row-writes.js';
import type { ModelWeights } from './weights.js';

export interface BatchingOptions {
  /** Sequences decoded together at most (the batch's slots); default 16. */
  maxBatch?: number;
  /** Positions per KV block; default 16. */
  blockSize?: number;
  /**
   * Blocks in the pool (the padding block included); the engine's default: every slot at
   * min(capacity, 512) positions.
   */
  blocks?: number;
  /** Extra time per step, ms (a throttled device standing for a slower accelerator). */
  stepDelayMs?: number;
  /** Reuse the KV blocks of cached prompt prefixes (default true). */
  prefixReuse?: boolean;
  /** Write new rows in place when the device can (default true; false: ScatterND copies the pool). */
  inPlace?: boolean;
}

interface StepRequest {
  seq: PagedSequence;
  tokens: number[];
  pos0: number;
  signal?: AbortSignal;
  resolve(logits: Float32Array | undefined): void;
  reject(e: unknown): void;
}

interface AdmitWaiter {
  positions: number;
  prompt?: readonly number[];
  signal?: AbortSignal;
  resolve(s: PagedSequence | undefined): void;
  reject(e: unknown): void;
}

export interface BatcherStats {
  steps: number;
  decodeSteps: number;
  decodeRows: number;
  prefillSteps: number;
  /** Largest decode batch so far. */
  maxRows: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class StepLoop {
  readonly maxBatch: number;
  readonly stats: BatcherStats = { steps: 0, decodeSteps: 0, decodeRows: 0, prefillSteps: 0, maxRows: 0 };
  private readonly programs = new Map<string, Promise<DeviceProgram>>();
  private decodes: StepRequest[] = [];
  private prefills: StepRequest[] = [];
  private admitQueue: AdmitWaiter[] = [];
  /** Sequences admitted and not released: each will submit again after its step resolves. */
  private active = new Set<PagedSequence>();
  /** Sequences whose last step resolved and whose next one has not come yet. */
  private expected = new Set<PagedSequence>();
  private running = false;
  private stepDelayMs: number;
  /** How long the last decode step took, ms. */
  private lastStepMs = 0;
  /** The step graphs write no pool: the host writes the new rows in place. */
  readonly inPlace: boolean;

  private constructor(
    private readonly config: LlmConfig,
    private readonly weights: ModelWeights,
    private readonly weightCache: WeightCache,
    readonly pool: PagedKvPool,
    readonly capacity: number,
    /** Prefill chunk lengths, ascending (the engine's buckets). */
    private readonly buckets: number[],
    private readonly rope: { cos: Tensor; sin: Tensor } | undefined,
    opts: BatchingOptions,
  ) {
    this.maxBatch = opts.maxBatch ?? 16;
    this.stepDelayMs = opts.stepDelayMs ?? 0;
    this.inPlace = (opts.inPlace ?? true) && rowWriter(pool.device) !== undefined;
    pool.reuse = opts.prefixReuse ?? true;
  }

  static async create(
    c: LlmConfig,
    w: ModelWeights,
    weights: WeightCache,
    capacity: number,
    buckets: number[],
    rope: StepLoop['rope'],
    owner: string,
    opts: BatchingOptions = {},
  ): Promise<StepLoop> {
    const maxBatch = opts.maxBatch ?? 16;
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1))
      throw new Error(`${owner}: maxBatch must be a positive integer, got ${maxBatch}`);
    const bs = opts.blockSize ?? 16;
    const blocks = opts.blocks ?? maxBatch * Math.ceil(capacity / bs) + 1;
    const pool = await PagedKvPool.create(weights.device, c, bs, blocks, owner);
    return new StepLoop(c, w, weights, pool, capacity, buckets, rope, opts);
  }

  get device(): Device {
    return this.pool.device;
  }
  get activeCount(): number {
    return this.active.size;
  }
  get waiting(): number {
    return this.admitQueue.length;
  }

  /** Padded batch size: the next power of two (at most maxBatch's). */
  batchBucket(n: number): number {
    let b = 1;
    while (b < n) b *= 2;
    return Math.min(b, 2 ** Math.ceil(Math.log2(this.maxBatch)));
  }

  /** Pool positions a step reads: a power of two from 32 (at least `reach`), at most the capacity. */
  spanBucket(reach: number): number {
    let s = Math.min(32, this.capacity);
    while (s < reach && s < this.capacity) s = Math.min(2 * s, this.capacity);
    return s;
  }

  private get spans(): number[] {
    const out = [this.spanBucket(0)];
    while (out[out.length - 1]! < this.capacity) out.push(this.spanBucket(out[out.length - 1]! + 1));
    return out;
  }

  private program(batch: number, seq: number, span: number): Promise<DeviceProgram> {
    const key = `${batch}x${seq}x${span}`;
    let p = this.programs.get(key);
    if (!p) {
      const shape = { batch, seq, span, poolRows: this.pool.rows, inPlace: this.inPlace };
      const g = buildPagedStepGraph(this.config, this.weights, shape, this.rope);
      p = DeviceProgram.create(g, this.weightCache);
      p.catch(() => this.programs.delete(key));
      this.programs.set(key, p);
    }
    return p;
  }

  /**
   * Compile the decode graphs of every batch bucket and the prefill buckets, and run each once on
   * padding rows only (devices plan a graph's first run; padding writes only the padding block).
   */
  async warmup(): Promise<void> {
    const sizes = new Set(Array.from({ length: this.maxBatch }, (_, i) => this.batchBucket(i + 1)));
    for (const span of this.spans) for (const b of sizes) await this.forward([], b, 1, span);
    const budget = this.buckets[this.buckets.length - 1]!;
    for (const n of this.buckets)
      for (const b of sizes) if (b === 1 || b * n <= budget) await this.forward([], b, n, this.spanBucket(0));
  }

  /**
   * A slot and the KV blocks for `positions`; waits while the batch is full; undefined if aborted
   * first. Given the prompt, the sequence starts with its longest cached prefix (`seq.cached`).
   */
  admit(positions: number, signal?: AbortSignal, prompt?: readonly number[]): Promise<PagedSequence | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const w: AdmitWaiter = { positions, prompt, signal, resolve, reject };
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.admitQueue.indexOf(w);
          if (i >= 0) {
            this.admitQueue.splice(i, 1);
            resolve(undefined);
          }
        },
        { once: true },
      );
      this.admitQueue.push(w);
      this.pumpAdmissions();
    });
  }

  private pumpAdmissions(): void {
    while (this.admitQueue.length && this.active.size < this.maxBatch) {
      const w = this.admitQueue[0]!;
      let s: PagedSequence | undefined;
      try {
        s = this.pool.admit(w.positions, w.prompt);
      } catch (e) {
        this.admitQueue.shift();
        w.reject(e);
        continue;
      }
      if (!s) return; // blocks come back when a sequence finishes
      this.admitQueue.shift();
      this.active.add(s);
      w.resolve(s);
    }
  }

  /** Give a sequence's slot and blocks back (finish, abort, error). */
  release(s: PagedSequence): void {
    this.active.delete(s);
    this.expected.delete(s);
    s.release();
    this.pumpAdmissions();
  }

  /** Queue one step of `tokens` at positions pos0.. for a sequence; undefined when aborted before it ran. */
  step(seq: PagedSequence, tokens: number[], pos0: number, signal?: AbortSignal): Promise<Float32Array | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    // a prefill chunk inside the cached prefix is done already (the prompt's last token never is,
    // so the chunk whose logits count always runs); one that overlaps it starts after it
    const skip = Math.min(tokens.length, Math.max(0, seq.cached - pos0));
    if (skip === tokens.length) return Promise.resolve(new Float32Array(0));
    if (skip) return this.step(seq, tokens.slice(skip), pos0 + skip, signal);
    return new Promise((resolve, reject) => {
      this.expected.delete(seq);
      const r: StepRequest = { seq, tokens, pos0, signal, resolve, reject };
      (tokens.length === 1 ? this.decodes : this.prefills).push(r);
      if (!this.running) {
        this.running = true;
        void this.loop();
      }
    });
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        // let the sequences whose step just resolved sample and come back, so they share this step
        // (up to half a step: on a busy host sampling and streaming 16 tokens takes a while)
        const t0 = performance.now(),
          wait = Math.max(2, this.lastStepMs / 2);
        while ([...this.expected].some((s) => this.active.has(s)) && performance.now() - t0 < wait) await tick();
        this.dropAborted();
        if (!this.decodes.length && !this.prefills.length) break;
        if (this.decodes.length) await this.run(this.decodes.splice(0, this.maxBatch));
        this.dropAborted();
        const p = this.takePrefills();
        if (p.length) await this.run(p);
      }
    } finally {
      this.running = false;
      if (this.decodes.length || this.prefills.length) {
        this.running = true;
        void this.loop();
      }
    }
  }

  /**
   * The next prefill chunks: the first waiting one and those after it of the same padded length,
   * while the step stays within the largest bucket's tokens (a burst of short prompts shares one step).
   */
  private takePrefills(): StepRequest[] {
    const first = this.prefills[0];
    if (!first) return [];
    const n = this.chunkLength(first.tokens.length);
    const budget = Math.max(n, this.buckets[this.buckets.length - 1]!);
    const out: StepRequest[] = [];
    for (let i = 0; i < this.prefills.length && out.length < this.maxBatch; ) {
      const r = this.prefills[i]!;
      if (this.chunkLength(r.tokens.length) === n && this.batchBucket(out.length + 1) * n <= budget) {
        out.push(r);
        this.prefills.splice(i, 1);
      } else i++;
    }
    return out;
  }

  private chunkLength(real: number): number {
    return real === 1 ? 1 : (this.buckets.find((b) => b >= real) ?? real);
  }

  private dropAborted(): void {
    for (const q of [this.decodes, this.prefills]) {
      for (let i = q.length - 1; i >= 0; i--)
        if (q[i]!.signal?.aborted) {
          q[i]!.resolve(undefined);
          q.splice(i, 1);
        }
    }
  }

  private async run(reqs: StepRequest[]): Promise<void> {
    const decode = reqs[0]!.tokens.length === 1;
    const n = Math.max(...reqs.map((r) => this.chunkLength(r.tokens.length)));
    try {
      const t0 = performance.now();
      const data = await this.forward(reqs, this.batchBucket(reqs.length), n);
      if (decode) this.lastStepMs = performance.now() - t0;
      this.count(decode, reqs.length);
      if (this.stepDelayMs > 0) await sleep(this.stepDelayMs);
      const V = this.config.vocabSize;
      reqs.forEach((r, b) => {
        if (decode) {
          r.seq.decodeSteps++;
          r.seq.batchRows += reqs.length;
        }
        r.seq.wrote(r.pos0, r.tokens);
        if (!r.seq.released) this.expected.add(r.seq);
        r.resolve(data.slice(b * V, (b + 1) * V));
      });
    } catch (e) {
      for (const r of reqs) r.reject(e);
    }
  }

  /** One step over B rows of n tokens (rows past the requests are padding); returns the logits [B, V]. */
  private async forward(reqs: StepRequest[], B: number, n: number, span?: number): Promise<Float32Array> {
    const C = this.capacity,
      inPlace = this.inPlace;
    // in place, the pool holds the positions before the step and the step's rows are appended
    const S = span ?? this.spanBucket(Math.max(0, ...reqs.map((r) => r.pos0 + (inPlace ? 0 : r.tokens.length))));
    const K = inPlace ? S + n : S;
    const ids = new BigInt64Array(B * n),
      pos = new BigInt64Array(B * n),
      write = new Array<number>(B * n).fill(0);
    const last = BigInt64Array.from({ length: B }, (_, b) =>
      BigInt(b * n + (reqs[b] ? reqs[b]!.tokens.length - 1 : 0)),
    );
    const read = new BigInt64Array(B * S),
      mask = new Float32Array(B * n * K).fill(-1e9),
      real = new Uint8Array(B * n);
    reqs.forEach((r, b) => {
      const end = r.pos0 + r.tokens.length;
      if (end > C) throw new Error(`sequence ${r.seq.id}: position ${end - 1} is past the KV capacity ${C}`);
      r.seq.grow(end);
      for (let j = 0; j < (inPlace ? r.pos0 : end); j++) read[b * S + j] = BigInt(r.seq.row(j));
      for (let i = 0; i < r.tokens.length; i++) {
        const at = b * n + i;
        ids[at] = BigInt(r.tokens[i]!);
        pos[at] = BigInt(r.pos0 + i);
        write[at] = r.seq.row(r.pos0 + i);
        real[at] = 1;
        if (inPlace) {
          mask.fill(0, at * K, at * K + r.pos0);
          mask.fill(0, at * K + S, at * K + S + i + 1);
        } else mask.fill(0, at * K, at * K + r.pos0 + i + 1);
      }
      r.seq.length = Math.max(r.seq.length, end);
    });
    // padding rows and padding tokens see position 0 only and write to the padding block
    for (let at = 0; at < B * n; at++) if (!real[at]) mask[at * K] = 0;
    const prog = await this.program(B, n, S);
    const outs = await prog.run([
      new Tensor('int64', ids, [B, n]),
      new Tensor('int64', pos, [B, n]),
      new Tensor('float32', mask, [B, 1, n, K]),
      ...(inPlace ? [] : [new Tensor('int64', BigInt64Array.from(write, BigInt), [B * n, 1])]),
      new Tensor('int64', read, [B, S]),
      new Tensor('int64', last, [B]),
      ...this.pool.tensors,
    ]);
    let logits: Tensor;
    try {
      if (inPlace) await this.pool.writeRows(write, outs.slice(1));
      else this.pool.replace(outs.slice(1));
      logits = await this.device.download(outs[0]!);
    } finally {
      this.device.release(outs[0]!);
    }
    return logits.data as Float32Array;
  }

  private count(decode: boolean, rows: number): void {
    const s = this.stats;
    s.steps++;
    if (decode) {
      s.decodeSteps++;
      s.decodeRows += rows;
      s.maxRows = Math.max(s.maxRows, rows);
    } else s.prefillSteps++;
  }

  dispose(): void {
    this.pool.dispose();
    this.programs.clear();
  }
}
