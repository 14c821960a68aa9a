// nn.* elementwise ops (and k.map) as expression trees for the code generator, and the broadcast
// geometry of a map: output dims collapsed to [outer…, len] with per-input byte strides.

import type { Node } from '../../ir/graph.js';
import type { AttrReader } from '../../ir/attributes.js';
import { cst, inp, op, parseExpr, type Expr } from './expr.js';
import type { InputMode } from './codegen.js';

const $0 = inp(0), $1 = inp(1);
const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

type Maker = (a: AttrReader, arity: number) => Expr | undefined;
const unary = (name: string): Maker => () => op(name, $0);
const fold = (name: string): Maker => (_a, n) => { let e = $0; for (let i = 1; i < n; i++) e = op(name, e, inp(i)); return e; };

export const ELEMENTWISE: Record<string, Maker> = {
  'nn.Add': () => op('add', $0, $1),
  'nn.Sub': () => op('sub', $0, $1),
  'nn.Mul': () => op('mul', $0, $1),
  'nn.Div': () => op('div', $0, $1),
  'nn.Pow': () => op('pow', $0, $1),
  'nn.Max': fold('max'),
  'nn.Min': fold('min'),
  'nn.Sum': fold('add'),
  'nn.Mean': (_a, n) => op('div', fold('add')(_a, n)!, cst(n)),
  'nn.Neg': unary('neg'), 'nn.Abs': unary('abs'), 'nn.Relu': unary('relu'), 'nn.Sqrt': unary('sqrt'),
  'nn.Exp': unary('exp'), 'nn.Log': unary('log'), 'nn.Ceil': unary('ceil'), 'nn.Floor': unary('floor'),
  'nn.Round': unary('round'), 'nn.Tanh': unary('tanh'), 'nn.Sigmoid': unary('sigmoid'), 'nn.Erf': unary('erf'),
  'nn.Reciprocal': () => op('div', cst(1), $0),
  'nn.Softplus': unary('softplus'),
  'nn.Softsign': () => op('div', $0, op('add', cst(1), op('abs', $0))),
  'nn.Sign': () => op('select', op('gt', $0, cst(0)), cst(1), op('select', op('lt', $0, cst(0)), cst(-1), $0)),
  'nn.LeakyRelu': (a) => op('select', op('ge', $0, cst(0)), $0, op('mul', $0, cst(a.float('alpha', 0.01)))),
  'nn.Elu': (a) => op('select', op('ge', $0, cst(0)), $0, op('mul', cst(a.float('alpha', 1)), op('sub', op('exp', $0), cst(1)))),
  'nn.Celu': (a) => {
    const al = a.float('alpha', 1);
    return op('add', op('max', $0, cst(0)), op('min', cst(0), op('mul', cst(al), op('sub', op('exp', op('div', $0, cst(al))), cst(1)))));
  },
  'nn.Selu': (a) => {
    const al = a.float('alpha', SELU_ALPHA), g = a.float('gamma', SELU_GAMMA);
    return op('select', op('gt', $0, cst(0)), op('mul', cst(g), $0), op('mul', cst(g), op('sub', op('mul', cst(al), op('exp', $0)), cst(al))));
  },
  'nn.HardSigmoid': (a) => op('max', cst(0), op('min', cst(1), op('add', op('mul', cst(a.float('alpha', 0.2)), $0), cst(a.float('beta', 0.5))))),
  'nn.HardSwish': () => op('mul', $0, op('max', cst(0), op('min', cst(1), op('add', op('mul', $0, cst(1 / 6)), cst(0.5))))),
  'nn.ThresholdedRelu': (a) => op('select', op('gt', $0, cst(a.float('alpha', 1))), $0, cst(0)),
  'nn.Mish': () => op('mul', $0, op('tanh', op('softplus', $0))),
  'nn.Gelu': (a) => {
    const m = a.string('approximate', 'none');
    return m === 'tanh' ? op('gelu_tanh', $0) : m === 'none' ? op('gelu', $0) : undefined;
  },
  'nn.PRelu': () => op('select', op('lt', $0, cst(0)), op('mul', $0, $1), $0),
  // Clip's bounds are optional inputs; absent ones are dropped from the tree by the caller
  'nn.Clip': () => op('min', op('max', $0, $1), inp(2)),
  'k.map': (a) => parseExpr(a.string('expr')),
};

/** Replace inputs by constants (scalar constant inputs) and renumber the rest. */
export function substitute(e: Expr, consts: Map<number, number>, renumber: number[]): Expr {
  if (e.k === 'in') return consts.has(e.i) ? cst(consts.get(e.i)!) : inp(renumber[e.i]!);
  if (e.k === 'const') return e;
  return op(e.op, ...e.args.map((a) => substitute(a, consts, renumber)));
}

/** Drop Clip's missing bounds: max($0,$1) with no $1 becomes $0, and so on. */
export function clipExpr(hasLo: boolean, hasHi: boolean): Expr {
  let e: Expr = $0;
  if (hasLo) e = op('max', e, $1);
  if (hasHi) e = op('min', e, inp(2));
  return e;
}

export interface MapGeometry {
  rows: number; len: number; d1: number; d2: number;
  modes: InputMode[];
  /** per input: byte strides for the three outer dims [s0, s1, s2] */
  strides: [number, number, number][];
}

/** Collapse a broadcast to at most 3 outer dims + a contiguous (or broadcast) inner run; undefined if it needs more. */
export function mapGeometry(outDims: readonly number[], inDims: (readonly number[])[]): MapGeometry | undefined {
  const r = outDims.length;
  // element strides of each input in output space
  const st = inDims.map((d) => {
    const s = new Array<number>(r).fill(0);
    let acc = 1;
    for (let k = d.length - 1; k >= 0; k--) {
      const o = r - d.length + k;
      s[o] = d[k] === 1 && outDims[o] !== 1 ? 0 : acc;
      acc *= d[k]!;
    }
    return s;
  });
  let dims: number[] = [];
  let strides: number[][] = inDims.map(() => []);
  for (let k = 0; k < r; k++) {
    if (outDims[k] === 1) continue;
    const n = dims.length;
    if (n && st.every((s, i) => strides[i]![n - 1] === s[k]! * outDims[k]!)) {
      dims[n - 1]! *= outDims[k]!;
      st.forEach((s, i) => { strides[i]![n - 1] = s[k]!; });
    } else {
      dims.push(outDims[k]!);
      st.forEach((s, i) => strides[i]!.push(s[k]!));
    }
  }
  if (!dims.length) { dims = [1]; strides = inDims.map(() => [0]); }
  // the inner run: each input must be contiguous (1) or constant (0) along it
  const inner = dims.length - 1;
  if (strides.some((s) => s[inner] !== 0 && s[inner] !== 1)) return undefined;
  const outer = dims.slice(0, inner);
  if (outer.length > 3) return undefined;
  while (outer.length < 3) outer.unshift(1);
  const pad = 3 - inner;
  return {
    rows: outer[0]! * outer[1]! * outer[2]!, len: dims[inner]!, d1: outer[1]!, d2: outer[2]!,
    modes: strides.map((s) => (s[inner] === 1 ? 'v' : 's')),
    strides: strides.map((s) => {
      const o = [0, 0, 0] as [number, number, number];
      for (let k = 0; k < inner; k++) o[k + pad] = s[k]! * 4;
      return o;
    }),
  };
}

export function isElementwise(node: Node): boolean { return node.op in ELEMENTWISE; }
