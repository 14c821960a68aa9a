// Program variants: every WGSL program a kernel emits declares, in its first line, the family, the
// variant name and the parameters it was specialised on (`// variant softmax/row: wg=64 kind=0 …`).
// The pipeline cache keys programs by that declaration (plus the bindings), so two nodes that
// differ only in sizes passed as uniforms share one pipeline, and `explain` names the fields that
// made a program compile again. Shape parameters that need not be compile-time travel in a uniform
// buffer (Params below), bound at binding 0.

import type { Attr } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';

/** A tensor as a key sees it (kernel.ts's TensorInfo, without importing it: no cycle). */
interface TensorInfo {
  dtype: string;
  dims: readonly number[];
  host?: Tensor;
}

export type Variant = Record<string, string | number | boolean>;

/** What a program is: its kernel family, the variant of the family, and the key that makes it differ. */
export interface ProgramVariant {
  family: string;
  name: string;
  key: Variant;
}

/** A key field's value without the characters the declaration line uses as separators. */
const clean = (x: string | number | boolean) => String(x).replace(/\s+/g, '').replace(/=/g, ':');

/** The declaration line: `// variant family/name: k=v k2=v2`. */
export function declaration(v: ProgramVariant): string {
  const fields = Object.entries(v.key).map(([k, x]) => `${k}=${clean(x)}`);
  return `// variant ${v.family}/${v.name}:${fields.length ? ' ' : ''}${fields.join(' ')}`;
}

export interface DeclaredVariant {
  /** family/name */
  template: string;
  family: string;
  fields: Record<string, string>;
}

/** The declared variant of a program (its first line), or undefined when it declares none. */
export function variantOf(code: string): DeclaredVariant | undefined {
  const first = code.slice(0, code.indexOf('\n') >>> 0);
  const m = /^\/\/ variant ([\w.-]+)\/([\w.-]+):(.*)$/.exec(first);
  if (!m) return undefined;
  const parts = m[3]!.trim() ? m[3]!.trim().split(' ') : [];
  const fields = Object.fromEntries(
    parts.map((f) => {
      const at = f.indexOf('=');
      return [f.slice(0, at), f.slice(at + 1)] as [string, string];
    }),
  );
  return { template: `${m[1]}/${m[2]}`, family: m[1]!, fields };
}

/** What differs between two programs: family/variant or key fields (`n: 64 -> 128`). */
export function variantDiff(a: string, b: string): string[] {
  const va = variantOf(a),
    vb = variantOf(b);
  if (!va || !vb) return a === b ? [] : ['no declared variant: the programs differ in their text'];
  if (va.template !== vb.template) return [`variant: ${va.template} -> ${vb.template}`];
  const keys = [...new Set([...Object.keys(va.fields), ...Object.keys(vb.fields)])];
  return keys.filter((k) => va.fields[k] !== vb.fields[k]).map((k) => `${k}: ${va.fields[k]} -> ${vb.fields[k]}`);
}

/** A short stable hash (FNV-1a, 32 bits) naming a structural piece of text (an expression tree). */
export function hashText(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `#${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/** `float32[1,128,384]` */
export const shapeKey = (t: { dtype: string; dims: readonly number[] } | undefined): string =>
  t ? `${t.dtype}[${t.dims.join(',')}]` : '-';

/** The storage types of a node's tensors (`f32,f32>f32`): part of every key. */
export function typesKey(ins: (TensorInfo | undefined)[], outs: { dtype: string }[]): string {
  return `${ins.map((t) => (t ? t.dtype : '-')).join(',')}>${outs.map((o) => o.dtype).join(',')}`;
}

/** A node's attributes as one key field (`axis:1,pads:1.1.1.1`); tensors and graphs by hash. */
export function attrsKey(attrs: Record<string, Attr>): string {
  const parts = Object.keys(attrs)
    .sort()
    .map((k) => {
      const a = attrs[k]!;
      const v = (a as { value: unknown }).value;
      if (Array.isArray(v)) return `${k}:${v.map(String).join('.')}`;
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return `${k}:${v}`;
      return `${k}:${hashText(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x)) ?? '')}`;
    });
  return parts.join(',') || '-';
}

/**
 * The uniform parameters of one program: sizes, strides and offsets that need not be compile-time.
 * Each `u`/`i` call takes a slot and returns the WGSL expression that reads it, so kernel code
 * writes `${p.u(dims[k])}` where it used to bake the number. Bound as `P` at binding 0.
 */
export class Params {
  readonly words: number[] = [];
  private readonly head: string[];
  private readonly headWords: number[];

  /** `head`: named u32 fields the template reads as `P.<name>` (set with `set`), before the slots. */
  constructor(head: string[] = []) {
    this.head = [...head];
    while (this.head.length % 4) this.head.push(`pad${this.head.length}`);
    this.headWords = this.head.map(() => 0);
  }
  /** Set a named head field. */
  set(name: string, v: number): this {
    const i = this.head.indexOf(name);
    if (i < 0 || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`uniform field ${name}=${v}`);
    this.headWords[i] = v >>> 0;
    return this;
  }

  /** A u32 parameter. */
  u(v: number): string {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`uniform parameter ${v} is not a u32`);
    return this.slot(v >>> 0);
  }
  /** An i32 parameter (stored as its bit pattern). */
  i(v: number): string {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff)
      throw new Error(`uniform parameter ${v} is not an i32`);
    return `bitcast<i32>(${this.slot(v >>> 0)})`;
  }
  private slot(w: number): string {
    const i = this.words.length;
    this.words.push(w);
    return `P.v[${i >> 2}].${'xyzw'[i & 3]}`;
  }
  /** vec4 slots the struct holds (a key field: it is in the program text). */
  get vec4s(): number {
    return Math.max(1, Math.ceil(this.words.length / 4));
  }
  /** The struct WGSL declares for these parameters. */
  struct(): string {
    const head = this.head.map((h) => `${h}: u32, `).join('');
    return `struct Params { ${head}v: array<vec4<u32>, ${this.vec4s}> }`;
  }
  /** The buffer contents: the words padded to whole vec4s. */
  data(): Uint32Array {
    const d = new Uint32Array(this.headWords.length + this.vec4s * 4);
    d.set(this.headWords);
    d.set(this.words, this.headWords.length);
    return d;
  }
}

/**
 * The key of a program that still bakes its shapes into the text (the families not yet on
 * uniforms): every tensor's type and shape, the node's attributes and the host inputs the
 * plan reads (axes, k, depth), so the key names everything the text was made from.
 */
export function bakedKey(a: {
  node: { attrs: Record<string, Attr> };
  ins: (TensorInfo | undefined)[];
  outs: { dtype: string; dims: number[] }[];
  hostInputs?: number[];
}): Variant {
  // only the inputs the family reads on the host (weights that happen to be constants are not)
  const host = (a.hostInputs ?? [])
    .map((i) => {
      const h = a.ins[i]?.host;
      return h ? `${i}:${hashText(Array.from(h.data as ArrayLike<number | bigint>, String).join(','))}` : '';
    })
    .filter(Boolean);
  return {
    shapes: `${a.ins.map(shapeKey).join(';')}>${a.outs.map(shapeKey).join(';')}`,
    attrs: attrsKey(a.node.attrs),
    ...(host.length ? { host: host.join(',') } : {}),
  };
}
