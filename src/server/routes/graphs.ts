// HEAD, GET and PUT /v1/graphs/{sha256}: IR text whose constants name blobs, compiled on PUT.

import { createHash } from 'node:crypto';
import { ProtocolError } from '../../protocol/errors.js';
import { API_PREFIX } from '../../protocol/version.js';
import { contentLength, readText, shaParam } from '../http.js';
import type { ServerContext } from './context.js';

export function registerGraphRoutes(c: ServerContext): void {
  const { app, graphs } = c;

  app.head(`${API_PREFIX}/graphs/:sha`, async (req, reply) => {
    const h = shaParam((req.params as { sha: string }).sha, 'graph address');
    return reply.code(graphs.has(h) ? 200 : 404).send();
  });

  app.get(`${API_PREFIX}/graphs/:sha`, async (req) => {
    const h = shaParam((req.params as { sha: string }).sha, 'graph address');
    const g = graphs.get(h);
    if (!g) throw new ProtocolError('unknown_graph', `graph ${h} is not loaded; PUT it first`);
    return graphs.info(h, g);
  });

  app.put(`${API_PREFIX}/graphs/:sha`, async (req, reply) => {
    const id = shaParam((req.params as { sha: string }).sha, 'graph address');
    contentLength(req, c.maxBody, false);
    const text = await readText(req, c.maxBody);
    const got = createHash('sha256').update(text).digest('hex');
    if (got !== id)
      throw new ProtocolError('hash_mismatch', `graph text hashes to sha256 ${got}, not ${id} as the URL says`);
    const have = graphs.get(id);
    if (have) return reply.code(200).send(graphs.info(id, have));
    const entry = await graphs.load(id, text);
    return reply.code(201).send(graphs.info(id, entry));
  });
}
