// IR graph (nn.* ops) -> ONNX ModelProto bytes. Canonical IR forms are the newest opset's forms,
// so the model declares max(graph opset, 18). Used to hand graphs built in TypeScript to other
// runtimes and to write test models.

import type { Attr } from '../../ir/attributes.js';
import { dtypeToOnnx } from '../../ir/dtype.js';
import type { Graph, Node, TensorType, Value } from '../../ir/graph.js';
import { lookupOp } from '../../ir/op-def.js';
import { type AttributeProto, onnx, type ValueInfoProto } from './proto.js';
import { tensorToProto } from './tensor-proto.js';

/** TypeProto of a type: sequences and optionals wrap the tensor type, outermost first. */
function typeProto(t: TensorType, depth = 0): NonNullable<ValueInfoProto['type']> {
  const w = t.wrap?.[depth];
  if (w === 'sequence') return { sequenceType: { elemType: typeProto(t, depth + 1) } };
  if (w === 'optional') return { optionalType: { elemType: typeProto(t, depth + 1) } };
  return {
    tensorType: {
      elemType: dtypeToOnnx(t.dtype),
      shape: t.shape
        ? { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }
        : undefined,
    },
  };
}

function valueInfo(v: Value): ValueInfoProto {
  return onnx.ValueInfoProto.create({ name: v.name, type: v.type ? typeProto(v.type) : undefined });
}

function attrProto(name: string, a: Attr): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const enc = (s: string) => new TextEncoder().encode(s);
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: enc(a.value) };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map(enc) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorToProto(a.value) };
    case 'graph':
      return { name, type: T.GRAPH, g: graphProto(a.value) };
    case 'type':
      return { name, type: T.TYPE_PROTO, tp: typeProto(a.value) };
  }
}

function capturesOf(n: Node): number {
  const g = Object.values(n.attrs).find((a) => a.kind === 'graph');
  return g && g.kind === 'graph' ? g.value.captures.length : 0;
}

function graphProto(g: Graph) {
  const consts = g.constants();
  return onnx.GraphProto.create({
    name: g.name,
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
    initializer: consts.map((c) => tensorToProto(c.const!, c.name)),
    node: g.nodes.map((n) => {
      const mapped = lookupOp(n.op)?.onnx;
      if (!n.op.startsWith('nn.') && !mapped)
        throw new Error(
          `${n.describe()}: only ops with an ONNX form (nn.*, ms.*) can be exported to ONNX, not ${n.op}`,
        );
      return onnx.NodeProto.create({
        name: n.name,
        opType: mapped?.type ?? n.op.slice(3),
        domain: mapped?.domain || undefined,
        // captures are trailing inputs in the IR; ONNX subgraphs read outer values by name
        input: n.inputs.slice(0, n.inputs.length - capturesOf(n)).map((v) => v?.name ?? ''),
        output: n.outputs.map((v) => v?.name ?? ''),
        attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
      });
    }),
  });
}

/** Domains besides ai.onnx that the graph's nodes use (com.microsoft for ms.* contrib ops). */
function extraDomains(g: Graph): string[] {
  const found = new Set<string>();
  const visit = (h: Graph) => {
    for (const n of h.nodes) {
      const d = lookupOp(n.op)?.onnx?.domain;
      if (d) found.add(d);
      for (const a of Object.values(n.attrs)) if (a.kind === 'graph') visit(a.value);
    }
  };
  visit(g);
  return [...found].sort();
}

export function exportOnnx(g: Graph, opts: { opset?: number; producer?: string } = {}): Uint8Array {
  const opset = opts.opset ?? Math.max(18, g.opsets[''] ?? 18);
  const model = onnx.ModelProto.create({
    irVersion: opset >= 21 ? 10 : 8,
    producerName: opts.producer ?? 'switchyard',
    opsetImport: [
      { domain: '', version: opset },
      ...extraDomains(g).map((domain) => ({ domain, version: g.opsets[domain] ?? 1 })),
    ],
    graph: graphProto(g),
  });
  return onnx.ModelProto.encode(model).finish();
}
