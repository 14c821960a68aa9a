// The elementwise template (shaders/elementwise.wgsl) shared by every elementwise family: each op
// is a WGSL expression over its (broadcast) inputs, with dtype conversions and the store rule of
// the output dtype (narrow integers wrap, float16 held in f32 rounds to f16). The families
// (elementwise-unary, elementwise-binary, activation, logical, bitwise, cast) register their
// expression tables through registerElementwise; k.map brings its own expression tree.

import type { AttrReader } from '../../../../ir/attributes.js';
import type { DType } from '../../../../ir/dtype.js';
import type { Node } from '../../../../ir/graph.js';
import { type NodePlan, type PlanArgs, registerKernels, type TRef } from '../../kernel.js';
import { hashText, Params, typesKey } from '../../variant.js';
import { fillTemplate, isFloatW, type Layout, lit, partsOf, ShaderBuilder, type WType } from '../../wgsl.js';
import { broadcastParams, unflattenParams } from './index-math.js';

export interface Arg {
  code: string;
  w: WType;
  dt: DType;
}

/** Convert a value between compute types with the IR's cast rules. */
export function convert(a: Arg, toDt: DType, to: WType): string {
  if (toDt === 'bool') {
    const zero = a.w === 'u32' ? '0u' : a.w === 'i32' ? '0i' : `${a.w}(0.0)`;
    return `select(0u, 1u, ${a.code} != ${zero})`;
  }
  if (a.w === to) return a.code;
  if (isFloatW(a.w) && isFloatW(to)) return `${to}(${a.code})`;
  if (isFloatW(a.w)) {
    if (to === 'i32') return `i32(${a.code})`;
    return `select(u32(${a.code}), bitcast<u32>(i32(${a.code})), ${a.code} < ${a.w}(0.0))`;
  }
  if (isFloatW(to)) return `${to}(${a.code})`;
  return `bitcast<${to}>(${a.code})`;
}

/** The store rule of a dtype: wrap narrow integers, round float16 held in f32. */
export function storeRule(code: string, dt: DType, w: WType): string {
  switch (dt) {
    case 'int8':
      return `((${code}) << 24u) >> 24u`;
    case 'int16':
      return `((${code}) << 16u) >> 16u`;
    case 'uint8':
      return `(${code}) & 0xffu`;
    case 'uint16':
      return `(${code}) & 0xffffu`;
    case 'float16':
      return w === 'f32' ? `f16round(${code})` : code;
    default:
      return code;
  }
}

/** A literal in compute type w. */
export const litW = (w: WType, v: number) => lit(v, w);
export type Gen = (args: Arg[], w: WType, attrs: AttrReader, outDt: DType) => string;

/** Float-only math: computed in f32 (f16 inputs widened) and narrowed back. */
export function fl(expr: (x: string) => string): Gen {
  return ([x], w) =>
    w === 'f16' ? `f16(${expr(`f32(${x!.code})`)})` : w === 'f32' ? expr(x!.code) : `${w}(${expr(`f32(${x!.code})`)})`;
}

/** Extra helpers some expressions call (kept out of the template when unused). */
function extraHelpers(code: string, w: WType): string {
  if (!code.includes('mod_py(')) return '';
  return (
    `fn mod_py(a: ${w}, b: ${w}) -> ${w} { if (b == 0) { return 0; } let r = a % b; if (r != 0 && ((r < 0) ` +
    `!= (b < 0))) { return r + b; } return r; }`
  );
}

/**
 * Plan an elementwise kernel: `inputs` (indices into ins, -1 for absent), how each is converted
 * to the compute type, and the expression.
 */
export function planElementwise(
  a: PlanArgs,
  make: (args: Arg[], w: WType) => string | { pre: string[]; expr: string },
): NodePlan {
  const { ins, outs, ctx } = a;
  const out = outs[0]!;
  const n = out.layout.numel;
  if (n === 0) return { dispatches: [] };
  const outW = out.layout.wtype;
  const p = new Params();
  // threads and elements come first in P: the template reads them as P.v[0].x and P.v[0].y
  const nIterOf = vecOk(a) ? n / 4 : n;
  const per = vecOk(a) ? 1 : ctx.tiles.perThread;
  const threads = Math.ceil(nIterOf / per);
  p.u(threads);
  p.u(nIterOf);
  const b = new ShaderBuilder().uniform();
  const tensors: TRef[] = [];
  const present = ins.map((t, i) => (t && t.layout.numel > 0 ? i : -1)).filter((i) => i >= 0);
  // four elements per access where every input is the output's shape or a scalar (the common
  // case: residual adds, activations): vector loads and stores, the expression per component
  const vec = vecOk(a);
  present.forEach((i) => {
    const t = ins[i]!;
    if (vec && t.layout.numel !== 1) b.vec4(`x${i}`, t.layout, true);
    else b.input(`x${i}`, t.layout);
    tensors.push({ in: i });
  });
  if (vec) b.vec4('y', out.layout, false);
  else b.output('y', out.layout);
  tensors.push({ out: 0 });
  const body: string[] = [];
  const w = outW;
  // how each input is read: the output's index, element 0, or broadcast through strides in P
  const access = ins.map((t) =>
    !t || t.layout.numel === 0 ? '-' : t.layout.numel === 1 ? 'scalar' : sameDims(t.dims, out.dims) ? 'same' : 'bcast',
  );
  const argsFor = (idx: (t: NonNullable<(typeof ins)[number]>, i: number) => string): Arg[] =>
    ins.map((t, i) => {
      if (!t || t.layout.numel === 0) return undefined as unknown as Arg;
      return { code: idx(t, i), w: t.layout.wtype, dt: t.dtype };
    });
  let exprText = '';
  const emit = (args: Arg[], indent: string, store: (v: string) => string) => {
    args.forEach((x2, i) => {
      if (x2) body.push(`${indent}let v${i} = ${x2.code};`);
    });
    const named = args.map((x2, i) => (x2 ? { ...x2, code: `v${i}` } : x2));
    const made = make(named, w);
    const e = typeof made === 'string' ? made : made.expr;
    if (typeof made !== 'string') body.push(...made.pre.map((l) => `${indent}${l}`));
    body.push(`${indent}${store(storeRule(e, out.dtype, outW))}`);
    exprText = typeof made === 'string' ? made : `${made.pre.join(';')};${made.expr}`;
    return e;
  };
  let e: string;
  if (vec) {
    present.forEach((i) => {
      if (ins[i]!.layout.numel !== 1) body.push(`    let q${i} = x${i}_0[i];`);
    });
    body.push(`    var r: vec4<${outW}>;`);
    e = '';
    for (const c of ['x', 'y', 'z', 'w']) {
      body.push('    {');
      e = emit(
        argsFor((t, i) => (t.layout.numel === 1 ? `x${i}(0u)` : `q${i}.${c}`)),
        '      ',
        (v) => `r.${c} = ${v};`,
      );
      body.push('    }');
    }
    body.push('    y_0[i] = r;');
  } else {
    const needCoords = access.includes('bcast');
    if (needCoords) body.push(`    ${unflattenParams('i', out.dims, 'c', p)}`);
    e = emit(
      argsFor((t, i) => {
        if (access[i] === 'scalar') return `x${i}(0u)`;
        return `x${i}(${access[i] === 'same' ? 'i' : broadcastParams(t.dims, out.dims, 'c', p)})`;
      }),
      '    ',
      (v) => `y_set(i, ${v});`,
    );
  }
  const groups = Math.ceil(threads / ctx.wg);
  const code = fillTemplate('elementwise', {
    BINDINGS: `${p.struct()}\n${b.header()}\n${extraHelpers(e, w)}`,
    WG: ctx.wg,
    PER_THREAD: per,
    BODY: body.join('\n'),
  });
  // what the program is specialised on; the sizes and strides are in P
  const variant = {
    family: 'elementwise',
    name: vec ? 'vec4' : 'scalar',
    key: {
      op: a.node.op,
      types: typesKey(ins, outs),
      store: `${outW}`,
      rank: out.dims.length,
      access: access.join(','),
      // a broadcast input's own rank sets how many terms its offset has
      ranks: ins.map((t, i) => (access[i] === 'bcast' ? t!.dims.length : '-')).join(','),
      parts: [...ins.map((t) => (t ? partsOf(t.layout) : 0)), partsOf(out.layout)].join(','),
      perThread: per,
      wg: ctx.wg,
      params: p.vec4s,
      expr: hashText(exprText),
    },
  };
  return {
    dispatches: [
      {
        code,
        variant,
        params: p.data(),
        bindings: b.bindings,
        tensors,
        grid: ctx.grid(groups),
        label: `${a.node.op}:elementwise`,
      },
    ],
  };
}

/** Whether every input is the output's shape or a scalar, in single parts, n a multiple of 4. */
function vecOk(a: PlanArgs): boolean {
  const out = a.outs[0]!;
  const single = (l: Layout) => partsOf(l) === 1;
  return (
    out.layout.numel % 4 === 0 &&
    single(out.layout) &&
    a.ins.every(
      (t) => !t || t.layout.numel === 0 || (single(t.layout) && (t.layout.numel === 1 || sameDims(t.dims, out.dims))),
    )
  );
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** One elementwise op: its expression, and the inputs it reads in their own type. */
export interface ElementwiseOp {
  gen: Gen;
  /** Inputs read in their own type (comparisons, logic, casts); the rest enter the compute type. */
  own?: number[] | 'all';
  /** Inputs that only lend their type: never bound or read (CastLike's second). */
  typeOnly?: number[];
  supports?(node: Node): true | string;
}

/** An activation computed in f32 whatever the storage type, from its attributes. */
export function f32Act(make: (a: AttrReader) => (x: string) => string): Gen {
  return (args, w, attrs) => {
    const g = make(attrs);
    return w === 'f32' ? g(args[0]!.code) : `${w}(${g(`f32(${args[0]!.code})`)})`;
  };
}

/** Register a family's elementwise ops (keys are full op names: nn.Add). */
export function registerElementwise(table: Record<string, Gen | ElementwiseOp>): void {
  const spec = (op: string): ElementwiseOp => {
    const e = table[op]!;
    return typeof e === 'function' ? { gen: e } : e;
  };
  registerKernels({
    ops: Object.keys(table),
    supports: (node) => spec(node.op).supports?.(node) ?? true,
    plan(a) {
      const outDt = a.outs[0]!.dtype;
      const s = spec(a.node.op);
      if (s.typeOnly) a = { ...a, ins: a.ins.map((t, i) => (s.typeOnly!.includes(i) ? undefined : t)) };
      const own = (i: number) => s.own === 'all' || (s.own?.includes(i) ?? false);
      return planElementwise(a, (args, cw) => {
        const conv = args.map((x, i) => {
          if (!x || own(i)) return x;
          return x.w === cw ? x : { ...x, code: convert(x, outDt, cw), w: cw };
        });
        return s.gen(conv, cw, a.attrs, outDt);
      });
    },
  });
}
