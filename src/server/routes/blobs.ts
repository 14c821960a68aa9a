// HEAD and PUT /v1/blobs/{sha256} (the server hashes what it receives), POST /v1/blobs/query.

import { ProtocolError } from '../../protocol/errors.js';
import { BlobQuerySchema, zodReason } from '../../protocol/schemas.js';
import { API_PREFIX } from '../../protocol/version.js';
import { bodyOf, contentLength, readText, shaParam } from '../http.js';
import { MB } from '../options.js';
import type { ServerContext } from './context.js';

export function registerBlobRoutes(c: ServerContext): void {
  const { app, store, metrics } = c;

  app.head(`${API_PREFIX}/blobs/:sha`, async (req, reply) => {
    const h = shaParam((req.params as { sha: string }).sha, 'blob address');
    const b = store.get(h);
    metrics.dedup.inc({ result: b ? 'hit' : 'miss' });
    if (!b) return reply.code(404).send();
    return reply.code(200).header('switchyard-blob-bytes', String(b.length)).send();
  });

  // a KV hand-off's decode server fetches the prompt's cache from the prefill server
  app.get(`${API_PREFIX}/blobs/:sha`, async (req, reply) => {
    const h = shaParam((req.params as { sha: string }).sha, 'blob address');
    const b = store.get(h);
    if (!b) throw new ProtocolError('unknown_blob', `no blob ${h} on this server (evicted, or never stored)`);
    metrics.bytes.inc({ direction: 'out', kind: 'blob' }, b.length);
    return reply
      .code(200)
      .header('content-type', 'application/octet-stream')
      .send(bodyOf([b], b.length));
  });

  app.put(`${API_PREFIX}/blobs/:sha`, async (req, reply) => {
    const h = shaParam((req.params as { sha: string }).sha, 'blob address');
    const n = contentLength(req, c.maxBody, true)!;
    const created = await store.put(h, req.raw, n);
    metrics.bytes.inc({ direction: 'in', kind: 'blob' }, n);
    return reply.code(created ? 201 : 200).send({ sha256: h, bytes: n, created });
  });

  // HEAD for a whole graph's blobs in one round trip (and no 404s in a browser's console)
  app.post(`${API_PREFIX}/blobs/query`, async (req) => {
    const text = await readText(req, 16 * MB);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ProtocolError('bad_request', 'body must be JSON: {"sha256": ["<hex>", ...]}');
    }
    const r = BlobQuerySchema.safeParse(body);
    if (!r.success) throw new ProtocolError('bad_request', `blob query: ${zodReason(r.error)}`);
    const missing: string[] = [],
      present: string[] = [];
    for (const h of r.data.sha256) (store.get(h) ? present : missing).push(h);
    metrics.dedup.inc({ result: 'hit' }, present.length);
    metrics.dedup.inc({ result: 'miss' }, missing.length);
    return { missing, present };
  });
}
