// POST /v1/chat/completions and GET /v1/models: the OpenAI-compatible route (src/agent/openai.ts)
// on the models of `serve --llm`, with what every route here has: the bearer token and CORS (app
// hooks), body limits (413), JSON errors, metrics, and the deadline-aware queue. A completion is
// admitted against its deadline (header switchyard-deadline-ms; 10 minutes when absent, as OpenAI
// clients send none) before its body is parsed into work: refused at once (503 with Retry-After)
// when the queue ahead and the model's measured TTFT/TPOT say it cannot finish in time, dropped if
// the deadline passes while it waits, and stopped if it runs past the deadline plus the grace
// period. A stream's headers go out with its first token; a client that goes away stops the
// generation and frees its KV cache.

import { Readable } from 'node:stream';
import { type ChatResult, listModels, modelNotFound, prepareChat, retrieveModel, runChat } from '../../agent/openai.js';
import { ProtocolError } from '../../protocol/errors.js';
import { TPOT_HEADER, TTFT_HEADER } from '../../protocol/llm.js';
import { ROUTES } from '../../protocol/routes.js';
import { DeadlineMs } from '../../protocol/schemas.js';
import { DEADLINE_HEADER } from '../../protocol/version.js';
import { contentLength, readText } from '../http.js';
import type { ServerContext } from './context.js';
import { attachHandoff } from './handoff.js';

export const DEFAULT_CHAT_DEADLINE_MS = 600_000;

/** Rough tokens of a prompt before the worker's tokenizer sees it (admission only). */
const tokensOf = (chars: number) => Math.ceil(chars / 3);

/** The completion's TTFT and TPOT targets (switchyard-ttft-ms, switchyard-tpot-ms), when given. */
function sloHeaders(h: Record<string, string | string[] | undefined>): { ttftMs?: number; tpotMs?: number } {
  const out: { ttftMs?: number; tpotMs?: number } = {};
  for (const [name, key] of [
    [TTFT_HEADER, 'ttftMs'],
    [TPOT_HEADER, 'tpotMs'],
  ] as const) {
    if (h[name] === undefined) continue;
    const v = DeadlineMs.safeParse(h[name]);
    if (!v.success)
      throw new ProtocolError('bad_request', `header ${name} must be an integer number of ms from 1 to 3600000`);
    out[key] = v.data;
  }
  return out;
}

export function registerChatRoutes(c: ServerContext): void {
  const { app, o, llm, llmScheduler: queue, metrics } = c;

  app.get(ROUTES.models, async () => listModels(llm, (name) => llm.infos.get(name)));
  app.get(`${ROUTES.models}/*`, async (req, reply) => {
    const id = decodeURIComponent((req.params as { '*': string })['*']);
    const m = retrieveModel(llm, id, (name) => llm.infos.get(name));
    return m ?? reply.code(404).send(modelNotFound(id, llm));
  });

  app.post(ROUTES.chat, async (req, reply) => {
    const t0 = performance.now();
    if (!llm.size)
      throw new ProtocolError(
        'not_found',
        `this server serves no language models; start it with --llm name=path (then POST ${ROUTES.chat})`,
      );
    let deadlineMs = DEFAULT_CHAT_DEADLINE_MS;
    if (req.headers[DEADLINE_HEADER] !== undefined) {
      const dl = DeadlineMs.safeParse(req.headers[DEADLINE_HEADER]);
      if (!dl.success)
        throw new ProtocolError(
          'bad_request',
          `header ${DEADLINE_HEADER} must be an integer number of ms from 1 to 3600000`,
        );
      deadlineMs = dl.data;
    }
    const slo = sloHeaders(req.headers);
    const type = String(req.headers['content-type'] ?? 'application/json');
    if (!/^application\/json\b/i.test(type))
      throw new ProtocolError(
        'unsupported_media_type',
        `${ROUTES.chat} takes application/json, not ${type.slice(0, 80)}`,
      );
    contentLength(req, c.maxBody, false);
    const text = await readText(req, c.maxBody);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new ProtocolError('bad_request', `the body is not JSON: ${(e as Error).message.slice(0, 200)}`);
    }
    const ac = new AbortController();
    const prep = prepareChat(body, llm, ac.signal);
    if ('error' in prep) return send(prep.error);
    const { chat } = prep;
    await attachHandoff(c, chat, body, req.headers.authorization); // the decode half of a KV hand-off
    const model = chat.body.model;
    // limits before deadlines: what can never fit this engine's KV cache is a 400, not a 503 to retry
    const capacity = llm.infos.get(model)?.capacity;
    if (capacity !== undefined && chat.maxTokens >= capacity) {
      const param = chat.body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
      return send({
        status: 400,
        json: {
          error: {
            code: 'context_length_exceeded',
            message:
              `${param} ${chat.maxTokens} leaves no room ` +
              `for the prompt in the ${capacity} positions the server's KV cache holds for model '${model}'`,
            type: 'invalid_request_error',
            param,
          },
        },
      });
    }
    const ask = { model, promptTokens: tokensOf(chat.promptChars), maxTokens: chat.maxTokens, deadlineMs, ...slo };
    const refuse = (e: unknown) => {
      metrics.refused.inc({ code: (e as ProtocolError).code ?? 'error' });
      return e;
    };
    try {
      queue.check(ask, performance.now() - t0);
    } catch (e) {
      throw refuse(e);
    }
    // a client that leaves while its completion waits for a slot leaves the queue
    const gone = new AbortController();
    const onGone = () => {
      if (!reply.raw.writableFinished) gone.abort();
    };
    reply.raw.on('close', onGone);
    const release = await queue
      .acquire(ask, t0 + deadlineMs, gone.signal)
      .catch((e: unknown) => {
        throw gone.signal.aborted ? e : refuse(e);
      })
      .finally(() => reply.raw.off('close', onGone));
    if (gone.signal.aborted || reply.raw.destroyed) {
      // it left just as the slot came: nothing to compute
      release();
      metrics.llmCompletions.inc({ model, finish: 'client_gone' });
      return reply;
    }
    metrics.queueSeconds.observe((performance.now() - t0) / 1000);
    // past the deadline and the grace period the generation stops; the client's leaving stops it too
    const timer = setTimeout(
      () => {
        metrics.refused.inc({ code: 'deadline_exceeded' });
        ac.abort(
          new ProtocolError(
            'deadline_exceeded',
            `the completion ran past its deadline of ${deadlineMs} ms (+${o.graceMs} ms grace) and was stopped`,
          ),
        );
      },
      Math.max(1, t0 + deadlineMs - performance.now()) + o.graceMs,
    );
    const onClose = () => {
      if (reply.raw.writableFinished) return;
      metrics.llmCompletions.inc({ model, finish: 'client_gone' });
      ac.abort(new Error('the client closed the connection'));
      // the slot is free now (the worker drops the sequence within a step); a stream nobody reads
      // any more is ended here, as the server would not pull it to its end
      finish();
      sse?.destroy();
    };
    let sse: Readable | undefined;
    reply.raw.on('close', onClose);
    let held = true;
    const finish = () => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      reply.raw.off('close', onClose);
      release();
    };
    let result: ChatResult;
    try {
      result = await runChat(chat, {
        onResult: (r) => {
          llm.record(model, r);
          metrics.llmTokens.inc({ model, kind: 'prompt' }, r.promptTokens);
          metrics.llmTokens.inc({ model, kind: 'completion' }, r.tokens.length);
          metrics.llmCompletions.inc({ model, finish: r.finishReason });
          if (r.tokens.length) metrics.llmTtft.observe({ model }, r.ttftMs / 1000);
          if (r.tokens.length > 1) metrics.llmTpot.observe({ model }, r.tpotMs / 1000);
          if (r.batchRows !== undefined) metrics.llmBatchRows.observe({ model }, r.batchRows);
          metrics.runSeconds.observe((r.prefillMs + r.decodeMs) / 1000);
        },
      });
    } catch (e) {
      finish();
      throw e;
    }
    if ('json' in result) {
      finish();
      return send(result);
    }
    const stream = result.stream;
    async function* body2(): AsyncGenerator<string> {
      try {
        yield* stream;
      } finally {
        finish();
      }
    }
    return reply
      .code(200)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no') // nginx passes each event on at once
      .send((sse = Readable.from(body2(), { objectMode: false })));

    function send(r: ChatResult) {
      if (!('json' in r)) throw new Error('unreachable');
      if (r.status >= 400)
        metrics.refused.inc({ code: (r.json as { error?: { code?: string } }).error?.code ?? 'error' });
      const retry = (r.json as { error?: { code?: string } }).error?.code === 'internal' ? 2 : undefined;
      if (retry) reply.header('retry-after', String(retry));
      return reply.code(r.status).send(r.json);
    }
  });
}
