// An LlmProvider that streams from an OpenAI-compatible /v1/chat/completions endpoint with fetch:
// a Switchyard offload server serving LLM nodes, or any server that speaks the same API. Works in
// Node and browsers. Network errors, HTTP errors and error events in the stream become errors that
// name the node and the server.

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
}

/** Split an SSE byte stream into the JSON payloads of its `data:` lines. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = ev.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
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
  constructor(readonly opts: RemoteLlmOptions) {
    this.name = opts.name ?? opts.model;
    this.contextLength = opts.contextLength;
  }

  chat(req: ChatRequest): Generation {
    const o = this.opts;
    const where = `node '${req.node ?? this.name}'`;
    const url = `${o.url.replace(/\/$/, '')}/chat/completions`;
    return new Generation(async function* (done): AsyncGenerator<TokenEvent> {
      const t0 = performance.now();
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST', signal: req.signal,
          headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
          body: JSON.stringify({
            model: o.model, messages: req.messages, stream: true, stream_options: { include_usage: true },
            max_tokens: req.maxTokens, temperature: req.temperature ?? 0, top_p: req.topP, top_k: req.topK, seed: req.seed, stop: req.stop,
          }),
        });
      } catch (e) {
        throw new Error(`${where}: the LLM server ${o.url} cannot be reached: ${(e as Error).message}`);
      }
      if (!res.ok || !res.body) {
        let msg = `HTTP ${res.status}`;
        try { const j = await res.json() as { error?: { message?: string } }; if (j.error?.message) msg += `: ${j.error.message}`; } catch { /* not JSON */ }
        throw new Error(`${where}: the LLM server ${o.url} refused: ${msg}`);
      }
      let text = '', index = 0, ttft = 0, finish: GenerationResult['finishReason'] = 'stop';
      let usage: { prompt_tokens?: number; completion_tokens?: number } = {};
      for await (const data of sseEvents(res.body)) {
        if (data === '[DONE]') break;
        const j = JSON.parse(data) as { error?: { message: string }; choices?: { delta?: { content?: string }; finish_reason?: string | null }[]; usage?: typeof usage };
        if (j.error) throw new Error(`${where}: the LLM server ${o.url} failed: ${j.error.message}`);
        if (j.usage) usage = j.usage;
        const c = j.choices?.[0];
        if (c?.finish_reason) finish = c.finish_reason === 'length' ? 'length' : 'stop';
        const piece = c?.delta?.content;
        if (piece) {
          if (!index) ttft = performance.now() - t0;
          text += piece;
          yield { id: index, text: piece, index: index++, atMs: performance.now() - t0 };
        }
      }
      const total = performance.now() - t0;
      const n = usage.completion_tokens ?? index;
      done({
        text, tokens: Array.from({ length: n }, (_, i) => i), promptTokens: usage.prompt_tokens ?? 0, finishReason: finish,
        ttftMs: ttft, tpotMs: n > 1 ? (total - ttft) / (n - 1) : 0, prefillMs: ttft, decodeMs: total - ttft,
        transferMs: 0, transferBytes: 0, prefillDevice: `remote:${new URL(o.url).host}`, decodeDevice: `remote:${new URL(o.url).host}`,
      });
    });
  }
}
