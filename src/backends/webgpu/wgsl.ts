// WGSL generation helpers: how each IR dtype is stored on the GPU, number literals, template
// filling, and the ShaderBuilder that declares a kernel's bindings with accessor functions, so
// every template reads `x(i)` and writes `y_set(i, v)` whether a tensor is one buffer or several
// slices (a tensor larger than maxStorageBufferBindingSize is bound in parts).

import type { DType } from '../../ir/dtype.js';
import { SHADER_SOURCES } from './shader-sources.js';

/** Scalar types a kernel computes in. */
export type WType = 'f32' | 'i32' | 'u32' | 'f16';

/**
 * GPU storage of each dtype: 8/16-bit integers and bool widen to 32 bits (WGSL has no narrower
 * storage scalars), float16 is f32 unless the device runs f16 kernels, int64 is narrowed to i32
 * (only index-like tensors are allowed to be int64 on the GPU, and uploads check the range).
 * float64 and uint64 have no WGSL type: undefined.
 */
export function storageOf(dt: DType, f16: boolean): WType | undefined {
  switch (dt) {
    case 'float32':
      return 'f32';
    case 'float16':
      return f16 ? 'f16' : 'f32';
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return 'i32';
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'bool':
      return 'u32';
    default:
      return undefined;
  }
}

export const wBytes = (t: WType): number => (t === 'f16' ? 2 : 4);
export const isFloatW = (t: WType): boolean => t === 'f32' || t === 'f16';

/** A literal of type t. Infinities and NaN cannot be constant expressions in WGSL: helpers make them at run time. */
export function lit(v: number, t: WType): string {
  if (t === 'f32' || t === 'f16') {
    if (Number.isNaN(v)) return `nan_${t}()`;
    if (v === Infinity) return `inf_${t}()`;
    if (v === -Infinity) return `(-inf_${t}())`;
    if (t === 'f16' && Math.abs(v) > 65504) return v > 0 ? 'inf_f16()' : '(-inf_f16())';
    let s = String(t === 'f32' ? Math.fround(v) : v);
    if (!/[.e]/.test(s)) s += '.0';
    if (/e/.test(s) && !/\./.test(s.split('e')[0]!)) s = s.replace('e', '.0e');
    return `${t}(${s})`;
  }
  if (t === 'i32') {
    const n = Math.trunc(v) | 0;
    return n === -2147483648 ? 'i32(-2147483647 - 1)' : `${n}i`;
  }
  return `${Math.trunc(v) >>> 0}u`;
}

/** Run-time infinities and NaN (const expressions may not produce them). */
export const SPECIAL_VALUES = SHADER_SOURCES.common ?? '';
export const SPECIAL_VALUES_F16 = `
fn inf_f16() -> f16 { return f16(inf_f32()); }
fn nan_f16() -> f16 { return f16(nan_f32()); }
`;

/** Fill a template from shaders/: `{{NAME}}` placeholders; a missing value is an error. */
export function fillTemplate(name: string, vars: Record<string, string | number>): string {
  const src = SHADER_SOURCES[name];
  if (src === undefined) throw new Error(`no WGSL template '${name}' in shaders/`);
  return src.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new Error(`template ${name}: no value for {{${k}}}`);
    return String(v);
  });
}

/** How a tensor lies in GPU buffers: element type, element count and elements per part. */
export interface Layout {
  wtype: WType;
  numel: number;
  /** Elements per buffer part; every part but the last is full. */
  partElems: number;
}

export const partsOf = (l: Layout): number => Math.max(1, Math.ceil(l.numel / l.partElems));

export interface BindingSpec {
  readOnly: boolean;
  /** The uniform parameter buffer (binding 0 of a program that has one). */
  uniform?: boolean;
}

/** Declares bindings in order and emits accessors; the device binds parts in the same order. */
export class ShaderBuilder {
  readonly bindings: BindingSpec[] = [];
  private decls: string[] = [];
  private enableF16 = false;
  private paramsDecl = '';

  /**
   * Binding 0 is the uniform parameter buffer `P` (sizes, strides); `struct` declares `Params`
   * (empty when the template declares it itself). Call before any tensor binding.
   */
  uniform(struct = ''): this {
    if (this.bindings.length) throw new Error('the uniform parameter buffer must be binding 0');
    this.paramsDecl = `${struct ? `${struct}\n` : ''}@group(0) @binding(0) var<uniform> P: Params;`;
    this.bindings.push({ readOnly: true, uniform: true });
    return this;
  }

  /** A read-only tensor: `fn name(i: u32) -> T`. */
  input(name: string, l: Layout): this {
    return this.declare(name, l, true);
  }

  /** A single-part tensor read or written four elements at a time: `name_0: array<vec4<T>>`, no accessors. */
  vec4(name: string, l: Layout, readOnly: boolean): this {
    if (l.wtype === 'f16') this.enableF16 = true;
    this.decls.push(
      `@group(0) @binding(${this.bindings.length}) var<storage, ${readOnly ? 'read' : 'read_write'}> ${name}_0: ` +
        `array<vec4<${l.wtype}>>;`,
    );
    this.bindings.push({ readOnly });
    return this;
  }

  /** A written tensor: `fn name_set(i: u32, v: T)` and a reader `name(i)`. */
  output(name: string, l: Layout): this {
    return this.declare(name, l, false);
  }

  private declare(name: string, l: Layout, readOnly: boolean): this {
    if (l.wtype === 'f16') this.enableF16 = true;
    const parts = partsOf(l);
    const access = readOnly ? 'read' : 'read_write';
    for (let p = 0; p < parts; p++) {
      this.decls.push(
        `@group(0) @binding(${this.bindings.length}) var<storage, ${access}> ${name}_${p}: array<${l.wtype}>;`,
      );
      this.bindings.push({ readOnly });
    }
    const t = l.wtype;
    const pe = l.partElems;
    if (parts === 1) {
      this.decls.push(`fn ${name}(i: u32) -> ${t} { return ${name}_0[i]; }`);
      if (!readOnly) this.decls.push(`fn ${name}_set(i: u32, v: ${t}) { ${name}_0[i] = v; }`);
    } else {
      // a tensor over the binding limit: pick the part, then index inside it
      let get = `fn ${name}(i: u32) -> ${t} {\n  let p = i / ${pe}u; let j = i - p * ${pe}u;\n`;
      let set = `fn ${name}_set(i: u32, v: ${t}) {\n  let p = i / ${pe}u; let j = i - p * ${pe}u;\n`;
      for (let p = 0; p < parts; p++) {
        const cond = p === parts - 1 ? '' : `if (p == ${p}u) `;
        get += `  ${cond}{ return ${name}_${p}[j]; }\n`;
        set += `  ${cond}{ ${name}_${p}[j] = v; return; }\n`;
      }
      this.decls.push(`${get}}`);
      if (!readOnly) this.decls.push(`${set}}`);
    }
    return this;
  }

  /** Bindings, accessors and helper functions: the `{{BINDINGS}}` of every template. */
  header(): string {
    return [
      this.enableF16 ? 'enable f16;' : '',
      ...(this.paramsDecl ? [this.paramsDecl] : []),
      ...this.decls,
      SPECIAL_VALUES,
      this.enableF16 ? SPECIAL_VALUES_F16 : '',
    ].join('\n');
  }
}

/** Row-major strides. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/**
 * WGSL statements that split flat index `src` over `dims` into `let {prefix}{d}` coordinates
 * (u32). Dims of size 1 get a literal 0.
 */
export function unflatten(src: string, dims: readonly number[], prefix: string): string {
  const st = strides(dims);
  const lines: string[] = [`var ${prefix}r = ${src};`];
  dims.forEach((d, k) => {
    if (d === 1) {
      lines.push(`let ${prefix}${k} = 0u;`);
      return;
    }
    if (k === dims.length - 1) {
      lines.push(`let ${prefix}${k} = ${prefix}r;`);
      return;
    }
    lines.push(`let ${prefix}${k} = ${prefix}r / ${st[k]}u; ${prefix}r = ${prefix}r - ${prefix}${k} * ${st[k]}u;`);
  });
  if (!dims.length) lines.push(`_ = ${prefix}r;`);
  return lines.join(' ');
}

/** Flat offset into a tensor broadcast to `outDims`, from the output coordinates `{prefix}k`. */
export function broadcastOffset(inDims: readonly number[], outDims: readonly number[], prefix: string): string {
  const off = outDims.length - inDims.length;
  if (off < 0)
    throw new Error(
      `an input of shape [${inDims.join(',')}] does not broadcast to the output's [${outDims.join(',')}]`,
    );
  const st = strides(inDims);
  const terms: string[] = [];
  inDims.forEach((d, k) => {
    if (d === 1) return;
    terms.push(st[k] === 1 ? `${prefix}${k + off}` : `${prefix}${k + off} * ${st[k]}u`);
  });
  return terms.length ? terms.join(' + ') : '0u';
}

/** Threads laid over a 2-D grid when one dimension would exceed maxComputeWorkgroupsPerDimension. */
export function gridFor(groups: number, maxPerDim: number): [number, number, number] {
  if (groups <= maxPerDim) return [Math.max(1, groups), 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y > maxPerDim)
    throw new Error(`dispatch of ${groups} workgroups exceeds maxComputeWorkgroupsPerDimension² (${maxPerDim}²)`);
  return [Math.ceil(groups / y), y, 1];
}

/** Split a call's argument text at top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0,
    start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (s.trim().length) out.push(s.slice(start).trim());
  return out;
}

/** Replace every call `name(args)` in code using `make(args)`; skips the function's own definition. */
function replaceCalls(code: string, name: string, make: (args: string[]) => string): string {
  const re = new RegExp(`(?<![\\w.])${name}\\(`, 'g');
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) {
    if (code.slice(Math.max(0, m.index - 3), m.index) === 'fn ') continue;
    let depth = 1,
      j = m.index + m[0].length;
    for (; j < code.length && depth > 0; j++) {
      if (code[j] === '(') depth++;
      else if (code[j] === ')') depth--;
    }
    out += code.slice(last, m.index) + make(splitArgs(code.slice(m.index + m[0].length, j - 1)));
    last = j;
    re.lastIndex = j;
  }
  return out + code.slice(last);
}

/**
 * Inline one-line helpers (`fn f(a: T) -> U { return EXPR; }` and single-part `x_set`) at their
 * call sites. Some shader compilers (SwiftShader's Subzero JIT, used by Dawn in Node) do not
 * inline calls, and an accessor call per element costs more than the arithmetic.
 */
export function inlineHelpers(code: string): string {
  for (let pass = 0; pass < 4; pass++) {
    let changed = false;
    const fns = [...code.matchAll(/^fn (\w+)\(([^)]*)\) -> [\w<>]+ \{ return (.*); \}$/gm)];
    for (const [, name, params, body] of fns) {
      if (name === 'main' || !code.includes(`${name}(`)) continue;
      const names = params!
        .split(',')
        .map((p) => p.split(':')[0]!.trim())
        .filter(Boolean);
      const before = code;
      code = replaceCalls(code, name!, (args) => {
        let e = body!;
        names.forEach((p, k) => {
          e = e.replace(new RegExp(`\\b${p}\\b`, 'g'), `(${args[k]})`);
        });
        return `(${e})`;
      });
      if (code !== before) changed = true;
    }
    const sets = [...code.matchAll(/^fn (\w+_set)\(i: u32, v: [\w<>]+\) \{ (\w+)\[i\] = v; \}$/gm)];
    for (const [, name, arr] of sets) {
      const before = code;
      code = replaceCalls(code, name!, (args) => `${arr}[${args[0]}] = ${args[1]}`);
      if (code !== before) changed = true;
    }
    if (!changed) break;
  }
  return code;
}

export { type Variant, variantDiff, variantOf } from './variant.js';
