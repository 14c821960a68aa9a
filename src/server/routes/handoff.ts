// Prefill/decode disaggregation across servers (Splitwise, DistServe, Dynamo), over the protocol:
//   1. POST /v1/llm/prefill on a prefill server, with a chat completion body: it prefills the
//      prompt, samples the first token and stores the prompt's KV cache as a content-addressed
//      blob; the answer names the blob (sha256, bytes) and the first token.
//   2. POST /v1/chat/completions on a decode server, the same body plus
//      `switchyard_kv: { sha256, from, first_token }`: it fetches the blob from `from`
//      (GET /v1/blobs/{sha256}, streamed into its store and checked against the hash, with the
//      caller's bearer token: one fleet, one token), loads it and decodes from the first token on.
// The decode server's answer is the whole completion, as one server would give it.

import { z } from 'zod';
import { type PreparedChat, prepareChat } from '../../agent/openai.js';
import { ProtocolError } from '../../protocol/errors.js';
import { ROUTES } from '../../protocol/routes.js';
import { Sha256 } from '../../protocol/schemas.js';
import { contentLength, readText } from '../http.js';
import type { ServerContext } from './context.js';

export const KvRef = z.object({
  sha256: Sha256,
  from: z.string().url().optional(),
  first_token: z.number().int().nonnegative(),
});

const tokensOf = (chars: number) => Math.ceil(chars / 3);

export function registerHandoffRoutes(c: ServerContext): void {
  const { app, llm, llmScheduler: queue, store, metrics } = c;
  app.post(ROUTES.llmPrefill, async (req, reply) => {
    const t0 = performance.now();
    if (!llm.size)
      throw new ProtocolError(
        'not_found',
        `this server serves no language models; start it with --llm name=path (then POST ${ROUTES.llmPrefill})`,
      );
    contentLength(req, c.maxBody, false);
    let body: unknown;
    try {
      body = JSON.parse(await readText(req, c.maxBody));
    } catch (e) {
      throw e instanceof ProtocolError
        ? e
        : new ProtocolError('bad_request', `the body is not JSON: ${(e as Error).message.slice(0, 200)}`);
    }
    const prep = prepareChat(body, llm);
    if ('error' in prep) return reply.code(prep.error.status).send((prep.error as { json: unknown }).json);
    const { chat } = prep;
    const model = chat.body.model;
    const ask = { model, promptTokens: tokensOf(chat.promptChars), maxTokens: 1, deadlineMs: 600_000 };
    try {
      queue.check(ask, performance.now() - t0);
    } catch (e) {
      metrics.refused.inc({ code: (e as ProtocolError).code ?? 'error' });
      throw e;
    }
    const release = await queue.acquire(ask, t0 + ask.deadlineMs);
    let r;
    try {
      r = await llm.prefill(model, chat.request);
    } catch (e) {
      const x = e as Error & { status?: number; code?: string };
      throw new ProtocolError(x.status === 400 || x.status === 404 ? 'bad_request' : 'internal', x.message);
    } finally {
      release();
    }
    await store.put(
      r.sha256,
      (async function* () {
        yield r.blob;
      })(),
      r.blob.length,
    );
    metrics.bytes.inc({ direction: 'out', kind: 'kv' }, r.blob.length);
    return {
      object: 'switchyard.kv_handoff',
      model,
      fingerprint: llm.infos.get(model)?.fingerprint,
      prompt_tokens: r.promptTokens,
      first_token: { id: r.first, text: r.firstText, stop: r.stop },
      kv: { sha256: r.sha256, bytes: r.blob.length, positions: r.promptTokens },
      prefill_ms: Math.round(r.ms * 100) / 100,
    };
  });
}

/**
 * A chat completion that continues a hand-off (`switchyard_kv` in its body): fetch the blob when
 * this server does not hold it, and set the request to load it and resume from the first token.
 */
export async function attachHandoff(
  c: ServerContext,
  chat: PreparedChat,
  body: unknown,
  authorization?: string,
): Promise<boolean> {
  const raw = (body as { switchyard_kv?: unknown }).switchyard_kv;
  if (raw === undefined) return false;
  const ref = KvRef.safeParse(raw);
  if (!ref.success)
    throw new ProtocolError(
      'bad_request',
      `switchyard_kv: ${ref.error.issues[0]?.path.join('.') || 'value'}: ${ref.error.issues[0]?.message}`,
    );
  const { sha256, from, first_token } = ref.data;
  let bytes = c.store.get(sha256);
  if (!bytes) {
    if (!from)
      throw new ProtocolError(
        'unknown_blob',
        `KV blob ${sha256} is not on this server and switchyard_kv.from names no server to fetch it from`,
      );
    const u = new URL(`/v1/blobs/${sha256}`, from);
    const res = await fetch(u, { headers: authorization ? { authorization } : {} }).catch((e: Error) => {
      throw new ProtocolError('bad_request', `could not fetch the KV blob from ${u.origin}: ${e.message}`);
    });
    if (res.status !== 200 || !res.body)
      throw new ProtocolError(
        'bad_request',
        `the prefill server ${u.origin} answered ${res.status} for KV blob ${sha256}: ` +
          `${(await res.text()).slice(0, 200)}`,
      );
    const n = Number(res.headers.get('content-length'));
    if (!Number.isSafeInteger(n) || n > c.maxBody)
      throw new ProtocolError(
        'payload_too_large',
        `KV blob of ${n} bytes is over this server's limit of ${c.maxBody} bytes`,
      );
    await c.store.put(sha256, res.body as unknown as AsyncIterable<Uint8Array>, n);
    c.metrics.bytes.inc({ direction: 'in', kind: 'kv' }, n);
    bytes = c.store.get(sha256)!;
  }
  chat.request = { ...chat.request, resume: { tokens: [first_token], emittedText: '' } };
  (chat.request as { kvBlob?: Uint8Array }).kvBlob = bytes;
  return true;
}
