// One generation from prompt to result: prompt checks, prefill (a dense KV cache or a sequence of
// the batching loop), then decode token by token - constraint and UTF-8 guard, sampling,
// log-probabilities, stop ids and strings, streamed text, aborts seen between steps, the cache
// moved when decode runs elsewhere - and whatever happens the cache is freed.

import type { Device } from '../../backends/device.js';
import type { StepLoop } from './batcher.js';
import { logprobsOf } from './decode-hooks.js';
import type { GenerateOptions, GenerationResult, LlmModel, TokenEvent } from './generation.js';
import type { KvCache } from './kv-cache.js';
import type { PagedSequence } from './paged-kv.js';
import { checkSampling, Sampler } from './sampling.js';
import { TextStream } from './text-stream.js';
import { Utf8Guard, withGuard } from './utf8-guard.js';

/** One forward step of `tokens` at positions pos0..; undefined when the generation was aborted first. */
export type Stepper = (tokens: number[], pos0: number) => Promise<Float32Array | undefined>;

/** What the loop needs of the engine (LlmEngine is one). */
export interface GenerationHost {
  readonly model: LlmModel;
  readonly placement: { prefill: Device; decode: Device };
  /** The engine's continuous-batching loop, when batching is on. */
  readonly stepLoop?: StepLoop;
  where(node?: string): string;
  encodePrompt(prompt: string | number[], addSpecial?: boolean, node?: string): number[];
  checkLength(promptLen: number, maxTokens: number, node?: string): void;
  allocate(device: Device, node?: string): Promise<KvCache>;
  /** One step on a dense cache; last-token logits. */
  step(cache: KvCache, tokens: number[], pos0: number): Promise<Float32Array>;
  prefill(step: Stepper, ids: number[], signal?: AbortSignal, start?: number): Promise<Float32Array | undefined>;
}

const now = () => performance.now();
const macrotask = (): Promise<void> =>
  new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

export async function* runGeneration(
  host: GenerationHost,
  prompt: string | number[],
  opts: GenerateOptions,
  done: (r: GenerationResult) => void,
): AsyncGenerator<TokenEvent> {
  const t0 = now();
  const where = host.where(opts.node);
  checkSampling(opts, where);
  const maxTokens = opts.maxTokens ?? 64;
  if (!(Number.isInteger(maxTokens) && maxTokens >= 1))
    throw new Error(`${where}: max_tokens must be a positive integer, got ${maxTokens}`);
  const ids = host.encodePrompt(prompt, opts.addSpecialTokens, opts.node);
  const V = host.model.config.vocabSize;
  const badId = ids.find((i) => !(Number.isInteger(i) && i >= 0 && i < V));
  if (badId !== undefined) throw new Error(`${where}: token id ${badId} is outside the vocabulary (0..${V - 1})`);
  host.checkLength(ids.length, maxTokens, opts.node);
  const tok = host.model.tokenizer;
  const stopIds = new Set([
    ...(opts.ignoreEos ? [] : (tok?.stopIds ?? [])),
    ...(opts.ignoreEos || host.model.config.eosTokenId === undefined || tok ? [] : [host.model.config.eosTokenId]),
    ...(opts.stopTokens ?? []),
  ]);
  const sampler = new Sampler(opts);
  const prior = opts.resume?.tokens ?? [];
  const badPrior = prior.find((i) => !(Number.isInteger(i) && i >= 0 && i < V));
  if (badPrior !== undefined)
    throw new Error(`${where}: resumed token id ${badPrior} is outside the vocabulary (0..${V - 1})`);
  sampler.skip(prior.length);
  const guard = opts.validUtf8 && tok ? new Utf8Guard(tok.utf8Table()) : undefined;
  for (const id of prior) guard?.accept(id);
  const constraint = withGuard(opts.constraint, guard);
  const out: number[] = [...prior];
  const history = [...ids, ...prior];
  const stops = (opts.stop ?? []).filter((s) => s.length > 0);
  const stream = tok ? new TextStream(tok, stops, prior, opts.resume?.emittedText) : undefined;
  let finish: GenerationResult['finishReason'] = 'length';
  const stats = { ttftMs: 0, prefillMs: 0, decodeMs: 0, transferMs: 0, transferBytes: 0 };
  const prefillDevice = opts.prefill ?? host.placement.prefill,
    decodeDevice = opts.decode ?? host.placement.decode;
  let cache: KvCache | undefined;
  let seq: PagedSequence | undefined;
  const kv = opts.kv;
  if (kv && !(kv.positions === ids.length && prior.length >= 1)) {
    throw new Error(
      `${where}: a KV hand-off of ${kv.positions} positions needs the prompt of ${ids.length} tokens it was ` +
        `made for and the first token (resume)`,
    );
  }
  // an imported cache is loaded into a dense one; everything else may share the batching loop
  const loop =
    !kv && host.stepLoop && host.stepLoop.device === prefillDevice && prefillDevice === decodeDevice
      ? host.stepLoop
      : undefined;
  const all = prior.length ? [...ids, ...prior] : ids;
  try {
    let step: Stepper;
    if (loop) {
      seq = out.length >= maxTokens ? undefined : await loop.admit(ids.length + maxTokens, opts.signal, all);
      step = (t, p) => loop.step(seq!, t, p, opts.signal);
    } else {
      const c = (cache = await host.allocate(kv ? decodeDevice : prefillDevice, opts.node));
      if (kv) await c.importRows(kv.layers, kv.positions);
      step = (t, p) => host.step(c, t, p);
    }
    let logits =
      out.length >= maxTokens || (loop && !seq)
        ? undefined
        : await host.prefill(step, all.slice(kv?.positions ?? 0), opts.signal, kv?.positions ?? 0);
    if (!logits) finish = out.length >= maxTokens ? 'length' : 'abort';
    stats.prefillMs = now() - t0;
    if (logits) {
      let decodeStart = 0;
      for (;;) {
        const raw = logits;
        if (constraint) {
          logits = Float32Array.from(logits);
          constraint.filter(logits);
        }
        const id = sampler.next(logits, history);
        const lp = opts.logprobs !== undefined ? logprobsOf(raw, id, opts.logprobs) : undefined;
        constraint?.accept(id);
        if (out.length === prior.length) {
          stats.ttftMs = now() - t0;
        }
        if (stopIds.has(id)) {
          finish = 'stop';
          break;
        }
        out.push(id);
        history.push(id);
        let delta = '';
        if (stream) {
          const r = stream.push(out);
          delta = r.delta;
          if (r.stopped) finish = 'stop';
        }
        if (constraint?.finished && finish !== 'stop') {
          finish = 'stop';
          delta += stream?.flush() ?? '';
        }
        yield {
          id,
          text: delta,
          index: out.length - 1,
          atMs: now() - t0,
          ...(lp ? { logprob: lp.logprob, top: lp.top } : {}),
        };
        if (finish === 'stop' || out.length >= maxTokens) break;
        // a step's awaits are microtasks: give the event loop a turn so an abort (a message from
        // another thread, a socket's close) is seen before the next step, not after the last
        if (opts.signal) await macrotask();
        if (opts.signal?.aborted) {
          finish = 'abort';
          break;
        }
        if (cache && out.length === prior.length + 1 && decodeDevice !== cache.device) {
          const tt = now();
          stats.transferBytes += await cache.transferTo(decodeDevice);
          stats.transferMs += now() - tt;
        }
        if (!decodeStart) decodeStart = now();
        const next = await step([id], ids.length + out.length - 1);
        if (!next) {
          finish = 'abort';
          break;
        }
        logits = next;
      }
      if (decodeStart) stats.decodeMs = now() - decodeStart;
      // cut off inside a character (max_tokens): the guarded text keeps whole characters only
      if (guard && !guard.atBoundary) stream?.dropPartial();
      const rest = stream?.flush();
      if (rest) yield { id: -1, text: rest, index: out.length, atMs: now() - t0 };
    }
  } finally {
    cache?.release();
    if (seq) loop!.release(seq);
  }
  done({
    text: stream?.text ?? '',
    tokens: out,
    promptTokens: ids.length,
    finishReason: finish,
    ttftMs: stats.ttftMs,
    tpotMs: out.length - prior.length > 1 ? stats.decodeMs / (out.length - prior.length - 1) : 0,
    prefillMs: stats.prefillMs,
    decodeMs: stats.decodeMs,
    transferMs: stats.transferMs,
    transferBytes: stats.transferBytes,
    prefillDevice: prefillDevice.id,
    decodeDevice: decodeDevice.id,
    ...(seq?.decodeSteps ? { batchRows: seq.batchRows / seq.decodeSteps } : {}),
  });
}
