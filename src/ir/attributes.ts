// Node attributes: typed values (the int/float distinction matters for the text form and for
// exporters), read through AttrReader, which turns a missing or mistyped attribute into an error
// naming the node and the attribute.

import type { Attr, Graph, TensorType } from './graph.js';
import type { Tensor } from './tensor.js';

// The Attr union lives in graph.ts: a graph attribute holds a Graph, and a Graph's nodes hold
// attributes, so one module owns both types (no import cycle).
export type { Attr } from './graph.js';

export type AttrKind = Attr['kind'];

export class AttrReader {
  constructor(
    private readonly attrs: Record<string, Attr>,
    private readonly where: string,
  ) {}

  has(name: string): boolean {
    return name in this.attrs;
  }

  private get<K extends AttrKind>(name: string, kinds: K[]): Extract<Attr, { kind: K }> | undefined {
    const a = this.attrs[name];
    if (!a) return undefined;
    if (!kinds.includes(a.kind as K)) {
      throw new Error(`${this.where}: attribute '${name}' must be ${kinds.join(' or ')}, got ${a.kind}`);
    }
    return a as Extract<Attr, { kind: K }>;
  }

  private missing(name: string): never {
    throw new Error(`${this.where}: required attribute '${name}' is missing`);
  }

  int(name: string, def?: number): number {
    const a = this.get(name, ['int']);
    if (a) return a.value;
    return def ?? this.missing(name);
  }
  /** A float attribute; an int is accepted too, since some exporters write e.g. alpha=1 as int. */
  float(name: string, def?: number): number {
    const a = this.get(name, ['float', 'int']);
    if (a) return a.value;
    return def ?? this.missing(name);
  }
  string(name: string, def?: string): string {
    const a = this.get(name, ['string']);
    if (a) return a.value;
    return def ?? this.missing(name);
  }
  ints(name: string, def?: number[]): number[] {
    const a = this.get(name, ['ints', 'int']);
    if (a) return a.kind === 'int' ? [a.value] : a.value;
    return def ?? this.missing(name);
  }
  floats(name: string, def?: number[]): number[] {
    const a = this.get(name, ['floats', 'ints']);
    if (a) return a.value;
    return def ?? this.missing(name);
  }
  strings(name: string, def?: string[]): string[] {
    const a = this.get(name, ['strings']);
    if (a) return a.value;
    return def ?? this.missing(name);
  }
  tensor(name: string): Tensor {
    return this.get(name, ['tensor'])?.value ?? this.missing(name);
  }
  optTensor(name: string): Tensor | undefined {
    return this.get(name, ['tensor'])?.value;
  }
}

/** Build an attribute from a plain JS value, using the op's declared kind when there is one. */
export function toAttr(value: unknown, kind?: AttrKind): Attr {
  if (kind) {
    switch (kind) {
      case 'int':
      case 'float':
        return { kind, value: Number(value) };
      case 'string':
        return { kind, value: String(value) };
      case 'ints':
      case 'floats':
        return { kind, value: (value as unknown[]).map(Number) };
      case 'strings':
        return { kind, value: (value as unknown[]).map(String) };
      case 'tensor':
        return { kind, value: value as Tensor };
      case 'graph':
        return { kind, value: value as Graph };
      case 'type':
        return { kind, value: value as TensorType };
    }
  }
  if (typeof value === 'number') return Number.isInteger(value) ? { kind: 'int', value } : { kind: 'float', value };
  if (typeof value === 'string') return { kind: 'string', value };
  if (typeof value === 'boolean') return { kind: 'int', value: value ? 1 : 0 };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return { kind: 'strings', value: value as string[] };
    const nums = value.map(Number);
    return nums.every(Number.isInteger) ? { kind: 'ints', value: nums } : { kind: 'floats', value: nums };
  }
  if (value && typeof value === 'object' && 'dims' in value && 'data' in value)
    return { kind: 'tensor', value: value as Tensor };
  throw new TypeError(`cannot use ${String(value)} as an attribute value`);
}
