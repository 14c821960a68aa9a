// A structural copy of a graph: new values and nodes (so passes may rewrite the copy in place),
// the same constant tensors (weights are shared by identity: device weight caches key on them).
// Subgraph attributes are copied too, their captures bound to the copies of the outer values.

import { type Attr, Graph, Node, type TensorType, Value } from './graph.js';

const copyType = (t: TensorType | undefined): TensorType | undefined =>
  t && { ...t, ...(t.shape ? { shape: [...t.shape] } : {}), ...(t.wrap ? { wrap: [...t.wrap] } : {}) };

export function copyGraph(g: Graph, outer: Map<Value, Value> = new Map()): Graph {
  const map = new Map<Value, Value>(outer);
  const val = (v: Value): Value => {
    let c = map.get(v);
    if (!c) {
      c = new Value(v.name, copyType(v.type));
      c.const = v.const;
      c.default = v.default;
      map.set(v, c);
    }
    return c;
  };
  const out = new Graph(g.name);
  out.opsets = { ...g.opsets };
  out.source = g.source;
  // a capture is a value of this graph, bound at run time: it gets its own copy
  out.captures = g.captures.map((v) => {
    const c = new Value(v.name, copyType(v.type));
    map.set(v, c);
    return c;
  });
  out.inputs = g.inputs.map(val);
  for (const n of g.nodes) {
    const attrs: Record<string, Attr> = {};
    for (const [k, a] of Object.entries(n.attrs)) attrs[k] = copyAttr(a, map);
    const ins = n.inputs.map((v) => (v ? val(v) : null));
    const outs = n.outputs.map((v) => (v ? val(v) : null));
    out.nodes.push(new Node(n.op, ins, outs, attrs, n.name));
  }
  out.outputs = g.outputs.map(val);
  return out;
}

function copyAttr(a: Attr, scope: Map<Value, Value>): Attr {
  switch (a.kind) {
    case 'graph':
      return { kind: 'graph', value: copyGraph(a.value, scope) };
    case 'ints':
    case 'floats':
    case 'strings':
      return { kind: a.kind, value: [...a.value] } as Attr;
    case 'type':
      return { kind: 'type', value: copyType(a.value)! };
    default:
      return { ...a };
  }
}
