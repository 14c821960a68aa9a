// IR graph (nn.* ops) -> ONNX ModelProto bytes. Canonical IR forms are the newest opset's forms,
// so the model declares max(graph opset, 18). Used to hand graphs built in TypeScript to other
// runtimes and to write test models.

import type { Attr } from '../../ir/attributes.js';
import { dtypeToOnnx } from '../../ir/dtype.js';
import { lookupOp } from '../../ir/op-def.js';
import type { Graph, TensorType, Value } from '../../ir/graph.js';
import { onnx, type AttributeProto, type ValueInfoProto } from './proto.js';
import { tensorToProto } from './tensor-proto.js';

function valueInfo(v: Value): ValueInfoProto {
  const t: TensorType | undefined = v.type;
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: t ? {
      tensorType: {
        elemType: dtypeToOnnx(t.dtype),
        shape: t.shape ? { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    } : undefined,
  });
}

function attrProto(name: string, a: Attr): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const enc = (s: string) => new TextEncoder().encode(s);
  switch (a.kind) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'string': return { name, type: T.STRING, s: enc(a.value) };
    case 'ints': return { name, type: T.INTS, ints: a.value };
    case 'floats': return { name, type: T.FLOATS, floats: a.value };
    case 'strings': return { name, type: T.STRINGS, strings: a.value.map(enc) };
    case 'tensor': return { name, type: T.TENSOR, t: tensorToProto(a.value) };
    case 'graph': return { name, type: T.GRAPH, g: graphProto(a.value) };
  }
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
      if (!n.op.startsWith('nn.') && !mapped) throw new Error(`${n.describe()}: only ops with an ONNX form (nn.*, ms.*) can be exported to ONNX, not ${n.op}`);
      return onnx.NodeProto.create({
        name: n.name,
        opType: mapped?.type ?? n.op.slice(3),
        domain: mapped?.domain || undefined,
        input: n.inputs.map((v) => v?.name ?? ''),
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
    opsetImport: [{ domain: '', version: opset }, ...extraDomains(g).map((domain) => ({ domain, version: g.opsets[domain] ?? 1 }))],
    graph: graphProto(g),
  });
  return onnx.ModelProto.encode(model).finish();
}
