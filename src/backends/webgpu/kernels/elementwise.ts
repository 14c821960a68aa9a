// Elementwise family (shaders/elementwise.wgsl): each nn.* elementwise op becomes a WGSL
// expression over its inputs (broadcast), with dtype conversions and the store rule of the output
// dtype (narrow integers wrap, float16 held in f32 rounds to f16). k.map nodes bring their own
// expression tree and use the same template.

import type { AttrReader } from '../../../ir/attributes.js';
import type { DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/graph.js';
import { type NodePlan, type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import {
  broadcastOffset,
  fillTemplate,
  isFloatW,
  type Layout,
  lit,
  partsOf,
  ShaderBuilder,
  unflatten,
  type WType,
} from '../wgsl.js';

export interface Arg {
  code: string;
  w: WType;
  dt: DType;
}

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

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

const f = (w: WType, v: number) => lit(v, w);
type Gen = (args: Arg[], w: WType, attrs: AttrReader, outDt: DType) => string;

/** Float-only math: computed in f32 (f16 inputs widened) and narrowed back. */
function fl(expr: (x: string) => string): Gen {
  return ([x], w) =>
    w === 'f16' ? `f16(${expr(`f32(${x!.code})`)})` : w === 'f32' ? expr(x!.code) : `${w}(${expr(`f32(${x!.code})`)})`;
}

const UNARY: Record<string, Gen> = {
  BitwiseNot: ([x]) => `(~${x!.code})`,
  Abs: ([x], w) => (w === 'u32' ? x!.code : `abs(${x!.code})`),
  Neg: ([x]) => `-(${x!.code})`,
  Sign: ([x], w) => (w === 'u32' ? `select(0u, 1u, ${x!.code} > 0u)` : `sign(${x!.code})`),
  Relu: ([x], w) => `max(${x!.code}, ${f(w, 0)})`,
  Sqrt: fl((x) => `sqrt(${x})`),
  Reciprocal: fl((x) => `(1.0 / ${x})`),
  Exp: fl((x) => `exp(${x})`),
  Log: fl((x) => `log(${x})`),
  Ceil: fl((x) => `ceil(${x})`),
  Floor: fl((x) => `floor(${x})`),
  Round: fl((x) => `round(${x})`),
  Sin: fl((x) => `sin(${x})`),
  Cos: fl((x) => `cos(${x})`),
  Tan: fl((x) => `tan(${x})`),
  Asin: fl((x) => `asin(${x})`),
  Acos: fl((x) => `acos(${x})`),
  Atan: fl((x) => `atan(${x})`),
  Sinh: fl((x) => `sinh(${x})`),
  Cosh: fl((x) => `cosh(${x})`),
  Asinh: fl((x) => `asinh(${x})`),
  Acosh: fl((x) => `acosh(${x})`),
  Atanh: fl((x) => `atanh(${x})`),
  Tanh: fl((x) => `tanh_s(${x})`),
  Sigmoid: fl((x) => `sigmoid_s(${x})`),
  Erf: ([x], w) =>
    isFloatW(w) ? fl((v) => `erf_s(${v})`)([x!], w, undefined as never, 'float32') : `${w}(erf_s(f32(${x!.code})))`,
  Softplus: fl((x) => `softplus_s(${x})`),
  Softsign: fl((x) => `(${x} / (1.0 + abs(${x})))`),
  Mish: fl((x) => `(${x} * tanh_s(softplus_s(${x})))`),
  HardSwish: fl((x) => `(${x} * clamp(${x} / 6.0 + 0.5, 0.0, 1.0))`),
};

const ACTIVATION: Record<string, (a: AttrReader) => (x: string) => string> = {
  LeakyRelu: (a) => {
    const al = lit(a.float('alpha', 0.01), 'f32');
    return (x) => `select(${al} * ${x}, ${x}, ${x} >= 0.0)`;
  },
  Elu: (a) => {
    const al = lit(a.float('alpha', 1), 'f32');
    return (x) => `select(${al} * (exp(${x}) - 1.0), ${x}, ${x} >= 0.0)`;
  },
  Celu: (a) => {
    const al = lit(a.float('alpha', 1), 'f32');
    return (x) => `(max(0.0, ${x}) + min(0.0, ${al} * (exp(${x} / ${al}) - 1.0)))`;
  },
  Selu: (a) => {
    const al = lit(a.float('alpha', SELU_ALPHA), 'f32');
    const g = lit(a.float('gamma', SELU_GAMMA), 'f32');
    return (x) => `select(${g} * (${al} * exp(${x}) - ${al}), ${g} * ${x}, ${x} > 0.0)`;
  },
  HardSigmoid: (a) => {
    const al = lit(a.float('alpha', 0.2), 'f32');
    const b = lit(a.float('beta', 0.5), 'f32');
    return (x) => `clamp(${al} * ${x} + ${b}, 0.0, 1.0)`;
  },
  ThresholdedRelu: (a) => {
    const al = lit(a.float('alpha', 1), 'f32');
    return (x) => `select(0.0, ${x}, ${x} > ${al})`;
  },
  Gelu: (a) => {
    const mode = a.string('approximate', 'none');
    if (mode === 'tanh')
      return (x) => `(0.5 * ${x} * (1.0 + tanh_s(0.7978845608028654 * (${x} + 0.044715 * ${x} * ${x} * ${x}))))`;
    return (x) => `(0.5 * ${x} * (1.0 + erf_s(${x} * 0.7071067811865476)))`;
  },
};

const cmp =
  (op: string): Gen =>
  ([a, b]) =>
    `select(0u, 1u, ${a!.code} ${op} ${b!.code})`;
const logic =
  (op: string): Gen =>
  ([a, b]) =>
    `select(0u, 1u, (${a!.code} != 0u) ${op} (${b!.code} != 0u))`;

const BINARY: Record<string, Gen> = {
  // bit ops on the 32-bit compute value; the store rule wraps 8- and 16-bit results
  BitwiseAnd: ([a, b]) => `(${a!.code} & ${b!.code})`,
  BitwiseOr: ([a, b]) => `(${a!.code} | ${b!.code})`,
  BitwiseXor: ([a, b]) => `(${a!.code} ^ ${b!.code})`,
  // WGSL takes the shift amount modulo 32: a shift by 32 or more gives 0 explicitly
  BitShift: ([a, b], _w, attrs) =>
    `select(0u, ${a!.code} ${attrs.string('direction') === 'LEFT' ? '<<' : '>>'} ${b!.code}, ${b!.code} < 32u)`,
  Add: ([a, b]) => `(${a!.code} + ${b!.code})`,
  Sub: ([a, b]) => `(${a!.code} - ${b!.code})`,
  Mul: ([a, b]) => `(${a!.code} * ${b!.code})`,
  Div: ([a, b], w) =>
    isFloatW(w) ? `(${a!.code} / ${b!.code})` : `select(${a!.code} / ${b!.code}, ${f(w, 0)}, ${b!.code} == ${f(w, 0)})`,
  Mod: ([a, b], w, attrs) => {
    if (isFloatW(w)) return `(${a!.code} % ${b!.code})`;
    const z = f(w, 0);
    const r = `(${a!.code} % select(${b!.code}, ${f(w, 1)}, ${b!.code} == ${z}))`;
    if (w === 'u32' || attrs.int('fmod', 0) === 1) return `select(${r}, ${z}, ${b!.code} == ${z})`;
    return `mod_py(${a!.code}, ${b!.code})`;
  },
  Equal: cmp('=='),
  Greater: cmp('>'),
  Less: cmp('<'),
  GreaterOrEqual: cmp('>='),
  LessOrEqual: cmp('<='),
  And: logic('&&'),
  Or: logic('||'),
  Xor: logic('!='),
  PRelu: ([x, s], w) => `select(${x!.code}, ${x!.code} * ${s!.code}, ${x!.code} < ${f(w, 0)})`,
};

/** The expression of an elementwise node in compute type w, from its input arguments. */
function exprOf(node: Node, attrs: AttrReader, args: Arg[], w: WType, outDt: DType): string {
  const type = node.op.slice(3);
  if (UNARY[type]) return UNARY[type]!(args, w, attrs, outDt);
  if (ACTIVATION[type]) {
    const g = ACTIVATION[type]!(attrs);
    return w === 'f32' ? g(args[0]!.code) : `${w}(${g(`f32(${args[0]!.code})`)})`;
  }
  if (BINARY[type]) return BINARY[type]!(args, w, attrs, outDt);
  switch (type) {
    case 'Pow': {
      const [x, y] = args as [Arg, Arg];
      if (isFloatW(w))
        return w === 'f32' ? `pow_s(${x.code}, f32(${y.code}))` : `${w}(pow_s(f32(${x.code}), f32(${y.code})))`;
      if (isFloatW(y.w)) return `${w}(pow_s(f32(${x.code}), ${y.code}))`;
      return `${w}(ipow(i32(${x.code}), i32(${y.code})))`;
    }
    case 'Max':
    case 'Min': {
      const fn = type === 'Max' ? 'max' : 'min';
      return args.slice(1).reduce((acc, a) => `${fn}(${acc}, ${a.code})`, args[0]!.code);
    }
    case 'Sum':
      return `(${args.map((a) => a.code).join(' + ')})`;
    case 'Mean':
      return `((${args.map((a) => a.code).join(' + ')}) / ${f(w, args.length)})`;
    case 'Not':
      return `select(1u, 0u, ${args[0]!.code} != 0u)`;
    case 'Where':
      return `select(${args[2]!.code}, ${args[1]!.code}, ${args[0]!.code} != 0u)`;
    case 'IsNaN':
      return `select(0u, 1u, is_nan(f32(${args[0]!.code})))`;
    case 'IsInf': {
      const x = `f32(${args[0]!.code})`;
      const neg = attrs.int('detect_negative', 1) === 1,
        pos = attrs.int('detect_positive', 1) === 1;
      const conds = [pos ? `(is_inf(${x}) && ${x} > 0.0)` : '', neg ? `(is_inf(${x}) && ${x} < 0.0)` : ''].filter(
        Boolean,
      );
      return conds.length ? `select(0u, 1u, ${conds.join(' || ')})` : '0u';
    }
    case 'Cast':
    case 'CastLike':
      return convert(args[0]!, outDt, w);
    case 'Clip': {
      let r = args[0]!.code;
      if (args[1]) r = `max(${r}, ${args[1].code})`;
      if (args[2]) r = `min(${r}, ${args[2].code})`;
      return r;
    }
  }
  throw new Error(`no WGSL expression for ${node.op}`);
}

const OPS = [
  ...Object.keys(UNARY),
  ...Object.keys(ACTIVATION),
  ...Object.keys(BINARY),
  'Pow',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'Not',
  'Where',
  'IsNaN',
  'IsInf',
  'Cast',
  'CastLike',
  'Clip',
].map((t) => `nn.${t}`);

/** Extra helpers some expressions call (kept out of the template when unused). */
function extraHelpers(code: string, w: WType): string {
  if (!code.includes('mod_py(')) return '';
  return `fn mod_py(a: ${w}, b: ${w}) -> ${w} { if (b == 0) { return 0; } let r = a % b; if (r != 0 && ((r < 0) != (b < 0))) { return r + b; } return r; }`;
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
  const b = new ShaderBuilder();
  const tensors: TRef[] = [];
  const present = ins.map((t, i) => (t && t.layout.numel > 0 ? i : -1)).filter((i) => i >= 0);
  const single = (l: Layout) => partsOf(l) === 1;
  // four elements per access where every input is the output's shape or a scalar (the common
  // case: residual adds, activations): vector loads and stores, the expression per component
  const vec =
    n % 4 === 0 &&
    single(out.layout) &&
    present.every((i) => single(ins[i]!.layout) && (ins[i]!.layout.numel === 1 || sameDims(ins[i]!.dims, out.dims)));
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
  const argsFor = (idx: (t: NonNullable<(typeof ins)[number]>, i: number) => string): Arg[] =>
    ins.map((t, i) => {
      if (!t || t.layout.numel === 0) return undefined as unknown as Arg;
      return { code: idx(t, i), w: t.layout.wtype, dt: t.dtype };
    });
  const emit = (args: Arg[], indent: string, store: (v: string) => string) => {
    args.forEach((x2, i) => {
      if (x2) body.push(`${indent}let v${i} = ${x2.code};`);
    });
    const named = args.map((x2, i) => (x2 ? { ...x2, code: `v${i}` } : x2));
    const made = make(named, w);
    const e = typeof made === 'string' ? made : made.expr;
    if (typeof made !== 'string') body.push(...made.pre.map((l) => `${indent}${l}`));
    body.push(`${indent}${store(storeRule(e, out.dtype, outW))}`);
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
    const needCoords = present.some((i) => ins[i]!.layout.numel !== 1 && !sameDims(ins[i]!.dims, out.dims));
    if (needCoords) body.push(`    ${unflatten('i', out.dims, 'c')}`);
    e = emit(
      argsFor(
        (t, i) =>
          `x${i}(${t.layout.numel === 1 ? '0u' : sameDims(t.dims, out.dims) ? 'i' : broadcastOffset(t.dims, out.dims, 'c')})`,
      ),
      '    ',
      (v) => `y_set(i, ${v});`,
    );
  }
  const nIter = vec ? n / 4 : n;
  // a vec4 iteration already carries four elements
  const per = vec ? 1 : ctx.tiles.perThread;
  const threads = Math.ceil(nIter / per);
  const groups = Math.ceil(threads / ctx.wg);
  const code = fillTemplate('elementwise', {
    BINDINGS: b.header() + '\n' + extraHelpers(e, w),
    WG: ctx.wg,
    THREADS: threads,
    PER_THREAD: per,
    N: nIter,
    BODY: body.join('\n'),
  });
  return {
    dispatches: [{ code, bindings: b.bindings, tensors, grid: ctx.grid(groups), label: `${a.node.op}:elementwise` }],
  };
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const OWN_TYPE = new Set([
  'Cast',
  'CastLike',
  'Where',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
  'Pow',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
]);

registerKernels({
  ops: OPS,
  supports(node) {
    const type = node.op.slice(3);
    const inT = node.inputs[0]?.type?.dtype;
    if (type === 'Pow' && node.inputs[1]?.type?.dtype === 'int64') return 'int64 exponent: WGSL has no 64-bit integers';
    if (type === 'Mod' && inT && ['int8', 'int16'].includes(inT)) return true;
    return true;
  },
  plan(a) {
    const outDt = a.outs[0]!.dtype;
    const type = a.node.op.slice(3);
    // CastLike's second input only lends its type: never bound or read (its shape may not even
    // broadcast to the output's, e.g. a scalar cast like a matrix)
    if (type === 'CastLike') a = { ...a, ins: [a.ins[0], undefined] };
    return planElementwise(a, (args, cw) => {
      // inputs enter the compute type, except where the op reads them in their own type
      // (comparisons, logic, casts, Where's condition, Pow's exponent)
      const conv = args.map((x, i) => {
        if (!x) return x;
        if (OWN_TYPE.has(type) && !(type === 'Where' && i > 0) && !(type === 'Pow' && i === 0)) return x;
        return x.w === cw ? x : { ...x, code: convert(x, outDt, cw), w: cw };
      });
      return exprOf(a.node, a.attrs, conv, cw, outDt);
    });
  },
});
