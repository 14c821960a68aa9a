// The retrieve node kind: the k nearest documents of a query vector (an embed node's output, or a
// text template embedded with the index's model). Exact search is a MatMul + TopK graph run on the
// placed Device instance (the one the plan chose, not a device of its own); HNSW search is
// JavaScript on the host.

import { Tensor } from '../../ir/tensor.js';
import type { Hit } from '../retrieval/types.js';
import { show } from '../runtime/show.js';
import { type NodeKindDef, singlePlacement } from './kind.js';

const isTemplate = (q: string) => /\{\{/.test(q);

export const retrieveKind: NodeKindDef<'retrieve'> = {
  kind: 'retrieve',
  models: () => [],
  // a reference to retrieved documents adds k excerpts
  referenceTokens: (n, per) => (n.k ?? 4) * per,
  check(id, n, c) {
    c.need(id, 'indexes', n.index);
    if (isTemplate(n.query)) c.template(id, 'query', n.query);
    else if (c.nodes.has(n.query)) c.ref(id, 'query', [n.query]);
    else
      c.problem(
        `node '${id}' (retrieve): field 'query' must be an embed node's id or a {{template}}, got '${n.query}'`,
      );
  },
  lower(id, n, c) {
    const ix = c.res.indexes.get(n.index);
    const attrs = { index: n.index, method: ix?.kind ?? 'exact', k: n.k ?? 4, docs: ix?.size ?? 0, dim: ix?.dim ?? 0 };
    const value = c.g.op('agent.retrieve', c.ins.length ? c.ins.slice(0, 1) : [c.empty()], attrs, id);
    return { value, ops: [value.producer!] };
  },
  cost: (id, _n, ops, c) =>
    ops[0]!.attrs.method?.value === 'exact' ? c.deviceTask(id, ops[0]!) : c.hostTask(id, ops[0]!),
  pin: (n) => n.device,
  placementOf: singlePlacement,
  resolve: (_id, n, p, pick, res) => ({
    device: res.indexes.get(n.index)?.kind === 'exact' ? pick(p.device, n.device) : 'host',
  }),
  async execute(n, c) {
    const ix = c.res.indexes.get(n.index);
    if (!ix) throw new Error(`node '${c.id}': index '${n.index}' is not available`);
    const placed = c.place.device === 'host' ? undefined : c.device(c.place.device);
    let q: unknown = isTemplate(n.query) ? c.value(n.query) : c.output(n.query);
    if (typeof q === 'string' || (q && typeof q === 'object' && 'text' in q && !(q instanceof Float32Array))) {
      const emb = c.res.embedders.get(c.res.indexEmbedders.get(n.index) ?? '');
      if (!emb)
        throw new Error(
          `node '${c.id}': the query is text and index '${n.index}' has no embedding model to embed it; ` +
            'query with an embed node',
        );
      q = await emb.embed(show(q), placed);
    }
    if (q instanceof Tensor) q = q.data;
    if (!(q instanceof Float32Array)) throw new Error(`node '${c.id}': the query is ${typeof q}, not a vector`);
    // a remote device does not run the search graph: its placement means the host's device
    const on = placed?.kind === 'remote' ? c.device(c.devices.defaultDevice) : placed;
    const hits: Hit[] = await c.withTimeout(ix.search(q, n.k ?? 4, on), 'the search');
    return hits
      .filter((h) => n.minScore === undefined || h.score >= n.minScore)
      .map((h) => ({ id: h.doc.id, text: h.doc.text, score: h.score, ...(h.doc.meta ? { meta: h.doc.meta } : {}) }));
  },
};
