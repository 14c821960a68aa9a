// Edge conditions and prompt templates. Conditions are a small expression language, parsed once at
// load time (so a typo fails before the run) and evaluated without eval():
//   answer.toolCall            answer.finishReason == "stop"      search.length > 0 && !flag
// Templates substitute {{path}} with a node's output or a graph input ({{inputs.question}}).

export type Expr =
  | { t: 'lit'; v: unknown }
  | { t: 'path'; parts: (string | number)[] }
  | { t: 'not'; e: Expr }
  | { t: 'bin'; op: string; a: Expr; b: Expr };

// a number | a quoted string | an operator | a name, each after optional blanks
const TOKEN = new RegExp(
  [
    String.raw`\s*(?:(\d+(?:\.\d+)?)`,
    String.raw`("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')`,
    String.raw`(&&|\|\||==|!=|>=|<=|[!<>()[\].])`,
    '([A-Za-z_][A-Za-z0-9_-]*))',
  ].join('|'),
  'y',
);

export function parseExpr(src: string): Expr {
  const toks: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`unexpected '${src.slice(pos).trim()[0]}' at column ${pos + 1} of "${src}"`);
    toks.push(m[0].trim());
    pos = TOKEN.lastIndex;
  }
  let i = 0;
  const peek = () => toks[i];
  const take = (want?: string) => {
    const t = toks[i++];
    if (t === undefined) throw new Error(`"${src}" ends too early${want ? ` (expected '${want}')` : ''}`);
    if (want && t !== want) throw new Error(`expected '${want}' but found '${t}' in "${src}"`);
    return t;
  };
  const primary = (): Expr => {
    const t = take();
    if (t === '(') {
      const e = or();
      take(')');
      return e;
    }
    if (/^\d/.test(t)) return { t: 'lit', v: Number(t) };
    if (t[0] === '"' || t[0] === "'")
      return { t: 'lit', v: JSON.parse(t[0] === '"' ? t : `"${t.slice(1, -1).replace(/"/g, '\\"')}"`) };
    if (t === 'true' || t === 'false') return { t: 'lit', v: t === 'true' };
    if (t === 'null') return { t: 'lit', v: null };
    if (!/^[A-Za-z_]/.test(t)) throw new Error(`unexpected '${t}' in "${src}"`);
    const parts: (string | number)[] = [t];
    for (;;) {
      if (peek() === '.') {
        take();
        const p = take();
        if (!/^[A-Za-z_]/.test(p)) throw new Error(`expected a field name after '.' in "${src}"`);
        parts.push(p);
      } else if (peek() === '[') {
        take();
        const n = take();
        if (!/^\d+$/.test(n)) throw new Error(`expected an index in [] in "${src}"`);
        parts.push(Number(n));
        take(']');
      } else break;
    }
    return { t: 'path', parts };
  };
  const cmp = (): Expr => {
    const a = primary();
    const op = peek();
    if (op && ['==', '!=', '>', '<', '>=', '<=', 'contains'].includes(op)) {
      take();
      return { t: 'bin', op, a, b: primary() };
    }
    return a;
  };
  const not = (): Expr => (peek() === '!' ? (take(), { t: 'not', e: not() }) : cmp());
  const and = (): Expr => {
    let e = not();
    while (peek() === '&&') {
      take();
      e = { t: 'bin', op: '&&', a: e, b: not() };
    }
    return e;
  };
  const or = (): Expr => {
    let e = and();
    while (peek() === '||') {
      take();
      e = { t: 'bin', op: '||', a: e, b: and() };
    }
    return e;
  };
  if (!toks.length) throw new Error('the condition is empty');
  const e = or();
  if (i < toks.length) throw new Error(`unexpected '${toks[i]}' in "${src}"`);
  return e;
}

/** Node ids (or 'inputs') an expression reads. */
export function exprRefs(e: Expr): string[] {
  switch (e.t) {
    case 'lit':
      return [];
    case 'path':
      return [String(e.parts[0])];
    case 'not':
      return exprRefs(e.e);
    case 'bin':
      return [...exprRefs(e.a), ...exprRefs(e.b)];
  }
}

export function lookupPath(root: (name: string) => unknown, parts: (string | number)[]): unknown {
  let v: unknown = root(String(parts[0]));
  for (const p of parts.slice(1)) {
    if (v === null || v === undefined) return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** Truthiness with empty arrays and empty objects counting as false. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.keys(v).length > 0;
  return !!v;
}

export function evalExpr(e: Expr, root: (name: string) => unknown): unknown {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'path':
      return lookupPath(root, e.parts);
    case 'not':
      return !truthy(evalExpr(e.e, root));
    case 'bin': {
      if (e.op === '&&') return truthy(evalExpr(e.a, root)) && truthy(evalExpr(e.b, root));
      if (e.op === '||') return truthy(evalExpr(e.a, root)) || truthy(evalExpr(e.b, root));
      const a = evalExpr(e.a, root),
        b = evalExpr(e.b, root);
      switch (e.op) {
        case '==':
          return a === b;
        case '!=':
          return a !== b;
        case '>':
          return (a as number) > (b as number);
        case '<':
          return (a as number) < (b as number);
        case '>=':
          return (a as number) >= (b as number);
        case '<=':
          return (a as number) <= (b as number);
        case 'contains':
          return typeof a === 'string' ? a.includes(String(b)) : Array.isArray(a) ? a.includes(b) : false;
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Templates

const TEMPLATE = /\{\{\s*([^}]+?)\s*\}\}/g;

export function templateRefs(s: string): { path: (string | number)[]; src: string }[] {
  const out: { path: (string | number)[]; src: string }[] = [];
  for (const m of s.matchAll(TEMPLATE)) {
    const e = parseExpr(m[1]!);
    if (e.t !== 'path')
      throw new Error(`{{${m[1]}}} must be a node output or input path like {{search}} or {{inputs.question}}`);
    out.push({ path: e.parts, src: m[1]! });
  }
  return out;
}

export function renderTemplate(s: string, root: (name: string) => unknown, show: (v: unknown) => string): string {
  return s.replace(TEMPLATE, (_, p: string) =>
    show(lookupPath(root, (parseExpr(p) as { parts: (string | number)[] }).parts)),
  );
}

/** The whole string is one {{path}}: the value itself, not its text, is wanted (e.g. a vector). */
export function soleRef(s: string): (string | number)[] | undefined {
  const m = /^\s*\{\{\s*([^}]+?)\s*\}\}\s*$/.exec(s);
  if (!m) return undefined;
  const e = parseExpr(m[1]!);
  return e.t === 'path' ? e.parts : undefined;
}
