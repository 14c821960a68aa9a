// GET /v1/models[/{id}] answers, and the whole surface as a web-standard Request -> Response
// handler (Hono, Deno, workers, in-process clients through ChatEngine.fetch, tests).

import type { LlmProvider } from '../nodes/models.js';
import { errorJson } from './errors.js';
import { chatCompletion } from './run.js';
import type { ChatModels } from './schema.js';

export function listModels(models: ChatModels, extra?: (name: string) => Record<string, unknown> | undefined): unknown {
  return {
    object: 'list',
    data: models.names().map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'switchyard',
      ...(extra?.(id) ? { switchyard: extra(id) } : {}),
    })),
  };
}

/** One model, as GET /v1/models/{id} answers it (undefined when not served). */
export function retrieveModel(
  models: ChatModels,
  id: string,
  extra?: (name: string) => Record<string, unknown> | undefined,
): unknown {
  if (!models.names().includes(id)) return undefined;
  const x = extra?.(id);
  return { id, object: 'model', created: 0, owned_by: 'switchyard', ...(x ? { switchyard: x } : {}) };
}

export const modelNotFound = (id: string, models: ChatModels) =>
  errorJson(
    404,
    'model_not_found',
    `model '${id}' is not served here (models: ${models.names().join(', ') || 'none'})`,
    'model',
  );

/** Web-standard handler for /v1/chat/completions and /v1/models (Hono, Deno, workers, tests). */
export function fetchHandler(models: ChatModels): (req: Request) => Promise<Response> {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (path.endsWith('/models') && req.method === 'GET') return json(200, listModels(models));
    const one = /\/models\/(.+)$/.exec(path);
    if (one && req.method === 'GET') {
      const m = retrieveModel(models, decodeURIComponent(one[1]!));
      return m ? json(200, m) : json(404, modelNotFound(decodeURIComponent(one[1]!), models));
    }
    if (!path.endsWith('/chat/completions'))
      return json(404, {
        error: {
          code: 'not_found',
          message: `no route ${req.method} ${path}`,
          type: 'invalid_request_error',
          param: null,
        },
      });
    if (req.method !== 'POST')
      return json(405, {
        error: {
          code: 'method_not_allowed',
          message: `${path} takes POST`,
          type: 'invalid_request_error',
          param: null,
        },
      });
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return json(400, {
        error: { code: 'bad_request', message: 'the body is not JSON', type: 'invalid_request_error', param: null },
      });
    }
    const r = await chatCompletion(body, models, req.signal);
    if ('json' in r) return json(r.status, r.json);
    const enc = new TextEncoder();
    const it = r.stream[Symbol.asyncIterator]();
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(c) {
          const n = await it.next();
          if (n.done) c.close();
          else c.enqueue(enc.encode(n.value));
        },
        async cancel() {
          await it.return?.();
        },
      }),
      {
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' },
      },
    );
  };
}

/** Models from a map of providers. */
export function modelMap(m: Map<string, LlmProvider> | Record<string, LlmProvider>): ChatModels {
  const map = m instanceof Map ? m : new Map(Object.entries(m));
  return { get: (n) => map.get(n), names: () => [...map.keys()] };
}
