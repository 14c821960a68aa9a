// The server side of LLM nodes: the models of `serve --llm name=path`, loaded at start in an LLM
// worker thread (llm-worker.ts) with progress, and served to the chat route as LlmProviders whose
// generations stream tokens from the worker. What each model costs (TTFT per prompt bucket, TPOT)
// is measured at load and kept current with every completion (a moving average), for the /v1/info
// figures clients plan with and the deadline admission here. A worker that dies fails the
// generations in flight with a clear error and is replaced, its models loaded again.

import { Worker } from 'node:worker_threads';
import { Generation, type GenerationResult, type TokenEvent } from '../agent/llm/engine.js';
import type { ChatRequest, LlmProvider } from '../agent/nodes/models.js';
import type { ChatModels } from '../agent/openai.js';
import { Channel } from '../agent/runtime/channel.js';
import { ProtocolError } from '../protocol/errors.js';
import { conversationHash, type LlmInfo, llmEstimateMs, llmTtftMs } from '../protocol/llm.js';
import type { FromWorker, LlmLoadSpec, PrefillResult, ToWorker, WireChatRequest } from './llm-worker.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onToken?(t: TokenEvent): void;
  onProgress?(line: string): void;
}

/** Parse `name=path` (the --llm flag). */
export function parseLlmFlag(s: string): { name: string; path: string } {
  const m = /^([A-Za-z0-9_][A-Za-z0-9_.:-]*)=(.+)$/.exec(s);
  if (!m)
    throw new Error(`--llm ${s}: expected name=path (a Hugging Face folder, a .safetensors file or a .gguf file)`);
  return { name: m[1]!, path: m[2]! };
}

export class LlmHost implements ChatModels {
  private worker?: Worker;
  private pending = new Map<number, Pending>();
  private nextRid = 1;
  private closed = false;
  private restarting?: Promise<void>;
  readonly infos = new Map<string, LlmInfo>();
  /** Generations in flight per model, and the results of those that started with others in flight. */
  private inflight = new Map<string, number>();
  private crowded = new WeakSet<GenerationResult>();
  device = '';

  constructor(
    private backend: string,
    private specs: LlmLoadSpec[],
    private log: {
      info(o: object, m: string): void;
      warn(o: object, m: string): void;
      error(o: object, m: string): void;
    },
    private slowMs = 0,
  ) {}

  get size(): number {
    return this.specs.length;
  }

  /** Start the worker and load every model (each with progress lines). */
  async start(): Promise<void> {
    await this.spawn();
    for (const spec of this.specs) {
      const t0 = performance.now();
      this.log.info({ model: spec.name, path: spec.path }, `llm ${spec.name}: loading ${spec.path}`);
      const info = await this.call<LlmInfo>(
        { op: 'load', rid: 0, spec },
        {
          onProgress: (line) => this.log.info({ model: spec.name }, `llm ${spec.name}: ${line}`),
        },
      ).done.catch((e: Error) => {
        throw new Error(`--llm ${spec.name}=${spec.path}: ${e.message}`);
      });
      const old = this.infos.get(spec.name);
      this.infos.set(
        spec.name,
        old
          ? {
              ...info,
              prefill: old.prefill,
              tpotMs: old.tpotMs,
              batching: old.batching,
              runs: old.runs,
              source: old.source,
            }
          : info,
      );
      this.log.info(
        { model: spec.name, ms: Math.round(performance.now() - t0), fingerprint: info.fingerprint.slice(0, 12) },
        `llm ${spec.name}: ready`,
      );
    }
  }

  private spawn(): Promise<void> {
    const w = new Worker(new URL('./llm-worker.js', import.meta.url), {
      workerData: { backend: this.backend, slowMs: this.slowMs },
    });
    w.unref();
    this.worker = w;
    const ready = new Promise<void>((resolve, reject) => {
      w.once('message', (m: FromWorker) => {
        if ('ready' in m && m.ready) {
          this.device = m.device;
          resolve();
        } else
          reject(
            new Error(
              `the LLM worker cannot start backend '${this.backend}': ${'message' in m ? m.message : 'unknown'}`,
            ),
          );
      });
      w.once('error', reject);
    });
    w.on('message', (m: FromWorker) => {
      if ('tokens' in m) {
        for (const t of m.tokens) this.pending.get(t.rid)?.onToken?.(t);
        return;
      }
      if (!('rid' in m)) return;
      const p = this.pending.get(m.rid);
      if (!p) return;
      if ('progress' in m) p.onProgress?.(m.progress);
      else {
        this.pending.delete(m.rid);
        if (m.ok) p.resolve(m.value);
        else
          p.reject(
            Object.assign(new Error(m.message), m.code ? { code: m.code } : {}, m.status ? { status: m.status } : {}),
          );
      }
    });
    const died = (e: Error) => {
      if (w !== this.worker) return;
      this.worker = undefined;
      const err = new ProtocolError('internal', `the LLM worker died (${e.message}); the generation was lost`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (this.closed) return;
      this.log.error({ error: e.message }, 'LLM worker died; starting a new one and loading its models again');
      this.restarting = this.start()
        .catch((x: Error) => this.log.error({ error: x.message }, 'LLM worker restart failed'))
        .finally(() => {
          this.restarting = undefined;
        });
    };
    w.on('error', died);
    w.on('exit', (code) => died(new Error(`exited with code ${code}`)));
    return ready;
  }

  private call<T>(msg: ToWorker, hooks: Omit<Pending, 'resolve' | 'reject'> = {}): { done: Promise<T>; rid: number } {
    const rid = this.nextRid++;
    const done = new Promise<T>((resolve, reject) => {
      if (!this.worker) {
        reject(
          new ProtocolError(
            'internal',
            'the LLM worker is not running (restarting after a failure); try again shortly',
            { retryAfterS: 2 },
          ),
        );
        return;
      }
      this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject, ...hooks });
      this.worker.postMessage({ ...msg, rid });
    });
    return { done, rid };
  }

  // ChatModels
  get(name: string): LlmProvider | undefined {
    const info = this.infos.get(name);
    return info ? this.provider(name) : undefined;
  }
  names(): string[] {
    return [...this.infos.keys()];
  }
  all(): LlmInfo[] {
    return [...this.infos.values()];
  }

  /** Predicted time of a completion, ms (the admission check's estimate). */
  estimateMs(name: string, promptTokens: number, maxTokens: number): number {
    const info = this.infos.get(name);
    return info ? llmEstimateMs(info, promptTokens, maxTokens) : 0;
  }

  /** Fold a completion's measured TTFT and TPOT into the model's figures. */
  record(name: string, r: GenerationResult): void {
    const info = this.infos.get(name);
    if (!info || r.finishReason === 'abort' || !r.tokens.length) return;
    const a = 0.2;
    // a TTFT measured behind other prefills and steps is the load's, not the model's (the serving
    // model adds the load): the prefill figures learn from completions that started alone
    const alone = !this.crowded.has(r);
    const { buckets, ms } = info.prefill;
    // a one-chunk prompt times its bucket; longer prompts scale every bucket by what they show
    const predicted = llmTtftMs(info, r.promptTokens);
    if (!alone) {
      // the TTFT figures stay as they are
    } else if (r.promptTokens <= buckets[buckets.length - 1]!) {
      const i = buckets.findIndex((b) => b >= r.promptTokens);
      ms[i] = (1 - a) * ms[i]! + a * r.ttftMs;
    } else if (predicted > 0) {
      const k = 1 - a + a * (r.ttftMs / predicted);
      for (let i = 0; i < ms.length; i++) ms[i] = ms[i]! * k;
    }
    if (r.tokens.length > 1) {
      // a batched completion's TPOT is the figure of the batch size it ran in
      const m = info.batching;
      const rows = r.batchRows ?? 1;
      if (m) {
        let i = 0;
        m.sizes.forEach((b, k) => {
          if (Math.abs(b - rows) < Math.abs(m.sizes[i]! - rows)) i = k;
        });
        m.tpotMs[i] = (1 - a) * m.tpotMs[i]! + a * r.tpotMs;
      }
      if (rows < 1.5) info.tpotMs = (1 - a) * info.tpotMs + a * r.tpotMs;
    }
    info.runs++;
    info.source =
      `measured on ${info.device} (load, then a moving average of ${info.runs} ` +
      `completion${info.runs > 1 ? 's' : ''})`;
  }

  /**
   * Advertise the conversation a batched completion leaves in the prefix cache: its messages, and
   * its messages with the answer (a next turn starts with those); the 64 most recent per model.
   */
  remember(name: string, messages: ChatRequest['messages'] | undefined, r: GenerationResult): void {
    const info = this.infos.get(name);
    if (!info?.batching || !messages?.length || r.finishReason === 'abort') return;
    const list = (info.prefixes ??= []);
    const answered = [...messages, { role: 'assistant', content: r.text }];
    for (const [msgs, tokens] of [
      [messages, r.promptTokens],
      [answered, r.promptTokens + Math.max(0, r.tokens.length - 1)],
    ] as const) {
      const hash = conversationHash(msgs);
      const i = list.findIndex((p) => p.hash === hash);
      if (i >= 0) list.splice(i, 1);
      list.push({ hash, tokens });
    }
    if (list.length > 64) list.splice(0, list.length - 64);
  }

  private provider(name: string): LlmProvider {
    const host = this;
    return {
      name,
      contextLength: this.infos.get(name)?.contextLength,
      chatFeatures: true, // the worker's EngineProvider applies them
      chat(req: ChatRequest): Generation {
        const { signal, prefill: _p, decode: _d, kv: _k, ...wire } = req;
        return new Generation(async function* (done): AsyncGenerator<TokenEvent> {
          const others = host.inflight.get(name) ?? 0;
          host.inflight.set(name, others + 1);
          const tokens = new Channel<TokenEvent>();
          const call = host.call<GenerationResult>(
            { op: 'generate', rid: 0, name, request: wire as WireChatRequest },
            { onToken: (t) => tokens.push(t) },
          );
          const abort = () => host.worker?.postMessage({ op: 'abort', rid: call.rid } satisfies ToWorker);
          if (signal?.aborted) abort();
          else signal?.addEventListener('abort', abort, { once: true });
          call.done.then(
            () => tokens.close(),
            (e) => tokens.fail(e),
          );
          try {
            yield* tokens;
            const r = await call.done;
            host.remember(name, req.messages, r);
            if (others > 0) host.crowded.add(r);
            done(r);
          } finally {
            host.inflight.set(name, (host.inflight.get(name) ?? 1) - 1);
            signal?.removeEventListener('abort', abort);
            // a consumer that stops early (a client that went away) stops the generation too
            if (host.pending.has(call.rid)) abort();
          }
        });
      },
    };
  }

  /** The prefill half of a disaggregated completion: KV blob bytes, their SHA-256 and the first token. */
  prefill(name: string, req: ChatRequest): Promise<PrefillResult> {
    const { signal: _s, prefill: _p, decode: _d, kv: _k, ...wire } = req;
    return this.call<PrefillResult>({ op: 'prefill', rid: 0, name, request: wire as WireChatRequest }).done;
  }

  /** Resolves when no restart is under way. */
  async settled(): Promise<void> {
    await this.restarting;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate().catch(() => {});
  }
}
