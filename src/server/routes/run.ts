// POST /v1/run: headers name the graph and the deadline, so a run that cannot make it is refused
// before its body is read; the body is a tensor frame of inputs, the answer a frame of outputs.

import { ProtocolError } from '../../protocol/errors.js';
import { decodeFrame, encodeFrame } from '../../protocol/framing.js';
import { DeadlineMs, META_KEY, RunRequestMetaSchema, zodReason } from '../../protocol/schemas.js';
import { API_PREFIX, DEADLINE_HEADER, GRAPH_HEADER } from '../../protocol/version.js';
import { bodyOf, contentLength, readExactly, shaParam } from '../http.js';
import { MB } from '../options.js';
import type { ServerContext } from './context.js';

export function registerRunRoute(c: ServerContext): void {
  const { app, o, graphs, scheduler, metrics, engine } = c;
  const maxInflight = Math.floor(o.maxInflightMb * MB);
  let inflightBytes = 0;
  const refused = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      metrics.refused.inc({ code: (e as ProtocolError).code ?? 'error' });
      throw e;
    }
  };

  app.post(`${API_PREFIX}/run`, async (req, reply) => {
    const t0 = performance.now();
    const id = shaParam(req.headers[GRAPH_HEADER], `header ${GRAPH_HEADER}`);
    const dl = DeadlineMs.safeParse(req.headers[DEADLINE_HEADER]);
    if (!dl.success)
      throw new ProtocolError(
        'bad_request',
        `header ${DEADLINE_HEADER} must be an integer number of ms from 1 to 3600000 (every run has a deadline)`,
      );
    const deadlineMs = dl.data;
    const deadlineAt = t0 + deadlineMs;
    const g = graphs.get(id);
    if (!g) throw new ProtocolError('unknown_graph', `graph ${id} is not loaded; PUT ${API_PREFIX}/graphs/${id} first`);
    const len = contentLength(req, c.maxBody, false);
    const est = graphs.estimateMs(g);
    refused(() => scheduler.check(est, deadlineMs));
    const charge = len ?? c.maxBody;
    if (inflightBytes + charge > maxInflight) {
      metrics.refused.inc({ code: 'queue_full' });
      throw new ProtocolError(
        'queue_full',
        `server is holding ${inflightBytes} bytes of run bodies (limit ${maxInflight})`,
        { retryAfterS: 1 },
      );
    }
    inflightBytes += charge;
    let release: (() => void) | undefined;
    try {
      // with a Content-Length the body lands in one buffer and the tensors view it (one copy in all)
      const frame = await decodeFrame(
        len !== undefined ? await readExactly(req.raw, len) : req.raw,
        { maxBodyBytes: c.maxBody },
        len,
      );
      metrics.bytes.inc({ direction: 'in', kind: 'run' }, len ?? 0);
      let wanted: string[] | undefined;
      const metaText = frame.meta[META_KEY];
      if (metaText !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(metaText);
        } catch {
          throw new ProtocolError('bad_request', `__metadata__.${META_KEY} is not JSON`);
        }
        const r = RunRequestMetaSchema.safeParse(parsed);
        if (!r.success) throw new ProtocolError('bad_request', `__metadata__.${META_KEY}: ${zodReason(r.error)}`);
        wanted = r.data.outputs;
      }
      const tq = performance.now();
      if (tq > deadlineAt)
        throw new ProtocolError(
          'deadline_exceeded',
          `deadline of ${deadlineMs} ms passed while the request body was read`,
        );
      refused(() => scheduler.check(est, deadlineMs, tq - t0));
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
      graphs.recordRun(g, r.computeMs);
      metrics.runSeconds.observe(r.computeMs / 1000);
      const serverMs = performance.now() - t0;
      const out = encodeFrame(r.outputs, {
        [META_KEY]: JSON.stringify({ graph: id, queueMs, computeMs: r.computeMs, serverMs }),
      });
      metrics.bytes.inc({ direction: 'out', kind: 'run' }, out.byteLength);
      reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(out.byteLength))
        .header(
          'server-timing',
          `queue;dur=${queueMs.toFixed(2)}, compute;dur=${r.computeMs.toFixed(2)}, total;dur=${serverMs.toFixed(2)}`,
        );
      return reply.send(bodyOf(out.parts, out.byteLength));
    } finally {
      release?.();
      inflightBytes -= charge;
    }
  });
}
