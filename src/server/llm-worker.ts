// The LLM worker thread of the offload server: loads the models of `serve --llm`, compiles and
// times them once (the figures clients plan with), and runs generations, streaming each token back
// as a message, so the HTTP thread stays free for health checks, refusals and other routes. An
// abort message stops a generation between steps (its KV cache is freed by the engine).

import { parentPort, workerData } from 'node:worker_threads';
import '../index.js';
import type { Device } from '../backends/device.js';
import { paramCount } from '../agent/llm/config.js';
import { weightsBytes, type GenerationResult } from '../agent/llm/engine.js';
import { modelFingerprint } from '../agent/llm/fingerprint.js';
import { loadLlm } from '../agent/llm/load.js';
import { EngineProvider, type ChatRequest } from '../agent/nodes/models.js';
import type { LlmInfo } from '../protocol/llm.js';
import { discoverDevices } from '../runtime/devices.js';

export interface LlmLoadSpec { name: string; path: string; capacity?: number; quantization?: 'dequantize' | 'int8' }

/** A request as it crosses the thread boundary (no signal, no devices). */
export type WireChatRequest = Omit<ChatRequest, 'signal' | 'prefill' | 'decode'>;

export type ToWorker =
  | { op: 'load'; rid: number; spec: LlmLoadSpec }
  | { op: 'generate'; rid: number; name: string; request: WireChatRequest }
  | { op: 'abort'; rid: number };

export type FromWorker =
  | { ready: true; device: string }
  | { ready: false; message: string }
  | { rid: number; progress: string }
  | { rid: number; token: { id: number; text: string; index: number; atMs: number; logprobs?: unknown } }
  | { rid: number; ok: true; value: unknown }
  | { rid: number; ok: false; message: string; code?: string; status?: number };

const { backend, slowMs = 0 } = workerData as { backend: string; slowMs?: number };
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const providers = new Map<string, EngineProvider>();
const running = new Map<number, AbortController>();
let device: Device;

try {
  const found = await discoverDevices({ devices: [{ kind: (backend === 'cpu' ? 'reference' : backend) as Device['kind'] }], calibration: 'never' });
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
  if (!model.tokenizer) throw new Error(`model '${spec.name}' (${spec.path}) has no tokenizer; chat completions need one (put tokenizer.json beside the weights)`);
  const c = model.config;
  progress(`read ${(paramCount(c) / 1e6).toFixed(1)} M parameters (${c.arch}, ${c.numLayers} layers) in ${(performance.now() - t0).toFixed(0)} ms`);
  const fingerprint = await modelFingerprint(model);
  const provider = new EngineProvider(model, { prefill: device, capacity: spec.capacity });
  const engine = provider.engine;
  const t1 = performance.now();
  await engine.warmup();
  progress(`compiled prefill (buckets ${engine.buckets.join(', ')}) and decode on ${device.id} in ${(performance.now() - t1).toFixed(0)} ms`);
  // one timed generation per bucket (prefill + first token), and a few decode steps
  // (twice when that is cheap: the first generation after compiling still pays for first touches)
  const ms: number[] = engine.buckets.map(() => Infinity);
  const room = Math.min(engine.capacity, c.contextLength);
  for (let pass = 0, spent = 0; pass < 2 && (pass === 0 || spent < 1000); pass++) {
    for (const [i, b] of engine.buckets.entries()) {
      const r = await engine.generate(probe(Math.min(b, room - 1), c.vocabSize), { maxTokens: 1, ignoreEos: true }).collect();
      ms[i] = Math.min(ms[i]!, r.ttftMs);
      spent += r.ttftMs;
    }
  }
  const short = Math.min(engine.buckets[0]!, Math.max(1, room - 3));
  const d = await engine.generate(probe(short, c.vocabSize), { maxTokens: Math.max(2, Math.min(16, room - short)), ignoreEos: true }).collect();
  providers.set(spec.name, provider);
  progress(`measured: TTFT ${ms.map((x, i) => `${x.toFixed(1)} ms at ${engine.buckets[i]} tokens`).join(', ')}; TPOT ${d.tpotMs.toFixed(2)} ms`);
  return {
    id: spec.name, fingerprint, arch: c.arch, params: paramCount(c), contextLength: c.contextLength, capacity: engine.capacity,
    weightBytes: weightsBytes(model.weights), device: device.id, prefill: { buckets: [...engine.buckets], ms: ms.map((x) => x + slowMs) }, tpotMs: d.tpotMs + slowMs,
    runs: 0, source: `measured at load on ${device.id}`,
  };
}

async function generate(rid: number, name: string, request: WireChatRequest): Promise<GenerationResult> {
  const p = providers.get(name);
  if (!p) throw Object.assign(new Error(`model '${name}' is not loaded in the LLM worker`), { code: 'model_not_found', status: 404 });
  const ac = new AbortController();
  running.set(rid, ac);
  try {
    const gen = p.chat({ ...request, signal: ac.signal });
    for await (const t of gen) {
      send({ rid, token: { id: t.id, text: t.text, index: t.index, atMs: t.atMs, ...('logprobs' in t ? { logprobs: t.logprobs } : {}) } });
      // --slow-ms: a slow device for tests and demos, per token here
      if (slowMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, slowMs);
    }
    return await gen.result;
  } finally {
    running.delete(rid);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.op === 'abort') { running.get(m.rid)?.abort(); return; }
  const work = m.op === 'load' ? load(m.rid, m.spec) : generate(m.rid, m.name, m.request);
  work.then(
    (value) => send({ rid: m.rid, ok: true, value }),
    (e: unknown) => {
      const x = e as { message?: string; code?: unknown; status?: unknown };
      send({ rid: m.rid, ok: false, message: x?.message ?? String(e), ...(typeof x?.code === 'string' ? { code: x.code } : {}), ...(typeof x?.status === 'number' ? { status: x.status } : {}) });
    },
  );
});
