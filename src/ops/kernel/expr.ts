// Expression trees of fused elementwise kernels (k.map) and epilogues (k.matmul, k.conv).
// Text form: `select(ge($0, 0.0), $0, mul($0, 0.01))`: `$N` is the N-th input (for an epilogue,
// $0 is the accumulator), numbers are float constants, and calls name one of FUNCS. Every
// backend generates code from the same tree (WASM SIMD, WGSL), and the reference evaluates it.

import { erf, roundHalfEven, softplus } from '../math.js';

export type Expr =
  | { kind: 'in'; index: number }
  | { kind: 'const'; value: number }
  | { kind: 'call'; fn: string; args: Expr[] };

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const b = (c: boolean) => (c ? 1 : 0);

/** Every function a kernel backend must implement, with its arity and f64 reference meaning. */
export const FUNCS: Record<string, { arity: number; eval: (...a: number[]) => number }> = {
  neg: { arity: 1, eval: (x) => -x },
  abs: { arity: 1, eval: Math.abs },
  sqrt: { arity: 1, eval: Math.sqrt },
  rsqrt: { arity: 1, eval: (x) => 1 / Math.sqrt(x) },
  recip: { arity: 1, eval: (x) => 1 / x },
  exp: { arity: 1, eval: Math.exp },
  log: { arity: 1, eval: Math.log },
  sin: { arity: 1, eval: Math.sin },
  cos: { arity: 1, eval: Math.cos },
  tan: { arity: 1, eval: Math.tan },
  tanh: { arity: 1, eval: Math.tanh },
  sigmoid: { arity: 1, eval: sigmoid },
  softplus: { arity: 1, eval: softplus },
  erf: { arity: 1, eval: erf },
  relu: { arity: 1, eval: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0) },
  floor: { arity: 1, eval: Math.floor },
  ceil: { arity: 1, eval: Math.ceil },
  round: { arity: 1, eval: roundHalfEven },
  sign: { arity: 1, eval: (x) => (Number.isNaN(x) ? x : Math.sign(x)) },
  not: { arity: 1, eval: (x) => b(!x) },
  isnan: { arity: 1, eval: (x) => b(Number.isNaN(x)) },
  add: { arity: 2, eval: (x, y) => x + y },
  sub: { arity: 2, eval: (x, y) => x - y },
  mul: { arity: 2, eval: (x, y) => x * y },
  div: { arity: 2, eval: (x, y) => x / y },
  pow: { arity: 2, eval: Math.pow },
  max: { arity: 2, eval: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y)) },
  min: { arity: 2, eval: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y)) },
  eq: { arity: 2, eval: (x, y) => b(x === y) },
  lt: { arity: 2, eval: (x, y) => b(x < y) },
  le: { arity: 2, eval: (x, y) => b(x <= y) },
  gt: { arity: 2, eval: (x, y) => b(x > y) },
  ge: { arity: 2, eval: (x, y) => b(x >= y) },
  and: { arity: 2, eval: (x, y) => b(!!x && !!y) },
  or: { arity: 2, eval: (x, y) => b(!!x || !!y) },
  xor: { arity: 2, eval: (x, y) => b(!!x !== !!y) },
  select: { arity: 3, eval: (c, x, y) => (c ? x : y) },
  clamp: { arity: 3, eval: (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x) },
};

export const input = (index: number): Expr => ({ kind: 'in', index });
export const num = (value: number): Expr => ({ kind: 'const', value });
export const call = (fn: string, ...args: Expr[]): Expr => {
  const f = FUNCS[fn];
  if (!f) throw new Error(`unknown kernel function '${fn}'`);
  if (f.arity !== args.length) throw new Error(`${fn} takes ${f.arity} arguments, got ${args.length}`);
  return { kind: 'call', fn, args };
};

const f32 = new Float32Array(1);
function formatNum(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  f32[0] = v;
  const x = f32[0]!;
  for (let p = 1; p <= 9; p++) {
    const s = String(Number(x.toPrecision(p)));
    if (Math.fround(Number(s)) === x) return /[.e]/.test(s) ? s : `${s}.0`;
  }
  return String(x);
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'in':
      return `$${e.index}`;
    case 'const':
      return formatNum(e.value);
    case 'call':
      return `${e.fn}(${e.args.map(printExpr).join(', ')})`;
  }
}

export function parseExpr(text: string): Expr {
  let i = 0;
  const ws = () => {
    while (text[i] === ' ') i++;
  };
  const fail = (msg: string): never => {
    throw new Error(`expression "${text}", column ${i + 1}: ${msg}`);
  };
  const parse = (): Expr => {
    ws();
    if (text[i] === '$') {
      const m = /^\$(\d+)/.exec(text.slice(i)) ?? fail('expected $N');
      i += m[0].length;
      return input(Number(m[1]));
    }
    const numM = /^(-?(\d+\.?\d*([eE][-+]?\d+)?|inf)|nan)/.exec(text.slice(i));
    if (numM) {
      i += numM[0].length;
      const s = numM[0];
      return num(s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));
    }
    const id = /^[a-z_][a-z0-9_]*/.exec(text.slice(i)) ?? fail('expected a number, $N or a function call');
    i += id[0].length;
    ws();
    if (text[i] !== '(') fail(`expected '(' after ${id[0]}`);
    i++;
    const args: Expr[] = [];
    ws();
    if (text[i] !== ')') {
      for (;;) {
        args.push(parse());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        break;
      }
    }
    if (text[i] !== ')') fail("expected ')'");
    i++;
    try {
      return call(id[0], ...args);
    } catch (e) {
      return fail((e as Error).message);
    }
  };
  const e = parse();
  ws();
  if (i !== text.length) fail('unexpected text after the expression');
  return e;
}

/** Evaluate with float64 arithmetic, rounding each intermediate to float32 like an f32 kernel. */
export function evalExpr(e: Expr, inputs: readonly number[], round: (v: number) => number = Math.fround): number {
  switch (e.kind) {
    case 'in':
      return inputs[e.index]!;
    case 'const':
      return round(e.value);
    case 'call':
      return round(FUNCS[e.fn]!.eval(...e.args.map((a) => evalExpr(a, inputs, round))));
  }
}

/** Replace each $i with subs[i] (used when fusing one expression into another). */
export function substitute(e: Expr, subs: readonly Expr[]): Expr {
  switch (e.kind) {
    case 'in':
      return subs[e.index] ?? e;
    case 'const':
      return e;
    case 'call':
      return { kind: 'call', fn: e.fn, args: e.args.map((a) => substitute(a, subs)) };
  }
}

/** Highest input index used, plus one. */
export function arityOf(e: Expr): number {
  switch (e.kind) {
    case 'in':
      return e.index + 1;
    case 'const':
      return 0;
    case 'call':
      return Math.max(0, ...e.args.map(arityOf));
  }
}

/** Number of calls: the FLOPs per element the cost model charges. */
export function opCount(e: Expr): number {
  return e.kind === 'call' ? 1 + e.args.reduce((a, x) => a + opCount(x), 0) : 0;
}

/** One step of a linearized expression: operands are earlier steps' indices. */
export type Step =
  | { kind: 'in'; index: number }
  | { kind: 'const'; value: number }
  | { kind: 'call'; fn: string; args: number[] };

/**
 * The expression as a list of distinct steps in evaluation order (hash-consed), so code
 * generators compute a repeated subtree once; the last step is the result.
 */
export function linearize(e: Expr): Step[] {
  const steps: Step[] = [];
  const seen = new Map<string, number>();
  const visit = (x: Expr): number => {
    let step: Step;
    if (x.kind === 'call') step = { kind: 'call', fn: x.fn, args: x.args.map(visit) };
    else step = x.kind === 'in' ? { kind: 'in', index: x.index } : { kind: 'const', value: Math.fround(x.value) };
    const key = JSON.stringify(step);
    let id = seen.get(key);
    if (id === undefined) {
      id = steps.length;
      steps.push(step);
      seen.set(key, id);
    }
    return id;
  };
  visit(e);
  return steps;
}
