// The offload server: Fastify routes for /v1 over a blob store, a graph registry, a bounded
// scheduler and a compute engine (worker threads). Every error is JSON {"error": {code, message}}.

import { timingSafeEqual, createHash } from 'node:crypto';
import { hostname, totalmem } from 'node:os';
import { Readable } from 'node:stream';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import { registeredOps } from '../ir/op-def.js';
import { ERROR_STATUS, ProtocolError, errorBody } from '../protocol/errors.js';
import { decodeFrame, encodeFrame } from '../protocol/framing.js';
import { blobRefs } from '../protocol/graph-wire.js';
import type { ServerProfile } from '../protocol/profile.js';
import { BlobQuerySchema, DeadlineMs, META_KEY, RunRequestMetaSchema, Sha256, zodReason, type GraphInfo, type Health, type Info } from '../protocol/schemas.js';
import { API_PREFIX, DEADLINE_HEADER, GRAPH_HEADER, PROTOCOL_VERSION, SUPPORTED_VERSIONS, VERSION_HEADER, parseVersion, versionMismatch } from '../protocol/version.js';
import type { Calibration, GraphMeta } from './core.js';
import { InlineEngine, WorkerEngine, type Engine, type GraphSource } from './engine.js';
import { createMetrics, type Metrics } from './metrics.js';
import { Scheduler } from './scheduler.js';
import { BlobStore } from './store.js';

export const SERVER_VERSION = '0.1.0';
const MB = 1 << 20;

export interface ServerOptions {
  host: string;
  port: number;
  backend: string;
  /** Bearer token; undefined serves without auth (refused on non-loopback hosts unless allowNoToken). */
  token?: string;
  allowNoToken?: boolean;
  maxBodyMb: number;
  /** Runs waiting for a worker before 429. */
  maxQueue: number;
  /** Compute worker threads; 0 computes on the HTTP thread. */
  workers: number;
  maxStoreMb: number;
  maxGraphs: number;
  /** Bytes of run bodies being read or waiting, all together, before 429. */
  maxInflightMb: number;
  corsOrigins: string[];
  pricePerHour: number;
  /** Extra compute time per run, ms (a slow device for tests and demos). */
  slowMs: number;
  /** A run still computing this long after its deadline is stopped (worker replaced). */
  graceMs: number;
  drainTimeoutMs: number;
  logLevel: string;
  /** Serve /metrics without the token (a scraper inside a private network). */
  publicMetrics?: boolean;
  /** Pino destination for the logs (default stdout). */
  logStream?: { write(msg: string): void };
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1', port: 8080, backend: 'reference', maxBodyMb: 256, maxQueue: 64, workers: 1,
  maxStoreMb: 2048, maxGraphs: 64, maxInflightMb: 1024, corsOrigins: [], pricePerHour: 0, slowMs: 0,
  graceMs: 1000, drainTimeoutMs: 30_000, logLevel: 'info',
};

interface GraphEntry {
  src: GraphSource;
  meta: GraphMeta;
  blobs: string[];
  runs: number;
  /** exponential average of measured compute ms */
  meanMs: number;
  used: number;
}

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

export async function startServer(partial: Partial<ServerOptions> = {}): Promise<OffloadServer> {
  const o: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  if (!o.token && !isLoopback(o.host) && !o.allowNoToken) {
    throw new Error(`refusing to serve on ${o.host} without a token: give --token or SWITCHYARD_TOKEN (or --allow-no-token behind a trusted proxy)`);
  }
  const maxBody = Math.floor(o.maxBodyMb * MB);
  const store = new BlobStore(Math.floor(o.maxStoreMb * MB));
  const graphs = new Map<string, GraphEntry>();
  const loading = new Map<string, Promise<GraphEntry>>();
  const engine: Engine = o.workers > 0 ? new WorkerEngine(o.backend, o.workers) : new InlineEngine(o.backend);
  const scheduler = new Scheduler(engine.concurrency, o.maxQueue);
  const maxInflight = Math.floor(o.maxInflightMb * MB);
  let inflightBytes = 0;
  const startedAt = new Date().toISOString();
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
      reply.code(status).header(VERSION_HEADER, String(PROTOCOL_VERSION)).send(errorBody('bad_request', `malformed URL: ${err.message.slice(0, 200)}`));
    },
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return;
      const status = (err as { code?: string }).code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify(errorBody(status === 408 ? 'request_timeout' : 'bad_request', `malformed HTTP request: ${err.message}`));
      socket.end(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
  });
  const log = app.log;

  await engine.start().catch(async (e) => { await engine.close(); throw e; });
  const calibration: Calibration = await engine.calibrate();
  const profile = buildProfile(o, calibration);

  const metrics: Metrics = createMetrics({
    depth: () => scheduler.depth, running: () => scheduler.running, storeBytes: () => store.bytes,
    graphs: () => graphs.size, draining: () => scheduler.draining,
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
      throw new ProtocolError('protocol_version', versionMismatch(String(req.headers[VERSION_HEADER]), 'client'), { supported: SUPPORTED_VERSIONS });
    }
    if (req.url === `${API_PREFIX}/health` || !tokenDigest) return;
    if (o.publicMetrics && req.url.split('?')[0] === '/metrics') return;
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer ([!-~]+)$/i.exec(h) : null;
    if (!m || !timingSafeEqual(digest(m[1]!), tokenDigest)) {
      reply.header('www-authenticate', 'Bearer realm="switchyard"');
      throw new ProtocolError('unauthorized', m ? 'bearer token is not valid for this server' : 'missing "Authorization: Bearer <token>" header');
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = routeOf(req);
    const ms = reply.elapsedTime;
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, ms / 1000);
    log.info({ method: req.method, route, status: reply.statusCode, ms: Math.round(ms * 100) / 100, reqBytes: Number(req.headers['content-length'] ?? 0) }, 'request');
  });

  app.setErrorHandler((e: unknown, req, reply) => {
    const err = e as Error & { statusCode?: number };
    if (err instanceof ProtocolError) {
      if (err.extra.retryAfterS !== undefined) reply.header('retry-after', String(err.extra.retryAfterS));
      if (err.status >= 500) log.warn({ code: err.code, route: routeOf(req) }, err.message);
      // a body we did not read is discarded by closing the connection, not by reading it
      if (!req.raw.readableEnded && Number(req.headers['content-length'] ?? 0) > 65536) reply.header('connection', 'close');
      return reply.code(err.status).send(err.body());
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      log.error({ err, route: routeOf(req) }, 'internal error');
      return reply.code(500).send(errorBody('internal', `internal server error: ${err.message}`));
    }
    const code = Object.entries(ERROR_STATUS).find(([, s]) => s === status)?.[0] ?? 'bad_request';
    return reply.code(status).send(errorBody(code, err.message));
  });

  app.setNotFoundHandler((req, reply) => {
    const m = /^\/v(\d+)\//.exec(req.url);
    if (m && Number(m[1]) !== PROTOCOL_VERSION) {
      const e = new ProtocolError('protocol_version', `protocol version mismatch: the request used /v${m[1]}/, this server speaks ${SUPPORTED_VERSIONS.map((x) => `/v${x}/`).join(', ')}; upgrade the older side`, { supported: SUPPORTED_VERSIONS });
      return reply.code(e.status).send(e.body());
    }
    reply.code(404).send(errorBody('not_found', `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}; see GET ${API_PREFIX}/info`));
  });

  // ---- helpers ----
  const sha = (p: unknown, what: string): string => {
    const r = Sha256.safeParse(p);
    if (!r.success) throw new ProtocolError('bad_request', `${what} must be a lowercase hex SHA-256 (64 characters)`);
    return r.data;
  };
  const lengthOf = (req: FastifyRequest, required: boolean): number | undefined => {
    const h = req.headers['content-length'];
    if (h === undefined) {
      if (required) throw new ProtocolError('bad_request', 'Content-Length is required for this route');
      return undefined;
    }
    const n = Number(h);
    if (!Number.isSafeInteger(n) || n < 0) throw new ProtocolError('bad_request', `Content-Length ${JSON.stringify(h)} is not a byte count`);
    if (n > maxBody) throw new ProtocolError('payload_too_large', `body of ${n} bytes is larger than this server's limit of ${maxBody} bytes (--max-body-mb ${o.maxBodyMb})`);
    return n;
  };
  const readText = async (req: FastifyRequest, limit: number): Promise<string> => {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req.raw as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > limit) throw new ProtocolError('payload_too_large', `body is larger than the limit of ${limit} bytes`);
      chunks.push(c);
    }
    try { return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)); } catch { throw new ProtocolError('bad_request', 'body is not valid UTF-8'); }
  };
  const estimateMs = (g: GraphEntry): number => {
    if (g.runs > 0) return g.meanMs + o.slowMs;
    const w = g.meta;
    const compute = w.flops !== undefined ? Math.max(w.flops / calibration.f32Flops, (w.bytes ?? 0) / calibration.memBandwidth) * 1000 : 0;
    return compute + w.nodes * calibration.launchOverhead * 1000 + o.slowMs;
  };
  const graphInfo = (id: string, g: GraphEntry): GraphInfo => ({
    id, name: g.meta.name, nodes: g.meta.nodes, inputs: g.meta.inputs, outputs: g.meta.outputs,
    ...(g.meta.flops !== undefined ? { flops: g.meta.flops } : {}),
    estimatedMs: estimateMs(g), runs: g.runs, compileMs: g.meta.compileMs,
  });
  const evictGraphs = async () => {
    while (graphs.size > o.maxGraphs) {
      const [id, g] = [...graphs].sort((a, b) => a[1].used - b[1].used)[0]!;
      graphs.delete(id);
      store.pin(g.blobs, -1);
      await engine.unload(id);
      log.info({ graph: id }, 'graph evicted (least recently used)');
    }
  };

  // ---- routes ----
  app.get(`${API_PREFIX}/health`, async (_req, reply) => {
    const body: Health = { status: scheduler.draining ? 'draining' : 'ok', protocol: [...SUPPORTED_VERSIONS], version: SERVER_VERSION };
    return reply.code(scheduler.draining ? 503 : 200).send(body);
  });

  app.get(`${API_PREFIX}/info`, async () => {
    const body: Info = {
      protocol: [...SUPPORTED_VERSIONS],
      server: { version: SERVER_VERSION, backend: o.backend, startedAt, status: scheduler.draining ? 'draining' : 'ok' },
      profile,
      queue: { depth: scheduler.depth, running: scheduler.running, max: o.maxQueue, concurrency: engine.concurrency, estimatedWaitMs: scheduler.waitMs() },
      graphs: [...graphs].map(([id, g]) => graphInfo(id, g)),
      store: { blobs: store.count, bytes: store.bytes, maxBytes: store.maxBytes },
      limits: { maxBodyBytes: maxBody, maxQueue: o.maxQueue, maxTensorBytes: maxBody, maxProbeBytes: Math.min(maxBody, 64 * MB) },
    };
    return body;
  });

  app.head(`${API_PREFIX}/blobs/:sha`, async (req, reply) => {
    const h = sha((req.params as { sha: string }).sha, 'blob address');
    const b = store.get(h);
    metrics.dedup.inc({ result: b ? 'hit' : 'miss' });
    if (!b) return reply.code(404).send();
    return reply.code(200).header('switchyard-blob-bytes', String(b.length)).send();
  });

  app.put(`${API_PREFIX}/blobs/:sha`, async (req, reply) => {
    const h = sha((req.params as { sha: string }).sha, 'blob address');
    const n = lengthOf(req, true)!;
    const created = await store.put(h, req.raw, n);
    metrics.bytes.inc({ direction: 'in', kind: 'blob' }, n);
    return reply.code(created ? 201 : 200).send({ sha256: h, bytes: n, created });
  });

  app.post(`${API_PREFIX}/blobs/query`, async (req) => {
    const text = await readText(req, 16 * MB);
    let body: unknown;
    try { body = JSON.parse(text); } catch { throw new ProtocolError('bad_request', 'body must be JSON: {"sha256": ["<hex>", ...]}'); }
    const r = BlobQuerySchema.safeParse(body);
    if (!r.success) throw new ProtocolError('bad_request', `blob query: ${zodReason(r.error)}`);
    const missing: string[] = [], present: string[] = [];
    for (const h of r.data.sha256) (store.get(h) ? present : missing).push(h);
    metrics.dedup.inc({ result: 'hit' }, present.length);
    metrics.dedup.inc({ result: 'miss' }, missing.length);
    return { missing, present };
  });

  app.head(`${API_PREFIX}/graphs/:sha`, async (req, reply) => {
    const h = sha((req.params as { sha: string }).sha, 'graph address');
    return reply.code(graphs.has(h) ? 200 : 404).send();
  });

  app.get(`${API_PREFIX}/graphs/:sha`, async (req) => {
    const h = sha((req.params as { sha: string }).sha, 'graph address');
    const g = graphs.get(h);
    if (!g) throw new ProtocolError('unknown_graph', `graph ${h} is not loaded; PUT it first`);
    return graphInfo(h, g);
  });

  app.put(`${API_PREFIX}/graphs/:sha`, async (req, reply) => {
    const id = sha((req.params as { sha: string }).sha, 'graph address');
    lengthOf(req, false);
    const text = await readText(req, maxBody);
    const got = createHash('sha256').update(text).digest('hex');
    if (got !== id) throw new ProtocolError('hash_mismatch', `graph text hashes to sha256 ${got}, not ${id} as the URL says`);
    const have = graphs.get(id);
    if (have) { have.used = performance.now(); return reply.code(200).send(graphInfo(id, have)); }
    let p = loading.get(id);
    if (!p) {
      p = (async () => {
        const refs = blobRefs(text);
        const missing = refs.filter((r) => !store.has(r));
        if (missing.length) throw new ProtocolError('missing_blobs', `graph refers to ${missing.length} blob(s) this server does not hold; PUT them first`, { missing });
        store.pin(refs, 1);
        try {
          const src: GraphSource = { id, text, blobs: new Map(refs.map((r) => [r, store.get(r)!])) };
          const meta = await engine.load(src);
          const entry: GraphEntry = { src, meta, blobs: refs, runs: 0, meanMs: 0, used: performance.now() };
          graphs.set(id, entry);
          log.info({ graph: id, name: meta.name, nodes: meta.nodes, compileMs: Math.round(meta.compileMs) }, 'graph loaded');
          await evictGraphs();
          return entry;
        } catch (e) {
          store.pin(refs, -1);
          throw e;
        }
      })();
      loading.set(id, p);
      p.finally(() => loading.delete(id)).catch(() => {});
    }
    const entry = await p;
    return reply.code(201).send(graphInfo(id, entry));
  });

  app.post(`${API_PREFIX}/run`, async (req, reply) => {
    const t0 = performance.now();
    const id = sha(req.headers[GRAPH_HEADER], `header ${GRAPH_HEADER}`);
    const dl = DeadlineMs.safeParse(req.headers[DEADLINE_HEADER]);
    if (!dl.success) throw new ProtocolError('bad_request', `header ${DEADLINE_HEADER} must be an integer number of ms from 1 to 3600000 (every run has a deadline)`);
    const deadlineMs = dl.data;
    const deadlineAt = t0 + deadlineMs;
    const g = graphs.get(id);
    if (!g) throw new ProtocolError('unknown_graph', `graph ${id} is not loaded; PUT ${API_PREFIX}/graphs/${id} first`);
    g.used = performance.now();
    const len = lengthOf(req, false);
    const est = estimateMs(g);
    try {
      scheduler.check(est, deadlineMs);
    } catch (e) {
      metrics.refused.inc({ code: (e as ProtocolError).code });
      throw e;
    }
    const charge = len ?? maxBody;
    if (inflightBytes + charge > maxInflight) {
      metrics.refused.inc({ code: 'queue_full' });
      throw new ProtocolError('queue_full', `server is holding ${inflightBytes} bytes of run bodies (limit ${maxInflight})`, { retryAfterS: 1 });
    }
    inflightBytes += charge;
    let release: (() => void) | undefined;
    try {
      // with a Content-Length the body lands in one buffer and the tensors view it (one copy in all)
      const frame = await decodeFrame(len !== undefined ? await readExactly(req.raw, len) : req.raw, { maxBodyBytes: maxBody }, len);
      metrics.bytes.inc({ direction: 'in', kind: 'run' }, len ?? 0);
      let wanted: string[] | undefined;
      const metaText = frame.meta[META_KEY];
      if (metaText !== undefined) {
        let parsed: unknown;
        try { parsed = JSON.parse(metaText); } catch { throw new ProtocolError('bad_request', `__metadata__.${META_KEY} is not JSON`); }
        const r = RunRequestMetaSchema.safeParse(parsed);
        if (!r.success) throw new ProtocolError('bad_request', `__metadata__.${META_KEY}: ${zodReason(r.error)}`);
        wanted = r.data.outputs;
      }
      const tq = performance.now();
      if (tq > deadlineAt) throw new ProtocolError('deadline_exceeded', `deadline of ${deadlineMs} ms passed while the request body was read`);
      try {
        scheduler.check(est, deadlineMs, tq - t0);
      } catch (e) {
        metrics.refused.inc({ code: (e as ProtocolError).code });
        throw e;
      }
      try {
        release = await scheduler.acquire(est, deadlineAt);
      } catch (e) {
        metrics.refused.inc({ code: (e as ProtocolError).code });
        throw e;
      }
      const queueMs = performance.now() - tq;
      metrics.queueSeconds.observe(queueMs / 1000);
      const hardLimitMs = Math.max(1, deadlineAt - performance.now()) + o.graceMs;
      const r = await engine.run(g.src, frame.tensors, { wanted, slowMs: o.slowMs, hardLimitMs });
      release();
      release = undefined;
      g.meanMs = g.runs === 0 ? r.computeMs : 0.8 * g.meanMs + 0.2 * r.computeMs;
      g.runs++;
      metrics.runSeconds.observe(r.computeMs / 1000);
      const serverMs = performance.now() - t0;
      const out = encodeFrame(r.outputs, { [META_KEY]: JSON.stringify({ graph: id, queueMs, computeMs: r.computeMs, serverMs }) });
      metrics.bytes.inc({ direction: 'out', kind: 'run' }, out.byteLength);
      reply.header('content-type', 'application/octet-stream')
        .header('content-length', String(out.byteLength))
        .header('server-timing', `queue;dur=${queueMs.toFixed(2)}, compute;dur=${r.computeMs.toFixed(2)}, total;dur=${serverMs.toFixed(2)}`);
      return reply.send(bodyOf(out.parts, out.byteLength));
    } finally {
      release?.();
      inflightBytes -= charge;
    }
  });

  app.post(`${API_PREFIX}/probe`, async (req) => {
    const limit = Math.min(maxBody, 64 * MB);
    const n = lengthOf(req, false);
    if (n !== undefined && n > limit) throw new ProtocolError('payload_too_large', `probe bodies are at most ${limit} bytes`);
    const t = performance.now();
    let got = 0;
    for await (const c of req.raw as AsyncIterable<Buffer>) {
      got += c.length;
      if (got > limit) throw new ProtocolError('payload_too_large', `probe bodies are at most ${limit} bytes`);
    }
    return { bytes: got, ms: performance.now() - t };
  });

  let zeros = Buffer.alloc(0);
  app.get(`${API_PREFIX}/probe`, async (req, reply) => {
    const limit = Math.min(maxBody, 64 * MB);
    const q = (req.query as { bytes?: string }).bytes ?? '0';
    const n = /^[0-9]{1,12}$/.test(q) ? Number(q) : NaN;
    if (!Number.isSafeInteger(n) || n > limit) throw new ProtocolError('bad_request', `?bytes= must be an integer from 0 to ${limit}`);
    if (zeros.length < n) zeros = Buffer.alloc(n);
    return reply.header('content-type', 'application/octet-stream').send(zeros.subarray(0, n));
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  await app.listen({ host: o.host, port: o.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  profile.id = `switchyard@${hostname()}:${port}`;
  log.info({ url, backend: o.backend, workers: o.workers, auth: !!o.token, cors: o.corsOrigins, f32GFlops: Math.round(calibration.f32Flops / 1e7) / 100 }, 'server started');

  let closing: Promise<void> | undefined;
  return {
    app, url, options: o,
    close() {
      closing ??= (async () => {
        scheduler.draining = true;
        log.info({ queued: scheduler.depth, running: scheduler.running }, 'draining: refusing new runs, finishing queued ones');
        await Promise.race([scheduler.idle(), new Promise((r) => setTimeout(r, o.drainTimeoutMs).unref())]);
        await app.close();
        await engine.close();
        log.info('closed');
      })();
      return closing;
    },
  };
}

/** Read a body of known length into one buffer with 'data' events (cheaper than async iteration). */
function readExactly(stream: NodeJS.ReadableStream, n: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const out = new Uint8Array(n);
    let o = 0;
    const fail = (e: Error) => { cleanup(); reject(e); };
    const onData = (c: Buffer) => {
      if (o + c.length > n) return fail(new ProtocolError('bad_request', `body is longer than its Content-Length of ${n} bytes`));
      out.set(c, o);
      o += c.length;
    };
    const onEnd = () => { cleanup(); if (o !== n) reject(new ProtocolError('bad_request', `body ended after ${o} of ${n} bytes`)); else resolve(out); };
    const onClose = () => fail(new ProtocolError('bad_request', `connection closed after ${o} of ${n} body bytes`));
    const cleanup = () => { stream.off('data', onData); stream.off('end', onEnd); stream.off('error', fail); stream.off('close', onClose); };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', fail);
    stream.on('close', onClose);
  });
}

function bodyOf(parts: Uint8Array[], n: number): Buffer | Readable {
  const bufs = parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  if (n <= 8 << 20 || bufs.length === 1) return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs, n);
  return Readable.from(bufs, { objectMode: false });
}

function buildProfile(o: ServerOptions, c: Calibration): ServerProfile {
  const measured = `calibrated at start (${o.backend} backend)`;
  return {
    id: `switchyard@${hostname()}:${o.port}`,
    name: `Switchyard offload server (${o.backend}, ${Math.max(1, o.workers)} worker${o.workers > 1 ? 's' : ''})`,
    kind: o.backend === 'webgpu' ? 'gpu' : 'cpu',
    backend: o.backend,
    peakFlops: { f32: { value: c.f32Flops * Math.max(1, o.workers), source: measured, note: '128x128 matmul, per worker times workers' } },
    memBandwidth: { value: c.memBandwidth, source: measured, note: '4 MiB elementwise add' },
    launchOverhead: { value: c.launchOverhead, source: measured, note: 'one-element graph run' },
    memCapacity: { value: Math.min(totalmem(), o.maxStoreMb * MB), source: 'os.totalmem() and --max-store-mb', estimate: true },
    pricePerHour: { value: o.pricePerHour, source: o.pricePerHour ? '--price-per-hour' : 'default (no price given)', estimate: !o.pricePerHour },
    concurrency: Math.max(1, o.workers),
    supportedOps: registeredOps().map((d) => d.name).filter((n) => !n.startsWith('agent.')).sort(),
  };
}
