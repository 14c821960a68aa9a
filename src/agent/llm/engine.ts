// The LLM runtime: prefill and decode as separately placed phases over device-resident KV caches
// (the token-by-token loop is generation-loop.ts).
//
//   const engine = new LlmEngine(model, { prefill: gpu, decode: cpu });
//   const gen = engine.generate('Hello', { maxTokens: 32, temperature: 0.7, seed: 1 });
//   for await (const t of gen) process.stdout.write(t.text);
//   const { ttftMs, tpotMs } = await gen.result;
//
// Prefill runs the prompt in chunks of a bucketed length (one compiled graph per bucket), decode one
// token per step with a graph compiled once. When the phases are on different devices the cache
// moves after the first token (Splitwise). Whatever happens - an error, an abort, a consumer that
// stops iterating - the cache is freed.

import type { Device } from '../../backends/device.js';
import type { Graph } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { type BatchingOptions, StepLoop } from './batcher.js';
import { kvCacheBytes } from './config.js';
import { runGeneration, type Stepper } from './generation-loop.js';
import type { KvRows } from './kv-blob.js';
import { deviceMemoryBytes, KvCache } from './kv-cache.js';
import { buildStepGraph, ropeTables } from './model.js';
import { DeviceProgram, WeightCache } from './program.js';
import { checkSampling, Sampler } from './sampling.js';
import { stepModesFor } from './step-modes.js';
import { Utf8Guard } from './utf8-guard.js';
import { isQ8, type ModelWeights } from './weights.js';

export { type DecodeConstraint, logprobsOf } from './decode-hooks.js';
export * from './generation.js';

import { type EngineOptions, type GenerateOptions, Generation, type LlmModel } from './generation.js';

export { stepModesFor };

export const DEFAULT_BUCKETS = [8, 32, 128];
/** Positions per slot the paged KV pool holds by default. */
export const DEFAULT_POOL_POSITIONS = 512;

const now = () => performance.now();

export function weightsBytes(w: ModelWeights): number {
  let b = w.embed.byteLength + (w.posEmbed?.byteLength ?? 0);
  const m = (x: ModelWeights['lmHead']) =>
    (isQ8(x.w) ? x.w.values.byteLength + x.w.scales.byteLength : x.w.byteLength) + (x.b?.byteLength ?? 0);
  for (const l of w.layers) {
    for (const x of [l.q, l.k, l.v, l.o, l.up, l.down, ...(l.gate ? [l.gate] : [])]) b += m(x);
    b += l.attnNorm.w.byteLength + l.ffnNorm.w.byteLength;
  }
  return b + m(w.lmHead);
}

export class LlmEngine {
  readonly capacity: number;
  private prefillDevice: Device;
  private decodeDevice: Device;
  /** Prefill chunk lengths, ascending. */
  readonly buckets: number[];
  private readonly programs = new Map<Device, Map<number, Promise<DeviceProgram>>>();
  private readonly graphs = new Map<Device, Map<number, Graph>>();
  private readonly weightCaches = new Map<Device, WeightCache>();
  private readonly rope;
  readonly weightBytes: number;
  /** The continuous-batching step loop, once enableBatching() made it. */
  batcher?: StepLoop;

  constructor(
    readonly model: LlmModel,
    opts: EngineOptions,
  ) {
    const c = model.config;
    this.capacity = Math.min(opts.capacity ?? 1024, c.contextLength);
    this.prefillDevice = opts.prefill;
    this.decodeDevice = opts.decode ?? opts.prefill;
    this.buckets = [...(opts.buckets ?? DEFAULT_BUCKETS)].filter((b) => b <= this.capacity).sort((a, b) => a - b);
    if (!this.buckets.length) this.buckets.push(this.capacity);
    this.rope = c.arch === 'llama' ? ropeTables(c, c.contextLength) : undefined;
    this.weightBytes = weightsBytes(model.weights);
  }

  /** The continuous-batching loop, when enableBatching() turned it on. */
  get stepLoop(): StepLoop | undefined {
    return this.batcher;
  }

  /** Devices of the two phases. */
  get placement(): { prefill: Device; decode: Device } {
    return { prefill: this.prefillDevice, decode: this.decodeDevice };
  }

  /** Re-place the phases (the planner's decision); compiled programs are kept per device. */
  place(p: { prefill?: Device; decode?: Device }): void {
    if (p.prefill) this.prefillDevice = p.prefill;
    if (p.decode) this.decodeDevice = p.decode;
  }

  /** Ops that run on the reference fallback on either phase's device. */
  async fallbacks(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const m of this.programs.values())
      for (const p of m.values()) for (const [k, v] of (await p).fallbacks) out.set(k, v);
    return out;
  }

  private weights(device: Device): WeightCache {
    let w = this.weightCaches.get(device);
    if (!w) {
      w = new WeightCache(device);
      this.weightCaches.set(device, w);
    }
    return w;
  }

  /**
   * The step graph of a `seq`-token bucket (1: decode) as the engine compiles it on `device` (the
   * step ops the device has kernels for), at nn.* level. The planner costs this graph; program()
   * compiles a lowered copy of it, so it never changes.
   */
  stepGraph(device: Device, seq: number): Graph {
    let byLen = this.graphs.get(device);
    if (!byLen) this.graphs.set(device, (byLen = new Map()));
    let g = byLen.get(seq);
    if (!g) {
      const modes = stepModesFor(device, this.model.config);
      g = buildStepGraph(this.model.config, this.model.weights, { seq, capacity: this.capacity, ...modes }, this.rope);
      byLen.set(seq, g);
    }
    return g;
  }

  /** The graph compiled for `device` and bucket `seq` (stepGraph after the device's passes); compiles it if needed. */
  async compiledGraph(device: Device, seq: number): Promise<Graph> {
    return (await this.program(device, seq)).graph;
  }

  private program(device: Device, seq: number): Promise<DeviceProgram> {
    let byLen = this.programs.get(device);
    if (!byLen) this.programs.set(device, (byLen = new Map()));
    let p = byLen.get(seq);
    if (!p) {
      p = DeviceProgram.create(this.stepGraph(device, seq), this.weights(device));
      p.catch(() => byLen.delete(seq));
      byLen.set(seq, p);
    }
    return p;
  }

  /**
   * Whether a step of `tokens` (1: a decode step) on `device` has its graph compiled already (the
   * planner's first-run costs).
   */
  isCompiled(device: Device, tokens: number): boolean {
    const chunk = this.buckets[this.buckets.length - 1]!;
    return this.programs.get(device)?.has(this.bucketFor(Math.min(tokens, chunk))) ?? false;
  }

  /** The graph bucket a step of `tokens` runs (1: decode; a longer prompt runs the largest in chunks). */
  bucketOf(tokens: number): number {
    return this.bucketFor(Math.min(tokens, this.buckets[this.buckets.length - 1]!));
  }

  /** Compile the decode graph and the prefill buckets ahead of the first request. */
  async warmup(): Promise<void> {
    if (this.batcher) {
      await this.batcher.warmup();
      return;
    }
    await this.program(this.decodeDevice, 1);
    for (const b of this.buckets) await this.program(this.prefillDevice, b);
  }

  /**
   * Continuous batching on the decode device (a paged KV pool and one step loop): generations
   * placed with prefill and decode on that device share its steps; others run alone as before.
   */
  async enableBatching(opts: BatchingOptions = {}): Promise<StepLoop> {
    if (this.batcher) return this.batcher;
    const device = this.decodeDevice;
    const modes = stepModesFor(device, this.model.config);
    if (modes.attention !== 'op' || (this.rope && modes.rope !== 'op')) {
      throw new Error(
        `model '${this.model.name}': continuous batching needs Attention and RotaryEmbedding kernels on ` +
          `'${device.id}' (it has ${modes.attention === 'op' ? 'Attention' : 'no Attention'}, ` +
          `${modes.rope === 'op' ? 'RotaryEmbedding' : 'no RotaryEmbedding'})`,
      );
    }
    const bs = opts.blockSize ?? 16;
    // every step copies the pool (ScatterND writes a new tensor), so by default it holds every slot
    // at up to 512 positions, not at full capacity; longer sequences wait for blocks to come back
    const blocks =
      opts.blocks ?? (opts.maxBatch ?? 16) * Math.ceil(Math.min(this.capacity, DEFAULT_POOL_POSITIONS) / bs) + 1;
    const limit = deviceMemoryBytes(device);
    const need =
      2 * this.model.config.numLayers * blocks * bs * this.model.config.numKvHeads * this.model.config.headDim * 4;
    if (limit !== undefined && need + this.weightBytes > limit) {
      throw new Error(
        `model '${this.model.name}': the paged KV pool (${blocks} blocks of ${bs} positions) and the weights ` +
          `do not fit in the ${limit} bytes of '${device.id}'; lower maxBatch or the capacity`,
      );
    }
    this.batcher = await StepLoop.create(
      this.model.config,
      this.model.weights,
      this.weights(device),
      this.capacity,
      this.buckets,
      this.rope,
      `model '${this.model.name}'`,
      { ...opts, blockSize: bs, blocks },
    );
    return this.batcher;
  }

  private bucketFor(n: number): number {
    if (n === 1) return 1;
    return this.buckets.find((b) => b >= n) ?? this.buckets[this.buckets.length - 1]!;
  }

  /** One forward step of `tokens` at positions pos0.. on the cache's device; returns last-token logits. */
  async step(cache: KvCache, tokens: number[], pos0: number): Promise<Float32Array> {
    const n = tokens.length;
    const seq = this.bucketFor(n);
    const C = this.capacity;
    const prog = await this.program(cache.device, seq);
    const ids = new BigInt64Array(seq),
      pos = new BigInt64Array(seq);
    const mask = new Float32Array(seq * C).fill(-1e9),
      place = new Float32Array(C * seq),
      keep = new Float32Array(C).fill(1);
    const window = this.model.config.slidingWindow;
    const local = window ? new Float32Array(seq * C).fill(-1e9) : undefined;
    for (let i = 0; i < seq; i++) {
      const real = i < n;
      ids[i] = BigInt(real ? tokens[i]! : 0);
      pos[i] = BigInt(real ? pos0 + i : 0);
      const visible = real ? pos0 + i : 0; // padding rows look at position 0 only and write nothing
      for (let j = 0; j <= visible; j++) mask[i * C + j] = 0;
      // sliding layers see the last `window` positions (transformers masks j <= i - window)
      if (local) for (let j = Math.max(0, visible - window! + 1); j <= visible; j++) local[i * C + j] = 0;
      if (real) {
        place[(pos0 + i) * seq + i] = 1;
        keep[pos0 + i] = 0;
      }
    }
    const outs = await prog.run([
      new Tensor('int64', ids, [1, seq]),
      new Tensor('int64', pos, [1, seq]),
      new Tensor('float32', mask, [1, 1, seq, C]),
      new Tensor('float32', place, [C, seq]),
      new Tensor('float32', keep, [C, 1]),
      new Tensor('int64', BigInt64Array.of(BigInt(n - 1)), []),
      ...(local ? [new Tensor('float32', local, [1, 1, seq, C])] : []),
      ...cache.tensors,
    ]);
    let logits: Tensor;
    try {
      logits = await cache.device.download(outs[0]!);
    } catch (e) {
      for (const o of outs) cache.device.release(o);
      throw e;
    }
    cache.device.release(outs[0]!);
    cache.replace(outs.slice(1), n);
    return Float32Array.from(logits.data as Float32Array);
  }

  /** Prefill in chunks no longer than the largest bucket; undefined when aborted. */
  async prefill(step: Stepper, ids: number[], signal?: AbortSignal, start = 0): Promise<Float32Array | undefined> {
    const chunk = this.buckets[this.buckets.length - 1]!;
    let logits: Float32Array | undefined;
    for (let p = 0; p < ids.length; p += chunk) {
      if (signal?.aborted) return undefined;
      logits = await step(ids.slice(p, p + chunk), start + p);
      if (!logits) return undefined;
    }
    return logits;
  }

  where(node?: string): string {
    return node ? `node '${node}'` : `model '${this.model.name}'`;
  }

  encodePrompt(prompt: string | number[], addSpecial = false, node?: string): number[] {
    if (typeof prompt !== 'string') return prompt;
    if (!this.model.tokenizer)
      throw new Error(`${this.where(node)}: model '${this.model.name}' has no tokenizer; give token ids`);
    return this.model.tokenizer.encode(prompt, addSpecial);
  }

  checkLength(promptLen: number, maxTokens: number, node?: string): void {
    const c = this.model.config;
    if (promptLen === 0) throw new Error(`${this.where(node)}: the prompt is empty`);
    const total = promptLen + maxTokens;
    if (total > c.contextLength) {
      throw new Error(
        `${this.where(node)}: prompt of ${promptLen} tokens + max_tokens ${maxTokens} = ${total} exceeds the ` +
          `context length ${c.contextLength} of model '${this.model.name}'`,
      );
    }
    if (total > this.capacity) {
      throw new Error(
        `${this.where(node)}: prompt of ${promptLen} tokens + max_tokens ${maxTokens} = ${total} exceeds the ` +
          `KV cache capacity ${this.capacity} this engine was made with`,
      );
    }
  }

  async allocate(device: Device, node?: string): Promise<KvCache> {
    const held = this.weightCaches.get(device)?.bytes ?? 0;
    const limit = deviceMemoryBytes(device);
    const used = (device as { bytesInUse?: number }).bytesInUse;
    // weights not yet uploaded will be; memory already in use counts too when the device reports it
    const other = Math.max(this.weightBytes, held) + (used !== undefined ? Math.max(0, used - held) : 0);
    return KvCache.allocate(device, this.model.config, this.capacity, this.where(node), other, limit);
  }

  generate(prompt: string | number[], opts: GenerateOptions = {}): Generation {
    // the placement is fixed now, so generations placed differently may run side by side
    const placed = {
      ...opts,
      prefill: opts.prefill ?? this.prefillDevice,
      decode: opts.decode ?? opts.prefill ?? this.decodeDevice,
    };
    return new Generation((done) => runGeneration(this, prompt, placed, done));
  }

  /**
   * The prefill half of a disaggregated generation: the prompt's KV rows and the first token,
   * sampled as generate() would (a decode server continues with `kv` and `resume: [first]`).
   */
  async prefillExport(
    prompt: string | number[],
    opts: GenerateOptions = {},
  ): Promise<{ ids: number[]; first: number; stop: boolean; kv: KvRows; ms: number }> {
    const t0 = now();
    const where = this.where(opts.node);
    checkSampling(opts, where);
    const ids = this.encodePrompt(prompt, opts.addSpecialTokens, opts.node);
    const V = this.model.config.vocabSize;
    const badId = ids.find((i) => !(Number.isInteger(i) && i >= 0 && i < V));
    if (badId !== undefined) throw new Error(`${where}: token id ${badId} is outside the vocabulary (0..${V - 1})`);
    this.checkLength(ids.length, opts.maxTokens ?? 64, opts.node);
    const cache = await this.allocate(opts.prefill ?? this.prefillDevice, opts.node);
    try {
      let logits = await this.prefill((t, p) => this.step(cache, t, p), ids, opts.signal);
      if (!logits) throw new Error(`${where}: the prefill was aborted`);
      const tok = this.model.tokenizer;
      if (opts.validUtf8 && tok) new Utf8Guard(tok.utf8Table()).filter((logits = Float32Array.from(logits)));
      const first = new Sampler(opts).next(logits, [...ids]);
      const stop =
        !opts.ignoreEos &&
        ([...(tok?.stopIds ?? [])].includes(first) ||
          (!tok && first === this.model.config.eosTokenId) ||
          (opts.stopTokens ?? []).includes(first));
      return {
        ids,
        first,
        stop,
        kv: { positions: ids.length, layers: await cache.exportRows(ids.length) },
        ms: now() - t0,
      };
    } finally {
      cache.release();
    }
  }

  /**
   * Logits for teacher-forced tokens: prefill `ids[0..prefillLen)`, then decode the rest one at a
   * time; returns the logits after each position from prefillLen-1 on (tests and scoring).
   */
  async score(ids: number[], prefillLen: number): Promise<Float32Array[]> {
    this.checkLength(ids.length, 0);
    const cache = await this.allocate(this.prefillDevice);
    try {
      const rows = [(await this.prefill((t, p) => this.step(cache, t, p), ids.slice(0, prefillLen)))!];
      if (this.decodeDevice !== cache.device) await cache.transferTo(this.decodeDevice);
      for (let p = prefillLen; p < ids.length; p++) rows.push(await this.step(cache, [ids[p]!], p));
      return rows;
    } finally {
      cache.release();
    }
  }

  /** Bytes of a KV cache at this engine's capacity. */
  get kvBytes(): number {
    return kvCacheBytes(this.model.config, this.capacity);
  }

  /** Free the weights on every device and forget compiled programs. */
  dispose(): void {
    this.batcher?.dispose();
    this.batcher = undefined;
    for (const w of this.weightCaches.values()) w.release();
    this.weightCaches.clear();
    this.programs.clear();
    this.graphs.clear();
  }
}
