// The LLM worker thread of the offload server: loads the models of `serve --llm`, compiles and
// times them once (the figures clients plan with), and runs generations, streaming their tokens
// back, so the HTTP thread stays free for health checks, refusals and other routes. Tokens go out
// in one message per turn of this thread's event loop (a batched step's tokens of every stream
// together, not a message per token per stream). An abort message stops a generation between
// steps (its KV cache is freed by the engine).

import { parentPort, workerData } from 'node:worker_threads';
import '../index.js';
import { paramCount } from '../agent/llm/config.js';
import { type GenerationResult, weightsBytes } from '../agent/llm/engine.js';
import { modelFingerprint } from '../agent/llm/fingerprint.js';
import { decodeKv, encodeKv } from '../agent/llm/kv-blob.js';
import { loadLlm } from '../agent/llm/load.js';
import { type ChatRequest, EngineProvider } from '../agent/nodes/models.js';
import type { Device } from '../backends/device.js';
import type { LlmInfo } from '../protocol/llm.js';
import { discoverDevices } from '../runtime/devices.js';

export interface LlmLoadSpec {
  name: string;
  path: string;
  capacity?: number;
  quantization?: 'dequantize' | 'int8';
  /** Continuous batching: sequences decoded together at most (1: one generation at a time). */
  batch?: number;
  /**
   * Paged KV cache: positions per block and blocks in the pool (default: every slot at min(capacity, 512)
   * positions).
   */
  kvBlockSize?: number;
  kvBlocks?: number;
  /** Reuse the KV blocks of cached prompt prefixes (default true). */
  prefixReuse?: boolean;
}

/** A request as it crosses the thread boundary (no signal, no devices); `kvBlob`: a KV hand-off's bytes. */
export type WireChatRequest = Omit<ChatRequest, 'signal' | 'prefill' | 'decode' | 'kv'> & { kvBlob?: Uint8Array };

/** What the prefill half of a disaggregated completion returns. */
export interface PrefillResult {
  promptTokens: number;
  first: number;
  firstText: string;
  stop: boolean;
  sha256: string;
  blob: Uint8Array;
  ms: number;
}

export type ToWorker =
  | { op: 'load'; rid: number; spec: LlmLoadSpec }
  | { op: 'generate'; rid: number; name: string; request: WireChatRequest }
  | { op: 'prefill'; rid: number; name: string; request: WireChatRequest }
  | { op: 'abort'; rid: number };

/** A streamed token as it crosses the thread boundary, with the generation (rid) it belongs to. */
export interface WireToken {
  rid: number;
  id: number;
  text: string;
  index: number;
  atMs: number;
  logprobs?: unknown;
}

export type FromWorker =
  | { ready: true; device: string }
  | { ready: false; message: string }
  | { rid: number; progress: string }
  | { tokens: WireToken[] }
  | { rid: number; ok: true; value: unknown }
  | { rid: number; ok: false; message: string; code?: string; status?: number };

const { backend, slowMs = 0 } = workerData as { backend: string; slowMs?: number };
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
/** Tokens not sent yet: flushed once the step that made them has handed every stream its token. */
let outbox: WireToken[] = [];
const flush = () => {
  const tokens = outbox;
  outbox = [];
  if (tokens.length) send({ tokens });
};
const sendToken = (t: WireToken) => {
  if (!outbox.length) setImmediate(flush);
  outbox.push(t);
};
const providers = new Map<string, EngineProvider>();
const running = new Map<number, AbortController>();
/** Models whose generations share a step loop (the throttle is then per step, in the loop). */
const batched = new Set<string>();
const fingerprints = new Map<string, string>();
let device: Device;

try {
  const found = await discoverDevices({
    devices: [{ kind: (backend === 'cpu' ? 'reference' : backend) as Device['kind'] }],
    calibration: 'never',
  });
  device = found.entries[0]!.device;
  send({ ready: true, device: device.id });
} catch (e) {
  send({ ready: false, message: (e as Error).message });
}

/** Token ids that make a prompt of n tokens (any ids in the vocabulary time the same). */
const probe = (n: number, vocab: number) => Array.from({ length: n }, (_, i) => (i * 7919 + 11) % vocab);

async function load(rid: number, spec: LlmLoadSpec): Promise<LlmInfo> {
  const progress = (s: string) => send({ rid, progress: s });
  const t0 = performance.now();
  const model = await loadLlm(spec.path, { name: spec.name, quantization: spec.quantization });
  if (!model.tokenizer)
    throw new Error(
      `model '${spec.name}' (${spec.path}) has no tokenizer; chat completions need one (put tokenizer.json beside ` +
        `the weights)`,
    );
  const c = model.config;
  progress(
    `read ${(paramCount(c) / 1e6).toFixed(1)} M parameters (${c.arch}, ${c.numLayers} layers) in ` +
      `${(performance.now() - t0).toFixed(0)} ms`,
  );
  const fingerprint = await modelFingerprint(model);
  const provider = new EngineProvider(model, { prefill: device, capacity: spec.capacity });
  const engine = provider.engine;
  const slots = spec.batch ?? 1;
  if (slots > 1) {
    try {
      const loop = await engine.enableBatching({
        maxBatch: slots,
        blockSize: spec.kvBlockSize,
        blocks: spec.kvBlocks,
        prefixReuse: spec.prefixReuse,
        stepDelayMs: slowMs,
      });
      batched.add(spec.name);
      progress(
        `continuous batching: ${slots} slots, paged KV cache of ${loop.pool.numBlocks} blocks × ` +
          `${loop.pool.blockSize} positions`,
      );
    } catch (e) {
      progress(`continuous batching is off (${(e as Error).message}); one generation at a time`);
    }
  }
  const t1 = performance.now();
  await engine.warmup();
  progress(
    `compiled prefill (buckets ${engine.buckets.join(', ')}) and decode on ${device.id} in ` +
      `${(performance.now() - t1).toFixed(0)} ms`,
  );
  // one timed generation per bucket (prefill + first token), and a few decode steps
  // (twice when that is cheap: the first generation after compiling still pays for first touches)
  const ms: number[] = engine.buckets.map(() => Infinity);
  const room = Math.min(engine.capacity, c.contextLength);
  for (let pass = 0, spent = 0; pass < 2 && (pass === 0 || spent < 1000); pass++) {
    for (const [i, b] of engine.buckets.entries()) {
      const r = await engine
        .generate(probe(Math.min(b, room - 1), c.vocabSize), { maxTokens: 1, ignoreEos: true })
        .collect();
      ms[i] = Math.min(ms[i]!, r.ttftMs);
      spent += r.ttftMs;
    }
  }
  const short = Math.min(engine.buckets[0]!, Math.max(1, room - 3));
  const d = await engine
    .generate(probe(short, c.vocabSize), { maxTokens: Math.max(2, Math.min(16, room - short)), ignoreEos: true })
    .collect();
  const loop = engine.batcher;
  const batching = loop ? await measureBatches(engine, short, Math.max(2, Math.min(8, room - short))) : undefined;
  providers.set(spec.name, provider);
  fingerprints.set(spec.name, fingerprint);
  progress(
    `measured: TTFT ${ms.map((x, i) => `${x.toFixed(1)} ms at ${engine.buckets[i]} tokens`).join(', ')}; ` +
      `TPOT ${d.tpotMs.toFixed(2)} ms` +
      (batching
        ? `; TPOT in a batch of ` +
          batching.sizes.map((b, i) => `${b}: ${batching.tpotMs[i]!.toFixed(2)} ms`).join(', ')
        : ''),
  );
  // the throttle is inside the measured steps when batching; added to the figures otherwise
  const extra = loop ? 0 : slowMs;
  return {
    id: spec.name,
    fingerprint,
    arch: c.arch,
    params: paramCount(c),
    contextLength: c.contextLength,
    capacity: engine.capacity,
    weightBytes: weightsBytes(model.weights),
    device: device.id,
    prefill: { buckets: [...engine.buckets], ms: ms.map((x) => x + extra) },
    tpotMs: d.tpotMs + extra,
    ...(loop && batching
      ? { batching: { slots: loop.maxBatch, blockSize: loop.pool.blockSize, blocks: loop.pool.numBlocks, ...batching } }
      : {}),
    runs: 0,
    source: `measured at load on ${device.id}`,
  };
}

/** TPOT at decode batches of 1, 2, 4, … slots: that many generations started together. */
async function measureBatches(
  engine: EngineProvider['engine'],
  promptLen: number,
  tokens: number,
): Promise<{ sizes: number[]; tpotMs: number[] }> {
  const slots = engine.batcher!.maxBatch,
    V = engine.model.config.vocabSize;
  const sizes: number[] = [];
  for (let b = 1; b < slots; b *= 2) sizes.push(b);
  sizes.push(slots);
  const tpotMs: number[] = [];
  for (const b of sizes) {
    const rs = await Promise.all(
      Array.from({ length: b }, (_, i) =>
        engine
          .generate(
            probe(promptLen, V).map((x) => (x + i) % V),
            { maxTokens: tokens, ignoreEos: true },
          )
          .collect(),
      ),
    );
    // the steps after every stream has its first token are the batch's own
    tpotMs.push(Math.max(...rs.map((r) => r.tpotMs)));
  }
  return { sizes, tpotMs };
}

function providerOf(name: string): EngineProvider {
  const p = providers.get(name);
  if (!p)
    throw Object.assign(new Error(`model '${name}' is not loaded in the LLM worker`), {
      code: 'model_not_found',
      status: 404,
    });
  return p;
}

async function prefill(name: string, request: WireChatRequest): Promise<PrefillResult> {
  const p = providerOf(name);
  const r = await p.prefill(request);
  const { bytes, sha256 } = encodeKv(r.kv, p.model.config, fingerprints.get(name)!);
  return {
    promptTokens: r.ids.length,
    first: r.first,
    firstText: p.model.tokenizer?.decode([r.first]) ?? '',
    stop: r.stop,
    sha256,
    blob: bytes,
    ms: r.ms,
  };
}

async function generate(rid: number, name: string, request: WireChatRequest): Promise<GenerationResult> {
  const p = providerOf(name);
  const ac = new AbortController();
  running.set(rid, ac);
  try {
    const { kvBlob, ...rest } = request;
    const bad = (e: unknown) => Object.assign(new Error((e as Error).message), { code: 'bad_request', status: 400 });
    let kv;
    try {
      kv = kvBlob ? decodeKv(kvBlob, p.model.config, fingerprints.get(name)!) : undefined;
    } catch (e) {
      throw bad(e);
    }
    const gen = p.chat({ ...rest, ...(kv ? { kv } : {}), signal: ac.signal });
    for await (const t of gen) {
      const wire: WireToken = { rid, id: t.id, text: t.text, index: t.index, atMs: t.atMs };
      if ('logprobs' in t) wire.logprobs = t.logprobs;
      sendToken(wire);
      // --slow-ms: a slow device for tests and demos, per token here (per step in a batching loop)
      if (slowMs > 0 && !batched.has(name)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, slowMs);
    }
    return await gen.result;
  } finally {
    running.delete(rid);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.op === 'abort') {
    running.get(m.rid)?.abort();
    return;
  }
  const work =
    m.op === 'load'
      ? load(m.rid, m.spec)
      : m.op === 'prefill'
        ? prefill(m.name, m.request)
        : generate(m.rid, m.name, m.request);
  work.then(
    (value) => {
      flush(); // a generation's tokens before its result
      send({ rid: m.rid, ok: true, value });
    },
    (e: unknown) => {
      flush();
      const x = e as { message?: string; code?: unknown; status?: unknown };
      send({
        rid: m.rid,
        ok: false,
        message: x?.message ?? String(e),
        ...(typeof x?.code === 'string' ? { code: x.code } : {}),
        ...(typeof x?.status === 'number' ? { status: x.status } : {}),
      });
    },
  );
});
