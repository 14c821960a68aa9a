// The typed SSA graph: values, nodes (ops with a dialect prefix) and graphs with inputs, outputs
// and constants. Nodes are kept in topological order; passes maintain that invariant.

import type { DType } from './dtype.js';
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';

/** A node attribute: typed (the int/float distinction matters for the text form and exporters). */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: Tensor }
  | { kind: 'graph'; value: Graph }
  /** A value type (ONNX TYPE_PROTO attributes: Optional's `type`). */
  | { kind: 'type'; value: TensorType };

/** What holds a tensor type: a sequence of such tensors, or an optional that may be empty. */
export type Wrapper = 'sequence' | 'optional';

/**
 * Static type of a value; `shape` undefined means the rank is not known. `wrap` (outermost first)
 * makes it a sequence or an optional of such tensors: ['optional', 'sequence'] is
 * opt<seq<f32[2]>>. Only ops that declare `values: true` take or make wrapped values.
 */
export interface TensorType {
  dtype: DType;
  shape?: Shape;
  wrap?: readonly Wrapper[];
}

/** true for a plain tensor type (no sequence or optional around it). */
export const isTensorType = (t: TensorType | undefined): boolean => !t?.wrap?.length;

export class Value {
  /** Node that produces this value; undefined for graph inputs and constants. */
  producer?: Node;
  /** Constant data (ONNX initializers, folded values). */
  const?: Tensor;
  /** Default for a graph input that is also an initializer: used when the caller does not feed it. */
  default?: Tensor;

  constructor(
    public name: string,
    public type?: TensorType,
  ) {}

  get isConst(): boolean {
    return this.const !== undefined;
  }
}

export class Node {
  constructor(
    /** Dialect-prefixed op name: `nn.Conv`, `k.matmul`, `xfer.upload`, `agent.llm`. */
    public op: string,
    public inputs: (Value | null)[],
    public outputs: (Value | null)[],
    public attrs: Record<string, Attr> = {},
    /** Name from the source model (ONNX node name), used in every error about this node. */
    public name = '',
  ) {
    for (const o of outputs) if (o) o.producer = this;
  }

  get dialect(): string {
    return this.op.slice(0, this.op.indexOf('.'));
  }

  /** `Conv 'conv1'`: how errors name a node. */
  describe(): string {
    const type = this.op.slice(this.op.indexOf('.') + 1);
    return this.name
      ? `node '${this.name}' (${type})`
      : `${type} node producing '${this.outputs.find((o) => o)?.name ?? '?'}'`;
  }
}

export class Graph {
  inputs: Value[] = [];
  outputs: Value[] = [];
  nodes: Node[] = [];
  /** Opset version per ONNX domain ('' = ai.onnx) the graph was written against. */
  opsets: Record<string, number> = {};
  /** Where the graph came from (file name), for error messages. */
  source?: string;
  /**
   * A subgraph (If/Loop/Scan body) may read values of the scopes around it. Each such value is
   * a capture: a Value of this graph bound, at run time, to the owning node's trailing inputs
   * (the node lists them after its own inputs, so passes see the dependency). Every graph
   * attribute of one node has the same capture list.
   */
  captures: Value[] = [];

  constructor(public name = 'main') {}

  /** Constant values reachable from nodes or outputs, in first-use order. */
  constants(): Value[] {
    const seen = new Set<Value>();
    const out: Value[] = [];
    const visit = (v: Value | null) => {
      if (v && v.const && !seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    };
    for (const n of this.nodes) n.inputs.forEach(visit);
    this.outputs.forEach(visit);
    return out;
  }

  /** Map from each value to the nodes that read it. */
  users(): Map<Value, Node[]> {
    const m = new Map<Value, Node[]>();
    for (const n of this.nodes) {
      for (const v of n.inputs) {
        if (!v) continue;
        let list = m.get(v);
        if (!list) m.set(v, (list = []));
        if (!list.includes(n)) list.push(n);
      }
    }
    return m;
  }

  /** Replace every use of `from` (in nodes and graph outputs) with `to`. */
  replaceAllUses(from: Value, to: Value): void {
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((v) => (v === from ? to : v));
    }
    this.outputs = this.outputs.map((v) => (v === from ? to : v));
  }

  /** Histogram of op names, for `inspect` and summaries. */
  opHistogram(): Map<string, number> {
    const h = new Map<string, number>();
    for (const n of this.nodes) h.set(n.op, (h.get(n.op) ?? 0) + 1);
    return new Map([...h].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  }
}
