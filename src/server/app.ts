// The offload server: Fastify with the /v1 routes (routes/) over a blob store, a graph registry, a
// deadline-aware scheduler and a compute engine on worker threads. Every error is JSON
// {"error": {code, message}}; auth, versions, CORS, logs and metrics are hooks here.

import { createHash, timingSafeEqual } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { ERROR_STATUS, errorBody, ProtocolError } from '../protocol/errors.js';
import {
  API_PREFIX,
  DEADLINE_HEADER,
  GRAPH_HEADER,
  PROTOCOL_VERSION,
  parseVersion,
  SUPPORTED_VERSIONS,
  VERSION_HEADER,
  versionMismatch,
} from '../protocol/version.js';
import type { Calibration } from './core.js';
import { type Engine, InlineEngine, WorkerEngine } from './engine.js';
import { GraphRegistry } from './graphs.js';
import { hasBody, lingeringClose } from './http.js';
import { LlmAdmission } from './llm-admission.js';
import { LlmHost } from './llm-host.js';
import { createMetrics, type Metrics } from './metrics.js';
import { DEFAULT_SERVER_OPTIONS, MB, type ServerOptions } from './options.js';
import { buildProfile } from './profile.js';
import { registerBlobRoutes } from './routes/blobs.js';
import { registerChatRoutes } from './routes/chat.js';
import { registerGraphRoutes } from './routes/graphs.js';
import { registerHandoffRoutes } from './routes/handoff.js';
import { registerMetaRoutes } from './routes/meta.js';
import { registerRunRoute } from './routes/run.js';
import { Scheduler } from './scheduler.js';
import { BlobStore } from './store.js';

export { DEFAULT_SERVER_OPTIONS, SERVER_VERSION, type ServerOptions } from './options.js';

export interface OffloadServer {
  app: FastifyInstance;
  url: string;
  options: ServerOptions;
  /** Refuse new runs, finish queued and running ones (up to drainTimeoutMs), then close. */
  close(): Promise<void>;
}

const isLoopback = (h: string) => h === 'localhost' || h === '::1' || h.startsWith('127.');
const digest = (s: string) => createHash('sha256').update(s).digest();

function routeOf(req: FastifyRequest): string {
  return req.routeOptions?.url ?? 'unmatched';
}

const REASONS: Record<number, string> = { 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

export async function startServer(partial: Partial<ServerOptions> = {}): Promise<OffloadServer> {
  const o: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  if (!o.token && !isLoopback(o.host) && !o.allowNoToken) {
    throw new Error(
      `refusing to serve on ${o.host} without a token: give --token or SWITCHYARD_TOKEN (or --allow-no-token behind ` +
        `a trusted proxy)`,
    );
  }
  const maxBody = Math.floor(o.maxBodyMb * MB);
  const store = new BlobStore(Math.floor(o.maxStoreMb * MB));
  const engine: Engine = o.workers > 0 ? new WorkerEngine(o.backend, o.workers) : new InlineEngine(o.backend);
  const scheduler = new Scheduler(engine.concurrency, o.maxQueue);
  const tokenDigest = o.token ? digest(o.token) : undefined;

  const app = Fastify({
    logger: { level: o.logLevel, ...(o.logStream ? { stream: o.logStream } : {}) },
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    keepAliveTimeout: 65_000,
    requestTimeout: 120_000,
    routerOptions: { maxParamLength: 128 },
    // bad URLs and over-long path segments, caught by the router before any route
    frameworkErrors: (err, _req, r) => {
      const reply = r as unknown as FastifyReply;
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      reply
        .code(status)
        .header(VERSION_HEADER, String(PROTOCOL_VERSION))
        .send(errorBody('bad_request', `malformed URL: ${err.message.slice(0, 200)}`));
    },
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return;
      const status =
        (err as { code?: string }).code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW'
            ? 431
            : 400;
      const body = JSON.stringify(
        errorBody(status === 408 ? 'request_timeout' : 'bad_request', `malformed HTTP request: ${err.message}`),
      );
      socket.end(
        `HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: ` +
          `close\r\n\r\n${body}`,
      );
    },
  });
  const log = app.log;
  await engine.start().catch(async (e) => {
    await engine.close();
    throw e;
  });
  const calibration: Calibration = await engine.calibrate();
  const graphs = new GraphRegistry(store, engine, calibration, o, log);
  // the LLMs load before the server listens: its readiness line means they are ready
  const llm = new LlmHost(
    o.backend,
    o.llms.map((m) => ({
      ...m,
      capacity: o.llmCapacity,
      batch: o.llmBatch ?? 1,
      kvBlockSize: o.llmKvBlockSize,
      kvBlocks: o.llmKvBlocks,
      prefixReuse: o.llmPrefixReuse,
    })),
    log,
    o.slowMs,
  );
  if (llm.size)
    await llm.start().catch(async (e) => {
      await llm.close();
      await engine.close();
      throw e;
    });
  // the worker's slots: the fewest any served model has (1 where a model runs unbatched)
  const slots = Math.min(...llm.all().map((i) => i.batching?.slots ?? 1), llm.size ? Infinity : 1);
  const llmScheduler = new LlmAdmission(Number.isFinite(slots) ? slots : 1, o.maxLlmQueue, (name) =>
    llm.infos.get(name),
  );
  const metrics: Metrics = createMetrics({
    depth: () => scheduler.depth + llmScheduler.depth,
    running: () => scheduler.running + llmScheduler.running,
    storeBytes: () => store.bytes,
    graphs: () => graphs.size,
    draining: () => scheduler.draining,
  });

  // Bodies are read as streams by the handlers (framing, hashing), never buffered by Fastify.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  if (o.corsOrigins.length) {
    await app.register(cors, {
      origin: o.corsOrigins,
      methods: ['GET', 'HEAD', 'PUT', 'POST'],
      allowedHeaders: ['authorization', 'content-type', VERSION_HEADER, GRAPH_HEADER, DEADLINE_HEADER],
      exposedHeaders: [VERSION_HEADER, 'retry-after', 'server-timing', 'switchyard-blob-bytes'],
      maxAge: 600,
    });
  }

  app.addHook('onRequest', async (req, reply) => {
    reply.header(VERSION_HEADER, String(PROTOCOL_VERSION));
    if (req.method === 'OPTIONS') return;
    const v = parseVersion(req.headers[VERSION_HEADER] as string | undefined);
    if (v === 'invalid' || (v !== undefined && !SUPPORTED_VERSIONS.includes(v))) {
      throw new ProtocolError('protocol_version', versionMismatch(String(req.headers[VERSION_HEADER]), 'client'), {
        supported: SUPPORTED_VERSIONS,
      });
    }
    if (req.url === `${API_PREFIX}/health` || !tokenDigest) return;
    if (o.publicMetrics && req.url.split('?')[0] === '/metrics') return;
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer ([!-~]+)$/i.exec(h) : null;
    if (!m || !timingSafeEqual(digest(m[1]!), tokenDigest)) {
      reply.header('www-authenticate', 'Bearer realm="switchyard"');
      throw new ProtocolError(
        'unauthorized',
        m ? 'bearer token is not valid for this server' : 'missing "Authorization: Bearer <token>" header',
      );
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = routeOf(req);
    const ms = reply.elapsedTime;
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, ms / 1000);
    log.info(
      {
        method: req.method,
        route,
        status: reply.statusCode,
        ms: Math.round(ms * 100) / 100,
        reqBytes: Number(req.headers['content-length'] ?? 0),
      },
      'request',
    );
  });

  app.setErrorHandler((e: unknown, req, reply) => {
    const err = e as Error & { statusCode?: number };
    if (err instanceof ProtocolError) {
      if (err.extra.retryAfterS !== undefined) reply.header('retry-after', String(err.extra.retryAfterS));
      if (err.status >= 500) log.warn({ code: err.code, route: routeOf(req) }, err.message);
      // a body we did not read: close the connection, after reading what the client still sends
      // (bounded), so that it reads this answer and not a reset
      if (!req.raw.readableEnded && hasBody(req.raw)) {
        reply.header('connection', 'close');
        lingeringClose(req.raw);
      }
      return reply.code(err.status).send(err.body());
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      log.error({ err, route: routeOf(req) }, 'internal error');
      return reply.code(500).send(errorBody('internal', `internal server error: ${err.message}`));
    }
    const code = Object.entries(ERROR_STATUS).find(([, s]) => s === status)?.[0] ?? 'bad_request';
    if (!req.raw.readableEnded && hasBody(req.raw)) {
      reply.header('connection', 'close');
      lingeringClose(req.raw);
    }
    return reply.code(status).send(errorBody(code, err.message));
  });

  app.setNotFoundHandler((req, reply) => {
    if (!req.raw.readableEnded && hasBody(req.raw)) {
      reply.header('connection', 'close');
      lingeringClose(req.raw);
    }
    const m = /^\/v(\d+)\//.exec(req.url);
    if (m && Number(m[1]) !== PROTOCOL_VERSION) {
      const e = new ProtocolError(
        'protocol_version',
        `protocol version mismatch: the request used /v${m[1]}/, this server speaks ` +
          `${SUPPORTED_VERSIONS.map((x) => `/v${x}/`).join(', ')}; upgrade the older side`,
        { supported: SUPPORTED_VERSIONS },
      );
      return reply.code(e.status).send(e.body());
    }
    reply
      .code(404)
      .send(
        errorBody(
          'not_found',
          `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}; see GET ${API_PREFIX}/info`,
        ),
      );
  });

  const ctx = {
    app,
    o,
    maxBody,
    store,
    graphs,
    scheduler,
    engine,
    metrics,
    profile: buildProfile(o, calibration, o.port),
    startedAt: new Date().toISOString(),
    llm,
    llmScheduler,
  };
  registerMetaRoutes(ctx);
  registerBlobRoutes(ctx);
  registerHandoffRoutes(ctx);
  registerGraphRoutes(ctx);
  registerRunRoute(ctx);
  registerChatRoutes(ctx);

  await app.listen({ host: o.host, port: o.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  ctx.profile = buildProfile(o, calibration, port);
  log.info(
    {
      url,
      backend: o.backend,
      workers: o.workers,
      auth: !!o.token,
      cors: o.corsOrigins,
      f32GFlops: Math.round(calibration.f32Flops / 1e7) / 100,
      llms: llm.names(),
    },
    'server started',
  );

  let closing: Promise<void> | undefined;
  return {
    app,
    url,
    options: o,
    close() {
      closing ??= (async () => {
        scheduler.draining = true;
        llmScheduler.draining = true;
        log.info(
          { queued: scheduler.depth + llmScheduler.depth, running: scheduler.running + llmScheduler.running },
          'draining: refusing new runs, finishing queued ones',
        );
        await Promise.race([
          Promise.all([scheduler.idle(), llmScheduler.idle()]),
          new Promise((r) => setTimeout(r, o.drainTimeoutMs).unref()),
        ]);
        await app.close();
        await engine.close();
        await llm.close();
        log.info('closed');
      })();
      return closing;
    },
  };
}
