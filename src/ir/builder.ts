// Build graphs in TypeScript:
//   const g = new GraphBuilder();
//   const x = g.input('x', 'float32', ['b', 384]);
//   const y = g.relu(g.matmul(x, g.constant(w)));
//   g.output(y, 'y');
//   const graph = g.build();
// Types are inferred as each op is added, so a wrong shape fails at the line that made it.

import { type Attr, toAttr } from './attributes.js';
import type { DType } from './dtype.js';
import { Graph, Node, Value } from './graph.js';
import { inferNode, nodeError } from './infer.js';
import { lookupOp } from './op-def.js';
import type { Shape } from './shape.js';
import { Tensor } from './tensor.js';
import { verifyGraph } from './verifier.js';

export type AttrInput = number | string | boolean | number[] | string[] | Tensor | Graph;

export class GraphBuilder {
  private readonly g: Graph;
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(name = 'main', opset = 25) {
    this.g = new Graph(name);
    this.g.opsets[''] = opset;
  }

  private fresh(hint: string): string {
    let n = `${hint}${this.counter++}`;
    while (this.names.has(n)) n = `${hint}${this.counter++}`;
    return n;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`GraphBuilder: the name '${name}' is already used`);
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: Shape): Value {
    const v = new Value(this.claim(name), { dtype, shape: [...shape] });
    this.g.inputs.push(v);
    return v;
  }

  constant(t: Tensor, name?: string): Value {
    const v = new Value(this.claim(name ?? this.fresh('c')), { dtype: t.type, shape: [...t.dims] });
    v.const = t;
    return v;
  }

  /** Scalar or vector constant from plain numbers. */
  scalar(value: number, dtype: DType = 'float32'): Value {
    return this.constant(Tensor.from(dtype, [value], []));
  }

  /** Add a node with several outputs. `op` may omit the `nn.` prefix. */
  opN(
    op: string,
    inputs: (Value | null)[],
    attrs: Record<string, AttrInput> = {},
    nOutputs?: number,
    name?: string,
  ): Value[] {
    const full = op.includes('.') ? op : `nn.${op}`;
    const def = lookupOp(full);
    if (!def) throw new Error(`GraphBuilder: unknown op ${full}`);
    const converted: Record<string, Attr> = {};
    for (const [k, v] of Object.entries(attrs)) {
      const spec = def.attrs?.[k];
      if (!spec) throw new Error(`GraphBuilder: '${k}' is not an attribute of ${full}`);
      converted[k] = toAttr(v, spec.kind);
    }
    const count = nOutputs ?? def.outputs.filter((o) => !o.endsWith('?')).length;
    const outs = Array.from({ length: count }, () => new Value(this.claim(this.fresh('t'))));
    const node = new Node(full, inputs, outs, converted, name ?? '');
    try {
      const types = inferNode(node);
      outs.forEach((o, i) => {
        o.type = types[i];
      });
    } catch (e) {
      throw nodeError(node, e);
    }
    this.g.nodes.push(node);
    return outs;
  }

  op(op: string, inputs: (Value | null)[], attrs: Record<string, AttrInput> = {}, name?: string): Value {
    return this.opN(op, inputs, attrs, 1, name)[0]!;
  }

  /** Mark a value as a graph output, renaming it to `name` when given. */
  output(v: Value, name?: string): void {
    if (name && name !== v.name) {
      this.claim(name);
      this.names.delete(v.name);
      v.name = name;
    }
    this.g.outputs.push(v);
  }

  build(): Graph {
    verifyGraph(this.g, { types: true });
    return this.g;
  }

  // Shorthands for the ops that hand-built graphs use most.
  add(a: Value, b: Value) {
    return this.op('Add', [a, b]);
  }
  sub(a: Value, b: Value) {
    return this.op('Sub', [a, b]);
  }
  mul(a: Value, b: Value) {
    return this.op('Mul', [a, b]);
  }
  div(a: Value, b: Value) {
    return this.op('Div', [a, b]);
  }
  matmul(a: Value, b: Value) {
    return this.op('MatMul', [a, b]);
  }
  gemm(a: Value, b: Value, c?: Value, attrs: { transA?: number; transB?: number; alpha?: number; beta?: number } = {}) {
    return this.op('Gemm', c ? [a, b, c] : [a, b], attrs);
  }
  relu(x: Value) {
    return this.op('Relu', [x]);
  }
  sigmoid(x: Value) {
    return this.op('Sigmoid', [x]);
  }
  tanh(x: Value) {
    return this.op('Tanh', [x]);
  }
  gelu(x: Value, approximate: 'none' | 'tanh' = 'none') {
    return this.op('Gelu', [x], { approximate });
  }
  softmax(x: Value, axis = -1) {
    return this.op('Softmax', [x], { axis });
  }
  transpose(x: Value, perm: number[]) {
    return this.op('Transpose', [x], { perm });
  }
  reshape(x: Value, shape: number[]) {
    return this.op('Reshape', [x, this.constant(Tensor.from('int64', shape.map(BigInt)))]);
  }
  concat(xs: Value[], axis: number) {
    return this.op('Concat', xs, { axis });
  }
  layerNorm(x: Value, scale: Value, bias?: Value, epsilon = 1e-5, axis = -1) {
    return this.op('LayerNormalization', bias ? [x, scale, bias] : [x, scale], { epsilon, axis });
  }
  conv(x: Value, w: Value, b?: Value, attrs: Record<string, AttrInput> = {}) {
    return this.op('Conv', b ? [x, w, b] : [x, w], attrs);
  }
}
