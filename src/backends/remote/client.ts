// HTTP client for the /v1 offload protocol over web-standard fetch (same code in a page and in
// Node). Every failure becomes a RemoteError with a code: the server's JSON error code, or
// 'unreachable' / 'timeout' / 'bad_response' for what happens on the way. Deduplication: blobs are
// HEAD-checked before upload, and what was confirmed present is remembered per client.

import type { z } from 'zod';
import type { Tensor } from '../../ir/tensor.js';
import { decodeFrame, type EncodedFrame, encodeFrame } from '../../protocol/framing.js';
import type { WireGraph } from '../../protocol/graph-wire.js';
import { ROUTES } from '../../protocol/routes.js';
import {
  BlobPutSchema,
  BlobQueryResultSchema,
  ErrorBodySchema,
  type GraphInfo,
  GraphInfoSchema,
  type Health,
  HealthSchema,
  type Info,
  InfoSchema,
  META_KEY,
  type RunResultMeta,
  RunResultMetaSchema,
} from '../../protocol/schemas.js';
import {
  DEADLINE_HEADER,
  GRAPH_HEADER,
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
  VERSION_HEADER,
  versionMismatch,
} from '../../protocol/version.js';
import { DeviceError } from '../device.js';

/** Any failure of a remote call is a DeviceError: the runtime answers it by running the work locally. */
export class RemoteError extends DeviceError {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly retryAfterS?: number,
    readonly details: Record<string, unknown> = {},
    device = 'remote',
  ) {
    super(message, device);
    this.name = 'RemoteError';
  }
}

export interface RemoteClientOptions {
  url: string;
  token?: string;
  /** Timeout for calls other than runs, ms (default 30000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Device id for errors (RemoteDevice passes its own). */
  deviceId?: string;
}

/** Bytes this client has sent and skipped, by kind (the dedup benchmark reads them). */
export interface TransferStats {
  blobBytesUploaded: number;
  blobBytesSkipped: number;
  blobsUploaded: number;
  blobsSkipped: number;
  graphBytesUploaded: number;
  runBytesSent: number;
  runBytesReceived: number;
  runs: number;
}

const STREAM_ABOVE = 8 << 20;
const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export class RemoteClient {
  readonly url: string;
  private known = new Set<string>();
  readonly stats: TransferStats = {
    blobBytesUploaded: 0,
    blobBytesSkipped: 0,
    blobsUploaded: 0,
    blobsSkipped: 0,
    graphBytesUploaded: 0,
    runBytesSent: 0,
    runBytesReceived: 0,
    runs: 0,
  };
  private fetch: typeof fetch;

  /** Device id carried by this client's errors (the runtime moves work off the device that failed). */
  readonly deviceId: string;

  constructor(private opts: RemoteClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.deviceId = opts.deviceId ?? `remote:${this.url}`;
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  private fail(
    code: string,
    message: string,
    status?: number,
    retryAfterS?: number,
    details: Record<string, unknown> = {},
  ): RemoteError {
    return new RemoteError(code, message, status, retryAfterS, details, this.deviceId);
  }

  private async request(
    method: string,
    path: string,
    init: { body?: BodyInit; headers?: Record<string, string>; timeoutMs?: number; okStatuses?: number[] } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { [VERSION_HEADER]: String(PROTOCOL_VERSION), ...init.headers };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    const timeoutMs = init.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    const req: RequestInit & { duplex?: 'half' } = {
      method,
      headers,
      body: init.body,
      signal: AbortSignal.timeout(timeoutMs),
    };
    if (init.body instanceof ReadableStream) req.duplex = 'half';
    let res: Response;
    try {
      res = await this.fetch(this.url + path, req);
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError' || err.name === 'AbortError')
        throw this.fail('timeout', `${method} ${this.url}${path}: no answer within ${timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw this.fail(
        'unreachable',
        `${method} ${this.url}${path}: ${cause?.code ?? ''} ${cause?.message ?? err.message}`
          .replace(/\s+/g, ' ')
          .trim(),
      );
    }
    const theirs = res.headers.get(VERSION_HEADER);
    if (theirs && !SUPPORTED_VERSIONS.includes(Number(theirs)))
      throw this.fail('protocol_version', versionMismatch(theirs, 'server'), res.status);
    if (res.ok || init.okStatuses?.includes(res.status)) return res;
    let code = `http_${res.status}`,
      message = `${method} ${path}: HTTP ${res.status} ${res.statusText}`;
    let details: Record<string, unknown> = {};
    if (method !== 'HEAD') {
      const text = await res.text().catch(() => '');
      try {
        const b = ErrorBodySchema.parse(JSON.parse(text));
        ({ code, message, ...details } = b.error as { code: string; message: string });
      } catch {
        if (text) message += `: ${text.slice(0, 200)}`;
      }
    }
    const ra = Number(res.headers.get('retry-after'));
    throw this.fail(
      code,
      `${this.url}: ${message}`,
      res.status,
      Number.isFinite(ra) && ra > 0 ? ra : undefined,
      details,
    );
  }

  private async json<T>(res: Response, schema: z.ZodType<T>, what: string): Promise<T> {
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw this.fail('bad_response', `${this.url}: ${what} is not JSON (is this a Switchyard server?)`);
    }
    const r = schema.safeParse(body);
    if (!r.success)
      throw this.fail(
        'bad_response',
        `${this.url}: ${what} does not match protocol v${PROTOCOL_VERSION}: ` +
          `${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`,
      );
    return r.data;
  }

  /** GET /v1/health, checking that the server speaks our protocol version. */
  async health(timeoutMs?: number): Promise<Health> {
    const res = await this.request('GET', ROUTES.health, { timeoutMs, okStatuses: [503] });
    const h = await this.json(res, HealthSchema, 'health');
    if (!h.protocol.some((v) => SUPPORTED_VERSIONS.includes(v)))
      throw this.fail('protocol_version', versionMismatch(h.protocol.join(', '), 'server'));
    return h;
  }

  async info(): Promise<Info> {
    return this.json(await this.request('GET', ROUTES.info), InfoSchema, 'info');
  }

  // `graph` rides along as a header so a load balancer can keep a graph and its blobs on one server
  async hasBlob(sha: string, graph?: string): Promise<boolean> {
    const res = await this.request('HEAD', ROUTES.blob(sha), {
      okStatuses: [404],
      headers: graph ? { [GRAPH_HEADER]: graph } : {},
    });
    return res.status === 200;
  }

  /** The blobs among `shas` the server lacks (POST /v1/blobs/query). */
  async missingBlobs(shas: string[], graph?: string): Promise<string[]> {
    const res = await this.request('POST', ROUTES.blobQuery, {
      body: JSON.stringify({ sha256: shas }),
      headers: { 'content-type': 'application/json', ...(graph ? { [GRAPH_HEADER]: graph } : {}) },
    });
    return (await this.json(res, BlobQueryResultSchema, 'blob query')).missing;
  }

  async putBlob(sha: string, bytes: Uint8Array, graph?: string): Promise<void> {
    const res = await this.request('PUT', ROUTES.blob(sha), {
      body: bytes as Uint8Array<ArrayBuffer>,
      headers: { 'content-type': 'application/octet-stream', ...(graph ? { [GRAPH_HEADER]: graph } : {}) },
      timeoutMs: Math.max(this.opts.timeoutMs ?? 30_000, (bytes.length / 1e6) * 100),
    });
    await this.json(res, BlobPutSchema, 'blob upload');
  }

  /** Make sure the server holds every blob of a graph and the graph itself; uploads only what is missing. */
  async ensureGraph(w: WireGraph): Promise<GraphInfo> {
    if (!this.known.has(w.id)) {
      // one query for all the graph's blobs (HEAD per blob would also do, at a round trip each)
      const ask = [...w.blobs.keys()].filter((h) => !this.known.has(h));
      const missing = new Set(ask.length ? await this.missingBlobs(ask, w.id) : []);
      await Promise.all(
        [...w.blobs].map(async ([sha, bytes]) => {
          if (!missing.has(sha)) {
            this.stats.blobsSkipped++;
            this.stats.blobBytesSkipped += bytes.length;
          } else {
            await this.putBlob(sha, bytes, w.id);
            this.stats.blobsUploaded++;
            this.stats.blobBytesUploaded += bytes.length;
          }
          this.known.add(sha);
        }),
      );
    }
    const body = new TextEncoder().encode(w.text);
    let res: Response;
    try {
      res = await this.request('PUT', ROUTES.graph(w.id), {
        body,
        headers: { 'content-type': 'text/plain; charset=utf-8', [GRAPH_HEADER]: w.id },
      });
    } catch (e) {
      // the server lost blobs (restart, eviction) since we checked: forget and upload again once
      if (!(e instanceof RemoteError) || e.code !== 'missing_blobs') throw e;
      for (const sha of (e.details.missing as string[] | undefined) ?? []) this.known.delete(sha);
      this.known.delete(w.id);
      for (const [sha, bytes] of w.blobs) {
        if (!this.known.has(sha)) {
          await this.putBlob(sha, bytes, w.id);
          this.stats.blobsUploaded++;
          this.stats.blobBytesUploaded += bytes.length;
          this.known.add(sha);
        }
      }
      res = await this.request('PUT', ROUTES.graph(w.id), {
        body,
        headers: { 'content-type': 'text/plain; charset=utf-8', [GRAPH_HEADER]: w.id },
      });
    }
    this.stats.graphBytesUploaded += body.length;
    this.known.add(w.id);
    return this.json(res, GraphInfoSchema, 'graph upload');
  }

  /** Forget what the server was known to hold (after it answered unknown_graph: it restarted). */
  forget(): void {
    this.known.clear();
  }

  /**
   * POST /v1/run. `deadlineMs` is the server's budget (it refuses at once when it cannot meet it);
   * the client gives up `timeoutGraceMs` after it.
   */
  async run(
    graph: string,
    inputs: Iterable<readonly [string, Tensor]>,
    opts: { deadlineMs: number; outputs?: string[]; timeoutGraceMs?: number },
  ): Promise<{ outputs: Map<string, Tensor>; meta: RunResultMeta; ms: number }> {
    const t0 = performance.now();
    const meta: Record<string, string> = opts.outputs ? { [META_KEY]: JSON.stringify({ outputs: opts.outputs }) } : {};
    const frame = encodeFrame(inputs, meta);
    const res = await this.request('POST', ROUTES.run, {
      body: bodyOf(frame),
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(frame.byteLength),
        [GRAPH_HEADER]: graph,
        [DEADLINE_HEADER]: String(Math.max(1, Math.ceil(opts.deadlineMs))),
      },
      timeoutMs: opts.deadlineMs + (opts.timeoutGraceMs ?? 1000),
    });
    this.stats.runBytesSent += frame.byteLength;
    const len = Number(res.headers.get('content-length') ?? NaN);
    let out;
    try {
      out =
        len <= STREAM_ABOVE
          ? await decodeFrame(new Uint8Array(await res.arrayBuffer()))
          : await decodeFrame(
              res.body!,
              { maxBodyBytes: Number.MAX_SAFE_INTEGER },
              Number.isFinite(len) ? len : undefined,
            );
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError' || err.name === 'AbortError')
        throw this.fail('timeout', `${this.url}: run result did not arrive within ${opts.deadlineMs} ms`);
      throw this.fail(
        err instanceof RemoteError ? err.code : 'bad_response',
        `${this.url}: run result unreadable: ${err.message}`,
      );
    }
    this.stats.runBytesReceived += Number.isFinite(len) ? len : 0;
    this.stats.runs++;
    let m: RunResultMeta;
    try {
      m = RunResultMetaSchema.parse(JSON.parse(out.meta[META_KEY] ?? ''));
    } catch {
      throw this.fail('bad_response', `${this.url}: run result has no valid __metadata__.${META_KEY}`);
    }
    return { outputs: out.tensors, meta: m, ms: performance.now() - t0 };
  }

  /** Round trip of an empty request, ms. */
  async ping(): Promise<number> {
    const t = performance.now();
    await this.request('POST', ROUTES.probe, { body: new Uint8Array(0) });
    return performance.now() - t;
  }

  /** Time to send `bytes` and to receive `bytes`, ms each (bandwidth probes). */
  async probe(bytes: number): Promise<{ upMs: number; downMs: number }> {
    const body = new Uint8Array(bytes);
    let t = performance.now();
    await (
      await this.request('POST', ROUTES.probe, { body, headers: { 'content-type': 'application/octet-stream' } })
    ).arrayBuffer();
    const upMs = performance.now() - t;
    t = performance.now();
    await (await this.request('GET', `${ROUTES.probe}?bytes=${bytes}`)).arrayBuffer();
    return { upMs, downMs: performance.now() - t };
  }
}

/** One buffer for small frames; a stream of the parts for large ones in Node (no concatenation). */
function bodyOf(f: EncodedFrame): BodyInit {
  if (f.byteLength <= STREAM_ABOVE || !isNode) {
    if (f.parts.length === 1) return f.parts[0] as Uint8Array<ArrayBuffer>;
    if (!isNode) return new Blob(f.parts as Uint8Array<ArrayBuffer>[]);
    const out = new Uint8Array(f.byteLength);
    let o = 0;
    for (const p of f.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  let i = 0;
  // a default (not byte) stream: byte streams would detach the tensors' buffers
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < f.parts.length) c.enqueue(f.parts[i++]!);
      else c.close();
    },
  });
}
