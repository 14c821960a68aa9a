// GET /v1/health (no auth), GET /v1/info, the link probes and GET /metrics.

import { ProtocolError } from '../../protocol/errors.js';
import type { Health, Info } from '../../protocol/schemas.js';
import { API_PREFIX, SUPPORTED_VERSIONS } from '../../protocol/version.js';
import { contentLength } from '../http.js';
import { MB, SERVER_VERSION } from '../options.js';
import type { ServerContext } from './context.js';

export function registerMetaRoutes(c: ServerContext): void {
  const { app, o, scheduler } = c;
  const probeLimit = Math.min(c.maxBody, 64 * MB);

  app.get(`${API_PREFIX}/health`, async (_req, reply) => {
    const body: Health = {
      status: scheduler.draining ? 'draining' : 'ok',
      protocol: [...SUPPORTED_VERSIONS],
      version: SERVER_VERSION,
    };
    return reply.code(scheduler.draining ? 503 : 200).send(body);
  });

  app.get(`${API_PREFIX}/info`, async () => {
    const body: Info = {
      protocol: [...SUPPORTED_VERSIONS],
      server: {
        version: SERVER_VERSION,
        backend: o.backend,
        startedAt: c.startedAt,
        status: scheduler.draining ? 'draining' : 'ok',
      },
      profile: c.profile,
      queue: {
        depth: scheduler.depth,
        running: scheduler.running,
        max: o.maxQueue,
        concurrency: c.engine.concurrency,
        estimatedWaitMs: scheduler.waitMs(),
      },
      graphs: c.graphs.all(),
      store: { blobs: c.store.count, bytes: c.store.bytes, maxBytes: c.store.maxBytes },
      limits: { maxBodyBytes: c.maxBody, maxQueue: o.maxQueue, maxTensorBytes: c.maxBody, maxProbeBytes: probeLimit },
      ...(c.llm.size
        ? {
            llms: c.llm.all(),
            llmQueue: {
              depth: c.llmScheduler.depth,
              running: c.llmScheduler.running,
              max: o.maxLlmQueue,
              concurrency: c.llmScheduler.concurrency,
              estimatedWaitMs: c.llmScheduler.waitMs(),
            },
          }
        : {}),
    };
    return body;
  });

  // upload bandwidth: the client times sending a body the server discards
  app.post(`${API_PREFIX}/probe`, async (req) => {
    const n = contentLength(req, c.maxBody, false);
    if (n !== undefined && n > probeLimit)
      throw new ProtocolError('payload_too_large', `probe bodies are at most ${probeLimit} bytes`);
    const t = performance.now();
    let got = 0;
    for await (const chunk of req.raw as AsyncIterable<Buffer>) {
      got += chunk.length;
      if (got > probeLimit)
        throw new ProtocolError('payload_too_large', `probe bodies are at most ${probeLimit} bytes`);
    }
    return { bytes: got, ms: performance.now() - t };
  });

  // download bandwidth: N zero bytes
  let zeros = Buffer.alloc(0);
  app.get(`${API_PREFIX}/probe`, async (req, reply) => {
    const q = (req.query as { bytes?: string }).bytes ?? '0';
    const n = /^[0-9]{1,12}$/.test(q) ? Number(q) : NaN;
    if (!Number.isSafeInteger(n) || n > probeLimit)
      throw new ProtocolError('bad_request', `?bytes= must be an integer from 0 to ${probeLimit}`);
    if (zeros.length < n) zeros = Buffer.alloc(n);
    return reply.header('content-type', 'application/octet-stream').send(zeros.subarray(0, n));
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.header('content-type', c.metrics.registry.contentType).send(await c.metrics.registry.metrics());
  });
}
