// An LlmProvider that streams from an OpenAI-compatible /v1/chat/completions endpoint with fetch:
// a Switchyard offload server serving LLM nodes (`serve --llm`), or any server that speaks the same
// API. Works in Node and browsers. Network errors, HTTP errors, error events in the stream, a stream
// cut before `data: [DONE]` and a stream that stalls become errors that name the node and the
// server. Token ids come back with every chunk (the `return_token_ids` extension) so that a run the
// server drops mid-stream can continue on a local engine from where it was (withLocalFallback).

import type { LlmInfo } from '../../protocol/llm.js';
import { DEADLINE_HEADER, PROTOCOL_VERSION, VERSION_HEADER } from '../../protocol/version.js';
import { Generation, type GenerationResult, type TokenEvent } from '../llm/engine.js';
import type { ChatRequest, LlmProvider } from './models.js';

export interface RemoteLlmOptions {
  /** Base URL, e.g. http://127.0.0.1:8080/v1 */
  url: string;
  /** Model name on the server. */
  model: string;
  token?: string;
  /** Name this provider goes by in the graph. */
  name?: string;
  contextLength?: number;
  /** Device id the results name (default `remote:<host>`): the planner's id of the server. */
  deviceId?: string;
  /** What the server says about the model (its fingerprint and measured TTFT/TPOT). */
  info?: LlmInfo;
  /** No byte from the server for this long ends the generation with an error (default 60 s). */
  stallMs?: number;
}

/** A remote generation that failed: what had streamed before, for a local engine to continue from. */
export class RemoteLlmError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RemoteLlmError';
  }
}

/** Split an SSE byte stream into the JSON payloads of its `data:` lines. */
export async function* sseEvents(
  body: ReadableStream<Uint8Array>,
  stallMs?: number,
  onStall?: () => void,
): AsyncGenerator<string> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (stallMs) timer = setTimeout(() => onStall?.(), stallMs);
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } finally {
        clearTimeout(timer);
      }
      if (r.done) break;
      buf += dec.decode(r.value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = ev
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (data) yield data;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

export class RemoteLlmProvider implements LlmProvider {
  readonly name: string;
  readonly contextLength?: number;
  readonly deviceId: string;
  constructor(readonly opts: RemoteLlmOptions) {
    this.name = opts.name ?? opts.model;
    this.contextLength = opts.contextLength ?? opts.info?.contextLength;
    let host = opts.url;
    try {
      host = new URL(opts.url).host;
    } catch {
      /* named as given */
    }
    this.deviceId = opts.deviceId ?? `remote:${host}`;
  }

  get info(): LlmInfo | undefined {
    return this.opts.info;
  }

  chat(req: ChatRequest): Generation {
    const o = this.opts;
    const where = `node '${req.node ?? this.name}'`;
    const url = `${o.url.replace(/\/$/, '')}/chat/completions`;
    const device = this.deviceId;
    return new Generation(async function* (done): AsyncGenerator<TokenEvent> {
      const t0 = performance.now();
      // our own controller: the caller's signal, a stall, or leaving the loop early all stop the request
      const ac = new AbortController();
      const onAbort = () => ac.abort(req.signal?.reason);
      if (req.signal?.aborted) onAbort();
      else req.signal?.addEventListener('abort', onAbort, { once: true });
      let stalled = false;
      try {
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            signal: ac.signal,
            headers: {
              'content-type': 'application/json',
              [VERSION_HEADER]: String(PROTOCOL_VERSION),
              ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
              ...(req.deadlineMs ? { [DEADLINE_HEADER]: String(Math.max(1, Math.round(req.deadlineMs))) } : {}),
            },
            body: JSON.stringify({
              model: o.model,
              messages: req.messages,
              stream: true,
              stream_options: { include_usage: true },
              return_token_ids: true,
              max_tokens: req.maxTokens,
              temperature: req.temperature ?? 0,
              top_p: req.topP,
              top_k: req.topK,
              seed: req.seed,
              stop: req.stop,
              ...(req.repetitionPenalty !== undefined ? { repetition_penalty: req.repetitionPenalty } : {}),
              ...(req.raw ? { raw: true } : {}),
              ...(req.ignoreEos ? { ignore_eos: true } : {}),
            }),
          });
        } catch (e) {
          if (req.signal?.aborted) throw e;
          throw new RemoteLlmError(
            `${where}: the LLM server ${o.url} cannot be reached: ${(e as Error).message}`,
            undefined,
            'unreachable',
          );
        }
        if (!res.ok || !res.body) {
          let msg = `HTTP ${res.status}`,
            code: string | undefined;
          try {
            const j = (await res.json()) as { error?: { message?: string; code?: string } };
            if (j.error?.message) msg += `: ${j.error.message}`;
            code = j.error?.code;
          } catch {
            /* not JSON */
          }
          throw new RemoteLlmError(`${where}: the LLM server ${o.url} refused: ${msg}`, res.status, code);
        }
        let text = '',
          count = 0,
          ttft = 0,
          finish: GenerationResult['finishReason'] = 'stop',
          sawDone = false;
        const ids: number[] = [];
        let usage: { prompt_tokens?: number; completion_tokens?: number } = {};
        try {
          for await (const data of sseEvents(res.body, o.stallMs ?? 60_000, () => {
            stalled = true;
            ac.abort(new Error('stalled'));
          })) {
            if (data === '[DONE]') {
              sawDone = true;
              break;
            }
            const j = JSON.parse(data) as {
              error?: { message: string; code?: string };
              choices?: { delta?: { content?: string }; finish_reason?: string | null; token_ids?: number[] }[];
              usage?: typeof usage;
            };
            if (j.error)
              throw new RemoteLlmError(
                `${where}: the LLM server ${o.url} failed after ${ids.length || count} tokens: ${j.error.message}`,
                undefined,
                j.error.code,
              );
            if (j.usage) usage = j.usage;
            const c = j.choices?.[0];
            if (c?.finish_reason) finish = c.finish_reason === 'length' ? 'length' : 'stop';
            const piece = c?.delta?.content ?? '';
            const tids = c?.token_ids ?? [];
            if (!piece && !tids.length) continue;
            if (!ttft) ttft = performance.now() - t0;
            text += piece;
            if (tids.length) {
              for (let k = 0; k < tids.length; k++) {
                ids.push(tids[k]!);
                yield {
                  id: tids[k]!,
                  text: k === tids.length - 1 ? piece : '',
                  index: ids.length - 1,
                  atMs: performance.now() - t0,
                };
              }
            } else {
              // a server without token ids sends text pieces (and a flush of held-back text has none)
              if (!ids.length) count++;
              yield { id: -1, text: piece, index: ids.length || count, atMs: performance.now() - t0 };
            }
          }
        } catch (e) {
          if (e instanceof RemoteLlmError || (req.signal?.aborted && !stalled)) throw e;
          const why = stalled
            ? `sent nothing for ${((o.stallMs ?? 60_000) / 1000).toFixed(0)} s`
            : `dropped the stream (${(e as Error).message})`;
          throw new RemoteLlmError(
            `${where}: the LLM server ${o.url} ${why} after ${ids.length || count} tokens`,
            undefined,
            'stream_broken',
          );
        }
        if (!sawDone)
          throw new RemoteLlmError(
            `${where}: the LLM server ${o.url} ended the stream after ${ids.length || count} tokens ` +
              'without [DONE] (the server went away mid-answer)',
            undefined,
            'stream_broken',
          );
        const total = performance.now() - t0;
        const n = usage.completion_tokens ?? (ids.length || count);
        done({
          text,
          tokens: ids.length ? ids : Array.from({ length: n }, (_, i) => i),
          promptTokens: usage.prompt_tokens ?? 0,
          finishReason: finish,
          ttftMs: ttft,
          tpotMs: n > 1 ? (total - ttft) / (n - 1) : 0,
          prefillMs: ttft,
          decodeMs: total - ttft,
          transferMs: 0,
          transferBytes: 0,
          prefillDevice: device,
          decodeDevice: device,
        });
      } finally {
        req.signal?.removeEventListener('abort', onAbort);
        ac.abort(new Error('done'));
      }
    });
  }
}

/** What withLocalFallback needs from the local side. */
export interface LocalContinuation {
  /** Start a local generation, continuing after `resume.tokens` (empty: from the start). */
  generate(resume: { tokens: number[]; emittedText: string }): Generation;
  /** Token ids of text a server sent without ids (to continue from it anyway). */
  encode?(text: string): number[];
  /** Called once when the run moves to the local side, with the reason. */
  onFallback(message: string): void;
}

/**
 * A generation on a remote device that, if the server refuses, cannot be reached or drops the
 * stream, continues on a local engine: with the tokens already streamed (prefilled locally; the
 * seeded sampler skips their draws), so the answer is the one an uninterrupted run gives. Without a
 * local side (`local` undefined) the failure is an error that says why there is no fallback.
 */
export function withLocalFallback(
  primary: () => Generation,
  primaryDevice: string,
  local: LocalContinuation | undefined,
  noFallback: string,
  signal?: AbortSignal,
): Generation {
  return new Generation(async function* (done): AsyncGenerator<TokenEvent> {
    const t0 = performance.now();
    const ids: number[] = [];
    let text = '',
      firstAt: number | undefined,
      idsKnown = true;
    let gen: Generation;
    try {
      gen = primary();
      for await (const t of gen) {
        if (t.id >= 0) ids.push(t.id);
        else if (t.text && !ids.length) idsKnown = false;
        if (firstAt === undefined && (t.id >= 0 || t.text)) firstAt = performance.now() - t0;
        text += t.text;
        yield t;
      }
      done(await gen.result);
      return;
    } catch (e) {
      if (signal?.aborted) throw e;
      if (!local) throw new Error(`${(e as Error).message}; ${noFallback}`);
      const tokens = idsKnown ? ids : (local.encode?.(text) ?? []);
      const spent = performance.now() - t0;
      local.onFallback(
        `${(e as Error).message}; continuing on the local engine` +
          `${tokens.length ? ` from token ${tokens.length}` : ''} (${spent.toFixed(0)} ms spent remotely)`,
      );
      const lg = local.generate({ tokens, emittedText: text });
      const offset = performance.now() - t0;
      for await (const t of lg) {
        if (firstAt === undefined && (t.id >= 0 || t.text)) firstAt = performance.now() - t0;
        yield { ...t, atMs: t.atMs + offset };
      }
      const r = await lg.result;
      const total = performance.now() - t0;
      const n = r.tokens.length;
      const ttft = firstAt ?? total;
      done({
        ...r,
        ttftMs: ttft,
        tpotMs: n > 1 ? (total - ttft) / (n - 1) : 0,
        prefillMs: ttft,
        decodeMs: total - ttft,
        prefillDevice: tokens.length ? primaryDevice : r.prefillDevice,
        fallback: (e as Error).message,
      });
    }
  });
}
