// ONNX ModelProto -> IR graph. Nodes become `nn.<OpType>` in their canonical (newest-opset) form:
// each op's import hook rewrites older forms (axes as attributes, legacy broadcast flags…).
// Types are inferred node by node, so a model that contradicts itself fails at the node concerned.

import type { Attr } from '../../ir/attributes.js';
import { AttrReader } from '../../ir/attributes.js';
import { Graph, Node, type TensorType, Value } from '../../ir/graph.js';
import { inferNode, nodeError } from '../../ir/infer.js';
import { type ImportContext, lookupOnnxOp } from '../../ir/op-def.js';
import type { Tensor } from '../../ir/tensor.js';
import { type AttributeProto, decodeModel, type GraphProto, type NodeProto, onnx, toNum } from './proto.js';
import { type ExternalLoader, tensorFromProto } from './tensor-proto.js';
import { mergeTypes, typeFromProto, typeFromValueInfo } from './value-types.js';

/** Newest ai.onnx opset whose operator versions Switchyard knows. */
export const MAX_OPSET = 28;

export interface ImportOptions {
  /** File name, used in error messages. */
  source?: string;
  /** Reads external-data side files; without it, models with external data are refused clearly. */
  loadExternal?: ExternalLoader;
}

export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): Graph {
  const source = opts.source ?? 'model';
  const model = decodeModel(bytes, source);
  if (!model.graph) throw new Error(`${source}: the model has no graph (is this an ONNX model?)`);
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) {
    const domain = o.domain === 'ai.onnx' ? '' : (o.domain ?? '');
    opsets[domain] = toNum(o.version);
  }
  if (opsets[''] === undefined) opsets[''] = (model.opsetImport ?? []).length ? 1 : 1;
  if (opsets['']! > MAX_OPSET) {
    throw new Error(
      `${source}: the model imports ai.onnx opset ${opsets['']}, newer than the newest Switchyard knows (${MAX_OPSET})`,
    );
  }
  try {
    return new Importer(source, opsets, opts.loadExternal).graph(model.graph, model.graph.name || 'main');
  } catch (e) {
    const msg = (e as Error).message;
    throw Object.assign(new Error(msg.startsWith(source) ? msg : `${source}: ${msg}`), { cause: e });
  }
}

/** The scopes around a subgraph: whether a name is visible there, and its Value (captured on demand). */
interface OuterScope {
  has(name: string): boolean;
  get(name: string): Value | undefined;
}

/** Names a subgraph reads from the scopes around it (recursively through its own subgraphs). */
function freeNames(gp: GraphProto): Set<string> {
  const defined = new Set<string>([...(gp.input ?? []), ...(gp.initializer ?? [])].map((x) => x.name ?? ''));
  const free = new Set<string>();
  for (const n of gp.node ?? []) {
    for (const i of [...(n.input ?? []), ...nodeFreeNames(n)]) if (i && !defined.has(i)) free.add(i);
    for (const o of n.output ?? []) if (o) defined.add(o);
  }
  return free;
}

function nodeFreeNames(n: NodeProto): string[] {
  return (n.attribute ?? [])
    .flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])])
    .flatMap((g) => [...freeNames(g)]);
}

class Importer {
  /** For each imported subgraph, the outer Value each of its captures stands for. */
  private captureSources = new Map<Graph, Value[]>();

  constructor(
    private source: string,
    private opsets: Record<string, number>,
    private loadExternal?: ExternalLoader,
  ) {}

  /** `outer` is set for a subgraph: names it does not define come from there as captures. */
  graph(gp: GraphProto, name: string, outer?: OuterScope): Graph {
    const g = new Graph(name);
    g.opsets = { ...this.opsets };
    g.source = this.source;
    const scope = new Map<string, Value>();
    const sources: Value[] = [];
    if (outer) this.captureSources.set(g, sources);
    const here: OuterScope = {
      has: (n) => scope.has(n) || !!outer?.has(n),
      get: (n) => {
        const v = scope.get(n);
        if (v || !outer) return v;
        const o = outer.get(n);
        if (!o) return undefined;
        if (o.const) return o; // constants are shared by every scope, not captured
        const c = new Value(n, o.type);
        scope.set(n, c);
        g.captures.push(c);
        sources.push(o);
        return c;
      },
    };
    const declared = new Map<string, TensorType | undefined>();
    for (const vi of [...(gp.valueInfo ?? []), ...(gp.output ?? [])]) {
      if (vi.name) declared.set(vi.name, typeFromValueInfo(vi));
    }

    for (const init of gp.initializer ?? []) {
      const t = tensorFromProto(init, `initializer #${scope.size}`, this.loadExternal);
      const v = new Value(init.name ?? '', { dtype: t.type, shape: [...t.dims] });
      v.const = t;
      scope.set(v.name, v);
    }
    for (const sp of gp.sparseInitializer ?? []) {
      throw new Error(`sparse initializer '${sp.values?.name ?? '?'}' is not supported`);
    }
    for (const vi of gp.input ?? []) {
      const name = vi.name ?? '';
      const type = typeFromValueInfo(vi);
      const init = scope.get(name);
      if (init) {
        // An input that is also an initializer: the initializer is its value (constant weights,
        // as in older model-zoo files that list every weight as an input).
        continue;
      }
      // a subgraph's inputs may leave their type to the node that runs it (Loop's carried values)
      if (!type && !outer) throw new Error(`graph input '${name}' has no tensor type`);
      const v = new Value(name, type);
      scope.set(name, v);
      g.inputs.push(v);
    }

    for (const np of this.topoSort(gp.node ?? [], here)) {
      g.nodes.push(this.node(np, g, scope, declared, here, !!outer));
    }

    for (const vi of gp.output ?? []) {
      const v = here.get(vi.name ?? '');
      if (!v) throw new Error(`graph output '${vi.name}' is not produced by any node, input or initializer`);
      const d = typeFromValueInfo(vi);
      v.type = mergeTypes(v.type, d, `graph output '${vi.name}'`);
      g.outputs.push(v);
    }
    return g;
  }

  /** ONNX requires topological order, but some exporters break it; sort, and name what is undefined. */
  private topoSort(nodes: NodeProto[], scope: OuterScope): NodeProto[] {
    const ready = new Set<string>();
    const isReady = (i: string) => !i || ready.has(i) || scope.has(i);
    const out: NodeProto[] = [];
    let pending = nodes;
    while (pending.length) {
      const next: NodeProto[] = [];
      for (const n of pending) {
        // a node with subgraphs also waits for the outer values its subgraphs read
        if ([...(n.input ?? []), ...nodeFreeNames(n)].every(isReady)) {
          out.push(n);
          for (const o of n.output ?? []) if (o) ready.add(o);
        } else next.push(n);
      }
      if (next.length === pending.length) {
        const n = next[0]!;
        const missing = [...(n.input ?? []), ...nodeFreeNames(n)].find((i) => !isReady(i));
        throw new Error(
          `node '${n.name ?? ''}' (${n.opType}): input '${missing}' is not a graph input, an initializer ` +
            `or the output of any node (or the graph has a cycle)`,
        );
      }
      pending = next;
    }
    return out;
  }

  private node(
    np: NodeProto,
    g: Graph,
    scope: Map<string, Value>,
    declared: Map<string, TensorType | undefined>,
    here: OuterScope,
    sub: boolean,
  ): Node {
    const domain = np.domain === 'ai.onnx' ? '' : (np.domain ?? '');
    const type = np.opType ?? '';
    const label = `node '${np.name ?? ''}' (${domain ? domain + '.' : ''}${type})`;
    const opset = this.opsets[domain];
    if (opset === undefined) throw new Error(`${label}: domain '${domain}' is not in the model's opset_import`);
    const def = lookupOnnxOp(domain, type);
    if (!def)
      throw new Error(
        `${label}: unknown op ${domain ? domain + '.' : ''}${type} (opset ${opset}); Switchyard does not implement it`,
      );
    if (def.onnx?.minOpset && opset < def.onnx.minOpset) {
      throw new Error(
        `${label}: ${type} does not exist before opset ${def.onnx.minOpset}, the model uses opset ${opset}`,
      );
    }
    const inputs = (np.input ?? []).map((name) => (name ? here.get(name)! : null));
    const outputs = (np.output ?? []).map((name) => {
      if (!name) return null;
      if (scope.has(name))
        throw new Error(`${label}: output '${name}' is already defined (SSA requires one definition)`);
      const v = new Value(name);
      scope.set(name, v);
      return v;
    });
    const attrs: Record<string, Attr> = {};
    for (const a of np.attribute ?? []) attrs[a.name ?? ''] = this.attr(a, label, here);
    inputs.push(...this.bindCaptures(attrs));
    const node = new Node(def.name, inputs, outputs, attrs, np.name ?? '');
    if (def.onnx?.import) {
      const ctx: ImportContext = {
        node,
        opset,
        graph: g,
        attrs: new AttrReader(node.attrs, node.describe()),
        constant: (t: Tensor, hint: string) => {
          let name = `${np.name || np.output?.[0] || 'c'}.${hint}`;
          while (scope.has(name)) name += '_';
          const v = new Value(name, { dtype: t.type, shape: [...t.dims] });
          v.const = t;
          scope.set(name, v);
          return v;
        },
        take: (k: string) => {
          const a = node.attrs[k];
          delete node.attrs[k];
          return a;
        },
      };
      try {
        def.onnx.import(ctx);
      } catch (e) {
        throw nodeError(node, e);
      }
    }
    if (sub) {
      // inside a subgraph, types come from the node that runs it (it infers its body with the
      // types it feeds); until then a value has the type its model declares, if any
      node.outputs.forEach((o) => {
        if (o) o.type = declared.get(o.name);
      });
      return node;
    }
    const types = inferNode(node);
    node.outputs.forEach((o, i) => {
      if (!o) return;
      try {
        o.type = mergeTypes(types[i], declared.get(o.name), `output '${o.name}'`);
      } catch (e) {
        throw nodeError(node, e);
      }
    });
    return node;
  }

  /**
   * Give every graph attribute of a node the same capture list (the union of what each reads) and
   * return the outer values that bind it: they become the node's trailing inputs.
   */
  private bindCaptures(attrs: Record<string, Attr>): Value[] {
    const graphs = Object.keys(attrs)
      .sort()
      .flatMap((k) => {
        const a = attrs[k]!;
        return a.kind === 'graph' ? [a.value] : [];
      });
    const union: Value[] = [];
    for (const sg of graphs) for (const s of this.captureSources.get(sg) ?? []) if (!union.includes(s)) union.push(s);
    for (const sg of graphs) {
      const mine = this.captureSources.get(sg) ?? [];
      sg.captures = union.map((s) => sg.captures[mine.indexOf(s)] ?? new Value(s.name, s.type));
      this.captureSources.set(sg, union);
    }
    return union;
  }

  private attr(a: AttributeProto, label: string, here: OuterScope): Attr {
    const T = onnx.AttributeProto.AttributeType;
    const name = a.name ?? '';
    if (a.refAttrName)
      throw new Error(
        `${label}: attribute '${name}' refers to a function attribute, which is only valid inside functions`,
      );
    const dec = (b: Uint8Array) => new TextDecoder().decode(b);
    switch (a.type || guessAttrType(a)) {
      case T.INT:
        return { kind: 'int', value: toNum(a.i) };
      case T.FLOAT:
        return { kind: 'float', value: a.f ?? 0 };
      case T.STRING:
        return { kind: 'string', value: dec(a.s ?? new Uint8Array()) };
      case T.INTS:
        return { kind: 'ints', value: (a.ints ?? []).map(toNum) };
      case T.FLOATS:
        return { kind: 'floats', value: [...(a.floats ?? [])] };
      case T.STRINGS:
        return { kind: 'strings', value: (a.strings ?? []).map(dec) };
      case T.TENSOR:
        return { kind: 'tensor', value: tensorFromProto(a.t ?? {}, `attribute '${name}'`, this.loadExternal) };
      case T.GRAPH:
        return { kind: 'graph', value: this.graph(a.g ?? {}, name, here) };
      case T.TYPE_PROTO: {
        const ty = a.tp ? typeFromProto(a.tp, name) : undefined;
        if (!ty) throw new Error(`${label}: attribute '${name}' is a type without a tensor, sequence or optional type`);
        return { kind: 'type', value: ty };
      }
      default:
        throw new Error(`${label}: attribute '${name}' has type ${T[a.type ?? 0] ?? a.type}, which is not supported`);
    }
  }
}

/** IR version 1 files may leave AttributeProto.type unset: tell the kind from the field that is set. */
function guessAttrType(a: AttributeProto): number {
  const T = onnx.AttributeProto.AttributeType;
  if (a.floats?.length) return T.FLOATS;
  if (a.ints?.length) return T.INTS;
  if (a.strings?.length) return T.STRINGS;
  if (a.t) return T.TENSOR;
  if (a.g) return T.GRAPH;
  if (a.s?.length) return T.STRING;
  if (a.f) return T.FLOAT;
  return T.INT;
}
