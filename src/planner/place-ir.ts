// The placed IR: the graph after placement, each node tagged with its device and an xfer.copy
// wherever a value crosses from the device that computed it to one that reads it (the executor
// moves it through the host: a download, then an upload). `switchyard compile --print-after place`
// prints it, so the text shows where data crosses and how many bytes.

import { typeBytes } from '../cost/work.js';
import { Graph, Node, Value } from '../ir/graph.js';
import type { PlacedUnit } from './units.js';

/** A copy of `g` with device attributes and xfer.copy nodes; `host` holds graph inputs and outputs. */
export function placedGraph(g: Graph, placed: readonly PlacedUnit[], host: string): Graph {
  const out = new Graph(g.name);
  out.opsets = { ...g.opsets };
  const map = new Map<Value, Value>();
  /** value -> device -> its copy there */
  const copies = new Map<Value, Map<string, Value>>();
  const home = new Map<Value, string>();
  const mapped = (v: Value): Value => {
    let m = map.get(v);
    if (!m) {
      m = new Value(v.name, v.type);
      if (v.const) m.const = v.const;
      map.set(v, m);
    }
    return m;
  };
  for (const v of g.inputs) {
    out.inputs.push(mapped(v));
    home.set(v, host);
  }
  const on = (v: Value, dev: string): Value => {
    const base = mapped(v);
    const from = home.get(v) ?? host;
    if (v.const || from === dev) return base;
    let m = copies.get(v);
    if (!m) copies.set(v, (m = new Map()));
    let c = m.get(dev);
    if (!c) {
      c = new Value(`${v.name}@${dev}`, v.type);
      out.nodes.push(
        new Node('xfer.copy', [base], [c], {
          from: { kind: 'string', value: from },
          to: { kind: 'string', value: dev },
          bytes: { kind: 'int', value: typeBytes(v.type) },
        }),
      );
      m.set(dev, c);
    }
    return c;
  };
  const deviceOf = new Map<Node, string>();
  for (const p of placed) for (const n of p.unit.nodes) deviceOf.set(n, p.device);
  // in the graph's (topological) order: units of different devices interleave
  for (const n of g.nodes) {
    const dev = deviceOf.get(n) ?? host;
    const ins = n.inputs.map((v) => (v ? on(v, dev) : null));
    const outs = n.outputs.map((v) => (v ? mapped(v) : null));
    out.nodes.push(new Node(n.op, ins, outs, { ...n.attrs, device: { kind: 'string', value: dev } }, n.name));
    for (const v of n.outputs) if (v) home.set(v, dev);
  }
  out.outputs = g.outputs.map((v) => on(v, host));
  return out;
}
