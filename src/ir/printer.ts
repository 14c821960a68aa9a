// MLIR-style text form of a graph, for people and golden tests. parse(print(g)) prints the same.
//
//   graph @main(%x: f32[b,384]) -> (f32[b,1536]) opsets {"": 17} {
//     %w = const dense_blob<"w"> : f32[1536,384]
//     %y = nn.Gemm %x, %w, _ {transB = 1} loc("fc1") : (f32[b,384], f32[1536,384], _) -> f32[b,1536]
//     return %y
//   }
//   blob "w" = "base64…"

import type { Attr } from './attributes.js';
import { dtypeBytes } from './dtype.js';
import type { Graph, Node, Value } from './graph.js';
import { getter, type Tensor } from './tensor.js';
import { formatF32, formatF64, formatType, INLINE_LIMIT, toBase64, valueRef } from './text-common.js';

interface PrintOptions {
  /** Print large constants as `dense_blob<…>` without their data (for readable summaries). */
  elideBlobs?: boolean;
  indent?: string;
  /** Text to store for a large constant instead of its base64 data (e.g. a content hash, for the
   *  offload protocol, which sends the bytes separately); parseGraph's `blob` option reads it back. */
  blobData?: (t: Tensor, name: string) => string;
}

class Printer {
  blobs: [string, Tensor][] = [];
  /** Indent of the node line being printed, so a subgraph nests under its node. */
  private depth = '';
  private blobNames = new Map<Tensor, string>();
  constructor(private opts: PrintOptions) {}

  tensorLiteral(t: Tensor, hint: string): string {
    if (t.type === 'string') {
      // strings have no binary blob form: always inline, JSON-quoted
      const items = (t.data as string[]).map((s) => JSON.stringify(s));
      return `dense<[${items.join(', ')}]> : ${formatType({ dtype: t.type, shape: [...t.dims] })}`;
    }
    if (t.size <= INLINE_LIMIT) {
      const get = getter(t);
      const items: string[] = [];
      for (let i = 0; i < t.size; i++) {
        const v = get(i);
        if (t.type === 'float32' || t.type === 'float16') items.push(formatF32(Number(v)));
        else if (t.type === 'float64') items.push(formatF64(Number(v)));
        else items.push(String(v));
      }
      return `dense<[${items.join(', ')}]> : ${formatType({ dtype: t.type, shape: [...t.dims] })}`;
    }
    let name = this.blobNames.get(t);
    if (!name) {
      name = `${hint}`;
      let k = 1;
      while (this.blobs.some(([n]) => n === name)) name = `${hint}_${k++}`;
      this.blobNames.set(t, name);
      this.blobs.push([name, t]);
    }
    return `dense_blob<${JSON.stringify(name)}> : ${formatType({ dtype: t.type, shape: [...t.dims] })}`;
  }

  attr(a: Attr, hint: string): string {
    switch (a.kind) {
      case 'int':
        return String(a.value);
      case 'float':
        return formatF32(a.value);
      case 'string':
        return JSON.stringify(a.value);
      case 'ints':
        return a.value.length ? `[${a.value.join(', ')}]` : 'ints[]';
      case 'floats':
        return a.value.length ? `[${a.value.map(formatF32).join(', ')}]` : 'floats[]';
      case 'strings':
        return a.value.length ? `[${a.value.map((s) => JSON.stringify(s)).join(', ')}]` : 'strings[]';
      case 'tensor':
        return this.tensorLiteral(a.value, hint);
      case 'graph':
        return this.graph(a.value, this.depth);
      case 'type':
        return `type<${formatType(a.value)}>`;
    }
  }

  node(n: Node, indent: string): string {
    this.depth = indent;
    const outs = n.outputs.map((o) => (o ? valueRef(o.name) : '_')).join(', ');
    const ins = n.inputs.map((v) => (v ? valueRef(v.name) : '_')).join(', ');
    const keys = Object.keys(n.attrs).sort();
    const where = n.name || n.outputs[0]?.name || 'attr';
    const attrs = keys.length
      ? ` {${keys.map((k) => `${k} = ${this.attr(n.attrs[k]!, `${where}.${k}`)}`).join(', ')}}`
      : '';
    const loc = n.name ? ` loc(${JSON.stringify(n.name)})` : '';
    const inTypes = `(${n.inputs.map((v) => (v ? formatType(v.type) : '_')).join(', ')})`;
    const outTypesList = n.outputs.map((o) => (o ? formatType(o.type) : '_'));
    const outTypes = outTypesList.length === 1 ? outTypesList[0] : `(${outTypesList.join(', ')})`;
    return `${indent}${outs} = ${n.op}${ins ? ' ' + ins : ''}${attrs}${loc} : ${inTypes} -> ${outTypes}`;
  }

  graph(g: Graph, indent: string): string {
    const inner = indent + '  ';
    const params = g.inputs.map((v) => {
      const def = v.default ? ` = ${this.tensorLiteral(v.default, v.name)}` : '';
      return `${valueRef(v.name)}: ${formatType(v.type)}${def}`;
    });
    const resultTypes = g.outputs.map((v) => formatType(v.type)).join(', ');
    // values a subgraph reads from the scopes around it, bound to the node's trailing inputs
    const caps = g.captures.length
      ? ` captures(${g.captures.map((v) => `${valueRef(v.name)}: ${formatType(v.type)}`).join(', ')})`
      : '';
    const opsetKeys = Object.keys(g.opsets).sort();
    const opsets = opsetKeys.length
      ? ` opsets {${opsetKeys.map((k) => `${JSON.stringify(k)}: ${g.opsets[k]}`).join(', ')}}`
      : '';
    const lines = [`graph @${JSON.stringify(g.name)}(${params.join(', ')})${caps} -> (${resultTypes})${opsets} {`];
    for (const c of g.constants()) {
      lines.push(`${inner}${valueRef(c.name)} = const ${this.tensorLiteral(c.const!, c.name)}`);
    }
    for (const n of g.nodes) {
      lines.push(this.node(n, inner));
      this.depth = indent;
    }
    lines.push(`${inner}return ${g.outputs.map((v) => valueRef(v.name)).join(', ')}`);
    lines.push(`${indent}}`);
    return lines.join('\n');
  }

  blobSection(): string {
    return this.blobs
      .map(([name, t]) => {
        const data = this.opts.elideBlobs
          ? `<${t.size * dtypeBytes(t.type)} bytes>`
          : JSON.stringify(this.opts.blobData ? this.opts.blobData(t, name) : toBase64(t.bytes()));
        return `blob ${JSON.stringify(name)} = ${data}`;
      })
      .join('\n');
  }
}

/** Text form of a graph. With `elideBlobs`, large constants are summarised and cannot be parsed back. */
export function printGraph(g: Graph, opts: Omit<PrintOptions, 'indent'> = {}): string {
  const p = new Printer(opts);
  const body = p.graph(g, '');
  const blobs = p.blobSection();
  return blobs ? `${body}\n${blobs}\n` : `${body}\n`;
}

/** One line per node, for error messages and `--print-after`. */
export function printNode(n: Node): string {
  return new Printer({ elideBlobs: true }).node(n, '');
}

export function describeValue(v: Value): string {
  return `'${v.name}' (${formatType(v.type)})`;
}
