// The embed node kind: a text through an embedding model (a transformer encoder whose nn.* body
// graph the planner costs per device) on the placed device, giving a vector.

import type { Graph } from '../../ir/graph.js';
import { weightsBytes } from '../llm/engine.js';
import { type NodeKindDef, singlePlacement } from './kind.js';
import { ModelEmbedder } from './models.js';

export const embedKind: NodeKindDef<'embed'> = {
  kind: 'embed',
  models: (n) => [{ name: n.model, as: 'embed' }],
  referenceTokens: (_n, per) => per,
  check(id, n, c) {
    c.need(id, 'models', n.model);
    c.template(id, 'input', n.input);
  },
  lower(id, n, c) {
    const e = c.res.embedders.get(n.model);
    const attrs: Record<string, number | string | Graph> = { model: n.model, dim: e?.dim ?? 0 };
    if (e instanceof ModelEmbedder) {
      // the embedder's own graph (the planner costs each device's: plan-costs.ts bodyOn)
      attrs.body = e.graphFor(e.device, c.opts.embedTokens ?? 32);
      attrs.weight_bytes = weightsBytes(e.model.weights);
    }
    const value = c.g.op('agent.embed', c.ins.length ? c.ins.slice(0, 1) : [c.empty()], attrs, id);
    return { value, ops: [value.producer!] };
  },
  // an embedder without a body (a function, a service) is JavaScript on the host
  cost: (id, _n, ops, c) => (ops[0]!.attrs.body ? c.deviceTask(id, ops[0]!) : c.hostTask(id, ops[0]!)),
  pin: (n) => n.device,
  placementOf: singlePlacement,
  resolve: (_id, n, p, pick) => ({ device: pick(p.device, n.device) }),
  async execute(n, c) {
    const e = c.res.embedders.get(n.model);
    if (!e) throw new Error(`node '${c.id}': model '${n.model}' is not an embedding model`);
    return c.withTimeout(e.embed(c.render(n.input), c.device(c.place.device)), 'embedding');
  },
};
