// Elementwise expressions: the tree a fused k.map carries in its `expr` attribute
// ("relu(add($0, mul($1, 0.5)))"), parsed, printed and built from single nn.* nodes. The WASM
// code generator (codegen.ts) turns a tree into one SIMD loop.

export type Expr =
  | { k: 'in'; i: number }
  | { k: 'const'; v: number }
  | { k: 'op'; op: string; args: Expr[] };

export const inp = (i: number): Expr => ({ k: 'in', i });
export const cst = (v: number): Expr => ({ k: 'const', v: Math.fround(v) });
export const op = (o: string, ...args: Expr[]): Expr => ({ k: 'op', op: o, args });

/** Ops the generator knows, with their arity. Math that needs polynomials is imported from wasm/elementwise.ts. */
export const EXPR_OPS: Record<string, number> = {
  add: 2, sub: 2, mul: 2, div: 2, max: 2, min: 2, pow: 2,
  neg: 1, abs: 1, sqrt: 1, ceil: 1, floor: 1, round: 1, trunc: 1,
  exp: 1, log: 1, tanh: 1, erf: 1, sigmoid: 1, gelu: 1, gelu_tanh: 1, softplus: 1, relu: 1,
  lt: 2, gt: 2, le: 2, ge: 2, eq: 2, ne: 2, select: 3,
};

export function printExpr(e: Expr): string {
  if (e.k === 'in') return `$${e.i}`;
  if (e.k === 'const') return Number.isNaN(e.v) ? 'nan' : e.v === Infinity ? 'inf' : e.v === -Infinity ? '-inf' : String(e.v);
  return `${e.op}(${e.args.map(printExpr).join(', ')})`;
}

export function parseExpr(text: string): Expr {
  let p = 0;
  const ws = () => { while (p < text.length && /\s/.test(text[p]!)) p++; };
  const fail = (m: string): never => { throw new Error(`k.map expr '${text}': ${m} at ${p}`); };
  const term = (): Expr => {
    ws();
    if (text[p] === '$') {
      const m = /^\$(\d+)/.exec(text.slice(p)) ?? fail('bad input reference');
      p += m[0].length;
      return inp(Number(m[1]));
    }
    const num = /^(-?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)|-?inf|nan)/i.exec(text.slice(p));
    if (num) {
      p += num[0].length;
      const s = num[0].toLowerCase();
      return cst(s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));
    }
    const id = /^[a-z_][a-z0-9_]*/i.exec(text.slice(p)) ?? fail('expected an op, $N or a number');
    p += id[0].length;
    ws();
    if (text[p] !== '(') fail(`expected '(' after ${id[0]}`);
    p++;
    const args: Expr[] = [];
    ws();
    if (text[p] !== ')') {
      for (;;) {
        args.push(term());
        ws();
        if (text[p] === ',') { p++; continue; }
        break;
      }
    }
    ws();
    if (text[p] !== ')') fail(`expected ')'`);
    p++;
    const name = id[0].toLowerCase();
    if (!(name in EXPR_OPS)) fail(`unknown op '${name}'`);
    if (EXPR_OPS[name] !== args.length) fail(`${name} takes ${EXPR_OPS[name]} arguments, got ${args.length}`);
    return op(name, ...args);
  };
  const e = term();
  ws();
  if (p !== text.length) fail('trailing text');
  return e;
}

/** Highest input index used + 1. */
export function exprArity(e: Expr): number {
  if (e.k === 'in') return e.i + 1;
  if (e.k === 'const') return 0;
  return Math.max(0, ...e.args.map(exprArity));
}
