// Parser for the text form written by printer.ts. Errors give the line and column.

import type { Attr } from './attributes.js';
import { allocNumeric, allocTyped, type DType, dtypeBytes, isBig } from './dtype.js';
import { Graph, Node, type TensorType, Value } from './graph.js';
import { type Dim, numel } from './shape.js';
import { setter, Tensor } from './tensor.js';
import { dtypeOfShort, fromBase64, parseFloatToken } from './text-common.js';
import { type Tok, type TokKind, tokenize } from './text-lexer.js';

interface PendingBlob {
  name: string;
  type: DType;
  dims: number[];
  assign: (t: Tensor) => void;
  where: string;
}

class Parser {
  private pos = 0;
  pending: PendingBlob[] = [];
  constructor(
    private toks: Tok[],
    private blobData?: (name: string, text: string) => Uint8Array,
  ) {}

  private peek(): Tok {
    return this.toks[this.pos]!;
  }
  private next(): Tok {
    return this.toks[this.pos++]!;
  }
  private at(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }
  private where(t = this.peek()): string {
    return `line ${t.line}, column ${t.col}`;
  }
  private fail(msg: string, t = this.peek()): never {
    throw new Error(`${this.where(t)}: ${msg}`);
  }
  private expect(text: string): Tok {
    const t = this.next();
    if (t.text !== text || (t.kind !== 'punct' && t.kind !== 'ident'))
      this.fail(`expected '${text}', found '${t.text || 'end of input'}'`, t);
    return t;
  }
  private expectKind(kind: TokKind, what: string): Tok {
    const t = this.next();
    if (t.kind !== kind) this.fail(`expected ${what}, found '${t.text || 'end of input'}'`, t);
    return t;
  }
  private accept(text: string): boolean {
    if (this.at(text)) {
      this.pos++;
      return true;
    }
    return false;
  }

  file(): Graph {
    const g = this.graph();
    const blobs = new Map<string, Uint8Array>();
    while (this.at('blob')) {
      this.next();
      const name = this.expectKind('str', 'blob name').text;
      this.expect('=');
      const text = this.expectKind('str', 'base64 data').text;
      blobs.set(name, this.blobData ? this.blobData(name, text) : fromBase64(text));
    }
    if (this.peek().kind !== 'eof') this.fail(`unexpected '${this.peek().text}' after the graph`);
    for (const p of this.pending) {
      const bytes = blobs.get(p.name);
      if (!bytes) throw new Error(`${p.where}: blob "${p.name}" is not defined`);
      const n = numel(p.dims);
      const need = n * dtypeBytes(p.type);
      if (bytes.length !== need)
        throw new Error(
          `${p.where}: blob "${p.name}" has ${bytes.length} bytes, ${p.type}[${p.dims.join(',')}] needs ${need}`,
        );
      // bytes from a `blob` hook are shared and immutable (a server's blob store): view them when aligned
      const ctor = allocTyped(p.type, 0).constructor as new (
        b: ArrayBufferLike,
        o: number,
        n: number,
      ) => ReturnType<typeof allocTyped>;
      let data: ReturnType<typeof allocTyped>;
      if (this.blobData && bytes.byteOffset % dtypeBytes(p.type) === 0)
        data = new ctor(bytes.buffer, bytes.byteOffset, n);
      else {
        const d = allocNumeric(p.type, n);
        new Uint8Array(d.buffer).set(bytes);
        data = d;
      }
      p.assign(new Tensor(p.type, data, p.dims));
    }
    return g;
  }

  type(): TensorType | undefined {
    if (this.accept('?')) return undefined;
    if ((this.at('seq') || this.at('opt')) && this.toks[this.pos + 1]?.text === '<') {
      const w = this.next().text === 'seq' ? 'sequence' : 'optional';
      this.expect('<');
      const start = this.peek();
      const inner = this.type();
      if (!inner) this.fail('a sequence or optional needs an element type', start);
      this.expect('>');
      return { ...inner, wrap: [w, ...(inner.wrap ?? [])] };
    }
    const t = this.expectKind('ident', 'a type such as f32[2,3]');
    const dtype = dtypeOfShort(t.text, this.where(t));
    this.expect('[');
    if (this.accept('*')) {
      this.expect(']');
      return { dtype };
    }
    const shape: Dim[] = [];
    while (!this.at(']')) {
      const d = this.next();
      if (d.kind === 'num') shape.push(Number(d.text));
      else if (d.kind === 'ident') shape.push(d.text);
      else this.fail(`expected a dim, found '${d.text}'`, d);
      if (!this.accept(',')) break;
    }
    this.expect(']');
    return { dtype, shape };
  }

  private staticType(): { dtype: DType; dims: number[] } {
    const start = this.peek();
    const t = this.type();
    if (!t || !t.shape || !t.shape.every((d) => typeof d === 'number'))
      this.fail('a tensor literal needs a static type', start);
    return { dtype: t.dtype, dims: t.shape as number[] };
  }

  /** `dense<[…]> : T` or `dense_blob<"name"> : T`; blob tensors are filled in at the end. */
  tensorLit(assign: (t: Tensor) => void): void {
    const kw = this.expectKind('ident', 'dense or dense_blob');
    if (kw.text === 'dense') {
      this.expect('<');
      this.expect('[');
      const items: string[] = [];
      let strings = 0;
      while (!this.at(']')) {
        const it = this.next();
        if (it.kind === 'str') strings++;
        else if (it.kind !== 'num') this.fail(`expected a number or a string, found '${it.text}'`, it);
        items.push(it.text);
        if (!this.accept(',')) break;
      }
      this.expect(']');
      this.expect('>');
      this.expect(':');
      const { dtype, dims } = this.staticType();
      if (items.length !== numel(dims)) this.fail(`literal has ${items.length} values, type needs ${numel(dims)}`, kw);
      if (dtype === 'string' || strings) {
        if (dtype !== 'string' || strings !== items.length) this.fail('string literals need the type str', kw);
        assign(new Tensor('string', items, dims));
        return;
      }
      if (items.length !== numel(dims)) this.fail(`literal has ${items.length} values, type needs ${numel(dims)}`, kw);
      const t = Tensor.zeros(dtype, dims);
      const set = setter(t);
      items.forEach((s, i) => set(i, isBig(dtype) ? BigInt(s) : parseFloatToken(s)));
      assign(t);
    } else if (kw.text === 'dense_blob') {
      this.expect('<');
      const name = this.expectKind('str', 'blob name').text;
      this.expect('>');
      this.expect(':');
      const { dtype, dims } = this.staticType();
      this.pending.push({ name, type: dtype, dims, assign, where: this.where(kw) });
    } else this.fail(`expected dense or dense_blob, found '${kw.text}'`, kw);
  }

  attrValue(): Attr {
    const t = this.peek();
    if (t.kind === 'num') {
      this.next();
      return /[.eEn]/.test(t.text)
        ? { kind: 'float', value: parseFloatToken(t.text) }
        : { kind: 'int', value: Number(t.text) };
    }
    if (t.kind === 'str') {
      this.next();
      return { kind: 'string', value: t.text };
    }
    if (t.kind === 'ident') {
      if (t.text === 'ints' || t.text === 'floats' || t.text === 'strings') {
        this.next();
        this.expect('[');
        this.expect(']');
        return { kind: t.text, value: [] } as Attr;
      }
      if (t.text === 'graph') return { kind: 'graph', value: this.graph() };
      if (t.text === 'type') {
        this.next();
        this.expect('<');
        const ty = this.type();
        if (!ty) this.fail('a type attribute needs a type', t);
        this.expect('>');
        return { kind: 'type', value: ty };
      }
      // the value of a dense_blob tensor arrives once the blob section is read
      const a = { kind: 'tensor', value: undefined as unknown as Tensor } as Attr & { kind: 'tensor' };
      this.tensorLit((x) => {
        a.value = x;
      });
      return a;
    }
    if (this.accept('[')) {
      const items: Tok[] = [];
      while (!this.at(']')) {
        items.push(this.next());
        if (!this.accept(',')) break;
      }
      this.expect(']');
      if (items.every((x) => x.kind === 'str')) return { kind: 'strings', value: items.map((x) => x.text) };
      if (!items.every((x) => x.kind === 'num')) this.fail('a list attribute holds numbers or strings', t);
      return items.some((x) => /[.eEn]/.test(x.text))
        ? { kind: 'floats', value: items.map((x) => parseFloatToken(x.text)) }
        : { kind: 'ints', value: items.map((x) => Number(x.text)) };
    }
    this.fail(`expected an attribute value, found '${t.text}'`);
  }

  graph(): Graph {
    this.expect('graph');
    const g = new Graph(this.expectKind('global', 'graph name such as @main').text);
    const scope = new Map<string, Value>();
    const define = (name: string, tok: Tok, type?: TensorType): Value => {
      if (scope.has(name)) this.fail(`value %${name} is defined twice`, tok);
      const v = new Value(name, type);
      scope.set(name, v);
      return v;
    };
    const use = (): Value | null => {
      if (this.accept('_')) return null;
      const t = this.expectKind('ref', 'a value such as %x');
      const v = scope.get(t.text);
      if (!v) this.fail(`value %${t.text} is used before it is defined`, t);
      return v;
    };
    this.expect('(');
    while (!this.at(')')) {
      const r = this.expectKind('ref', 'an input such as %x');
      this.expect(':');
      const v = define(r.text, r, this.type());
      if (this.accept('='))
        this.tensorLit((t) => {
          v.default = t;
        });
      g.inputs.push(v);
      if (!this.accept(',')) break;
    }
    this.expect(')');
    if (this.accept('captures')) {
      this.expect('(');
      while (!this.at(')')) {
        const r = this.expectKind('ref', 'a captured value such as %w');
        this.expect(':');
        g.captures.push(define(r.text, r, this.type()));
        if (!this.accept(',')) break;
      }
      this.expect(')');
    }
    this.expect('->');
    this.expect('(');
    while (!this.at(')')) {
      this.type();
      if (!this.accept(',')) break;
    }
    this.expect(')');
    if (this.accept('opsets')) {
      this.expect('{');
      while (!this.at('}')) {
        const k = this.expectKind('str', 'opset domain').text;
        this.expect(':');
        g.opsets[k] = Number(this.expectKind('num', 'opset version').text);
        if (!this.accept(',')) break;
      }
      this.expect('}');
    }
    this.expect('{');
    for (;;) {
      if (this.accept('return')) {
        if (!this.at('}')) {
          do {
            const v = use();
            if (!v) this.fail('a graph cannot return _');
            g.outputs.push(v);
          } while (this.accept(','));
        }
        this.expect('}');
        return g;
      }
      // results
      const outToks: (Tok | null)[] = [];
      do {
        if (this.accept('_')) outToks.push(null);
        else outToks.push(this.expectKind('ref', 'a result such as %y'));
      } while (this.accept(','));
      this.expect('=');
      if (this.accept('const')) {
        const r = outToks[0];
        if (outToks.length !== 1 || !r) this.fail('const defines exactly one value');
        const v = define(r.text, r);
        this.tensorLit((t) => {
          v.const = t;
          v.type = { dtype: t.type, shape: [...t.dims] };
        });
        continue;
      }
      const opTok = this.expectKind('ident', 'an op name such as nn.Conv');
      if (!opTok.text.includes('.'))
        this.fail(`op '${opTok.text}' needs a dialect prefix (nn., k., xfer., agent.)`, opTok);
      const inputs: (Value | null)[] = [];
      if (!this.at('{') && !this.at('loc') && !this.at(':')) {
        do inputs.push(use());
        while (this.accept(','));
      }
      const attrs: Record<string, Attr> = {};
      if (this.accept('{')) {
        while (!this.at('}')) {
          const k = this.expectKind('ident', 'an attribute name').text;
          this.expect('=');
          attrs[k] = this.attrValue();
          if (!this.accept(',')) break;
        }
        this.expect('}');
      }
      let name = '';
      if (this.accept('loc')) {
        this.expect('(');
        name = this.expectKind('str', 'a node name').text;
        this.expect(')');
      }
      this.expect(':');
      this.expect('(');
      for (let i = 0; i < inputs.length; i++) {
        if (!this.accept('_')) this.type();
        if (i < inputs.length - 1) this.expect(',');
      }
      this.expect(')');
      this.expect('->');
      const outTypes: (TensorType | undefined)[] = [];
      if (this.accept('(')) {
        while (!this.at(')')) {
          outTypes.push(this.accept('_') ? undefined : this.type());
          if (!this.accept(',')) break;
        }
        this.expect(')');
      } else outTypes.push(this.type());
      if (outTypes.length !== outToks.length)
        this.fail(`${outToks.length} results but ${outTypes.length} result types`, opTok);
      const outputs = outToks.map((t, i) => (t ? define(t.text, t, outTypes[i]) : null));
      g.nodes.push(new Node(opTok.text, inputs, outputs, attrs, name));
    }
  }
}

/** Parse the text form back into a graph. */
export interface ParseOptions {
  /** Bytes of a blob from its stored text (printGraph's `blobData`); default: the text is base64. */
  blob?: (name: string, text: string) => Uint8Array;
}

export function parseGraph(text: string, opts: ParseOptions = {}): Graph {
  const p = new Parser(tokenize(text), opts.blob);
  return p.file();
}
