// Agent graph -> IR in the agent.* dialect. Each node becomes the ops its kind lowers it to (one
// op; an llm node two, prefill and decode, with the KV cache as the value between them, so placing
// them apart costs its transfer); model nodes carry their model as nn.* body graphs (encoder,
// prefill chunk, decode step). Data references become SSA edges; control edges without data become
// ordering edges; loop edges are left out (the IR is one iteration of the loop body; the runtime
// unrolls).

import { GraphBuilder } from '../../ir/builder.js';
import type { Node, Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { kindOf } from '../nodes/registry.js';
import type { AgentResources, LoweredAgent, LowerOptions } from '../types.js';
import type { AgentGraph } from './validate.js';

export type { LoweredAgent, LowerOptions } from '../types.js';

export function lowerAgent(ag: AgentGraph, res: AgentResources, o: LowerOptions = {}): LoweredAgent {
  const g = new GraphBuilder(ag.name, 24);
  const values = new Map<string, Value>();
  const nodesOf = new Map<string, Node[]>();
  const promptTokens = new Map<string, number>();
  const inputs = new Map<string, Value>();
  for (const name of Object.keys(ag.spec.inputs ?? {}))
    inputs.set(name, g.input(`input_${name}`, 'uint8', [`len_${name}`]));
  const empty = () => g.constant(new Tensor('uint8', new Uint8Array(0), [0]));
  const readsOf = (id: string): Value[] => {
    const out: Value[] = [];
    const add = (v: Value | undefined) => {
      if (v && !out.includes(v)) out.push(v);
    };
    for (const r of ag.reads.get(id) ?? []) add(r.startsWith('inputs.') ? inputs.get(r.slice(7)) : values.get(r));
    // control edges order nodes even without data
    for (const e of ag.edges) if (!e.loop && e.to === id) add(values.get(e.from));
    return out;
  };
  const per = o.tokensPerReference ?? 48;
  const referenceTokens = (node: string) => {
    const src = ag.nodes.get(node);
    return src ? kindOf(src).referenceTokens(src, per) : per;
  };

  for (const id of ag.order) {
    const n = ag.nodes.get(id)!;
    const ctx = { ag, res, opts: o, g, ins: readsOf(id), empty, promptTokens, referenceTokens };
    const { value, ops } = kindOf(n).lower(id, n, ctx);
    values.set(id, value);
    nodesOf.set(id, ops);
  }
  for (const out of ag.outputs) g.output(values.get(out)!, `output_${out}`);
  return { graph: g.build(), nodesOf, promptTokens, source: ag };
}
