// Lowering: nn.* ops become kernel-level k.* ops where a kernel form exists, with attributes
// normalised (axes sorted and non-negative, auto_pad resolved, Gemm's alpha/beta in an epilogue).
// Ops with no kernel form stay nn.*; backends run those directly or fall back, visibly.

import type { Attr } from '../ir/attributes.js';
import { AttrReader } from '../ir/attributes.js';
import { isFloat, isNarrow } from '../ir/dtype.js';
import { type Graph, Node, Value } from '../ir/graph.js';
import { isStatic, normAxis } from '../ir/shape.js';
import { getter, Tensor } from '../ir/tensor.js';
import { call, type Expr, input, num, printExpr } from '../ops/kernel/expr.js';
import { REDUCE_OPS } from '../ops/kernel/reduce.js';
import type { Pass } from './pass.js';

const $0 = input(0),
  $1 = input(1),
  $2 = input(2);

const UNARY: Record<string, string> = {
  Abs: 'abs',
  Neg: 'neg',
  Sqrt: 'sqrt',
  Reciprocal: 'recip',
  Exp: 'exp',
  Log: 'log',
  Sin: 'sin',
  Cos: 'cos',
  Tan: 'tan',
  Tanh: 'tanh',
  Sigmoid: 'sigmoid',
  Erf: 'erf',
  Relu: 'relu',
  Floor: 'floor',
  Ceil: 'ceil',
  Round: 'round',
  Sign: 'sign',
  Softplus: 'softplus',
  Not: 'not',
  IsNaN: 'isnan',
};
const BINARY: Record<string, string> = {
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  Div: 'div',
  Pow: 'pow',
  Max: 'max',
  Min: 'min',
  Sum: 'add',
  Equal: 'eq',
  Less: 'lt',
  LessOrEqual: 'le',
  Greater: 'gt',
  GreaterOrEqual: 'ge',
  And: 'and',
  Or: 'or',
  Xor: 'xor',
};

/** The expression of an elementwise nn op, or undefined when it has no k.map form. */
function elementwiseExpr(n: Node, a: AttrReader): Expr | undefined {
  const type = n.op.slice(3);
  const arity = n.inputs.length;
  if (UNARY[type]) return call(UNARY[type], $0);
  if (BINARY[type]) {
    if (arity < 2) return type === 'Sum' || type === 'Max' || type === 'Min' ? $0 : undefined;
    let e = call(BINARY[type], $0, $1);
    for (let i = 2; i < arity; i++) e = call(BINARY[type], e, input(i));
    return e;
  }
  switch (type) {
    case 'Mean': {
      let e: Expr = $0;
      for (let i = 1; i < arity; i++) e = call('add', e, input(i));
      return call('div', e, num(arity));
    }
    case 'LeakyRelu':
      return call('select', call('ge', $0, num(0)), $0, call('mul', $0, num(a.float('alpha', 0.01))));
    case 'Elu':
      return call(
        'select',
        call('ge', $0, num(0)),
        $0,
        call('mul', num(a.float('alpha', 1)), call('sub', call('exp', $0), num(1))),
      );
    case 'Selu': {
      const al = a.float('alpha', 1.67326319217681884765625),
        g = a.float('gamma', 1.05070102214813232421875);
      return call(
        'mul',
        num(g),
        call('select', call('gt', $0, num(0)), $0, call('sub', call('mul', num(al), call('exp', $0)), num(al))),
      );
    }
    case 'Celu': {
      const al = a.float('alpha', 1);
      return call(
        'add',
        call('max', $0, num(0)),
        call('min', num(0), call('mul', num(al), call('sub', call('exp', call('div', $0, num(al))), num(1)))),
      );
    }
    case 'HardSigmoid':
      return call(
        'clamp',
        call('add', call('mul', $0, num(a.float('alpha', 0.2))), num(a.float('beta', 0.5))),
        num(0),
        num(1),
      );
    case 'HardSwish':
      return call('mul', $0, call('clamp', call('add', call('div', $0, num(6)), num(0.5)), num(0), num(1)));
    case 'ThresholdedRelu':
      return call('select', call('gt', $0, num(a.float('alpha', 1))), $0, num(0));
    case 'Softsign':
      return call('div', $0, call('add', num(1), call('abs', $0)));
    case 'Mish':
      return call('mul', $0, call('tanh', call('softplus', $0)));
    case 'Gelu':
      if (a.string('approximate', 'none') === 'tanh') {
        const inner = call(
          'mul',
          num(Math.sqrt(2 / Math.PI)),
          call('add', $0, call('mul', num(0.044715), call('mul', $0, call('mul', $0, $0)))),
        );
        return call('mul', call('mul', num(0.5), $0), call('add', num(1), call('tanh', inner)));
      }
      return call(
        'mul',
        call('mul', num(0.5), $0),
        call('add', num(1), call('erf', call('mul', $0, num(Math.SQRT1_2)))),
      );
    case 'PRelu':
      return call('select', call('ge', $0, num(0)), $0, call('mul', $0, $1));
    case 'Where':
      return call('select', $0, $1, $2);
    case 'Identity':
      return $0;
    case 'Clip': {
      const lo = n.inputs[1],
        hi = n.inputs[2];
      let e: Expr = $0;
      if (lo) e = call('max', e, $1);
      if (hi) e = call('min', e, input(2));
      return e;
    }
    case 'Cast':
      return $0;
  }
  return undefined;
}

/** k.map only computes in float: every input and the output must be float or bool. */
function floatDomain(n: Node): boolean {
  const out = n.outputs[0]?.type?.dtype;
  if (!out || !(isFloat(out) || out === 'bool')) return false;
  if (n.op === 'nn.Cast' && !n.inputs.every((v) => v?.type && (isFloat(v.type.dtype) || v.type.dtype === 'bool')))
    return false;
  return n.inputs.every((v) => !v || (v.type && (isFloat(v.type.dtype) || v.type.dtype === 'bool')));
}

function kmap(n: Node, e: Expr): Node {
  const out = n.outputs[0]!;
  // Clip's omitted bounds leave nulls in the input list; the expression only refers to present ones
  const inputs = n.inputs.map((v) => v ?? placeholderFor(n));
  return new Node(
    'k.map',
    inputs,
    [out],
    { expr: { kind: 'string', value: printExpr(e) }, dtype: { kind: 'string', value: out.type!.dtype } },
    n.name,
  );
}

/** An omitted optional input that the expression never reads: a scalar zero of the input type. */
function placeholderFor(n: Node): Value {
  const v = new Value(`${n.name || n.outputs[0]?.name}.unused`, { dtype: n.inputs[0]!.type!.dtype, shape: [] });
  v.const = Tensor.zeros(n.inputs[0]!.type!.dtype, []);
  return v;
}

function constVal(v: Value | null | undefined): Tensor | undefined {
  return v?.const;
}

/**
 * The source of a Transpose that only swaps the last two dims: k.matmul reads it transposed in
 * place (transA/transB), saving a full copy of the operand.
 */
function swappedLastTwo(v: Value): Value | undefined {
  const p = v.producer;
  if (!p || p.op !== 'nn.Transpose' || !p.inputs[0]?.type?.shape) return undefined;
  const r = p.inputs[0].type.shape.length;
  if (r < 2) return undefined;
  const perm = p.attrs.perm?.kind === 'ints' ? p.attrs.perm.value : [...Array(r).keys()].reverse();
  const ok = perm.every((d, i) => (i < r - 2 ? d === i : i === r - 2 ? d === r - 1 : d === r - 2));
  return ok ? p.inputs[0] : undefined;
}

function lowerGemm(n: Node, a: AttrReader): Node | undefined {
  const [A, B, C] = n.inputs;
  if (!A?.type?.shape || !B?.type?.shape || !isFloat(A.type.dtype)) return undefined;
  const alpha = a.float('alpha', 1),
    beta = a.float('beta', 1);
  // Gemm's operands are 2-D: a Transpose feeding one just flips its flag
  const sa = swappedLastTwo(A),
    sb = swappedLastTwo(B);
  let acc: Expr = alpha === 1 ? $0 : call('mul', $0, num(alpha));
  const inputs = [sa ?? A, sb ?? B];
  if (C && beta !== 0) {
    acc = call('add', acc, beta === 1 ? $1 : call('mul', $1, num(beta)));
    inputs.push(C);
  }
  return new Node(
    'k.matmul',
    inputs,
    [n.outputs[0]!],
    {
      transA: { kind: 'int', value: a.int('transA', 0) ^ (sa ? 1 : 0) },
      transB: { kind: 'int', value: a.int('transB', 0) ^ (sb ? 1 : 0) },
      epilogue: { kind: 'string', value: printExpr(acc) },
    },
    n.name,
  );
}

/** Explicit pads for Conv from auto_pad, for static spatial shapes; undefined when unknown. */
function convPads(
  n: Node,
  a: AttrReader,
  x: number[],
  k: number[],
  strides: number[],
  dil: number[],
): number[] | undefined {
  const sp = k.length;
  const mode = a.string('auto_pad', 'NOTSET');
  if (mode === 'NOTSET') return a.ints('pads', new Array(2 * sp).fill(0));
  if (mode === 'VALID') return new Array(2 * sp).fill(0);
  const pads = new Array(2 * sp).fill(0);
  for (let i = 0; i < sp; i++) {
    const out = Math.ceil(x[i]! / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (k[i]! - 1) * dil[i]! + 1 - x[i]!);
    const small = Math.floor(total / 2);
    pads[i] = mode === 'SAME_UPPER' ? small : total - small;
    pads[i + sp] = total - pads[i]!;
  }
  void n;
  return pads;
}

function lowerConv(n: Node, a: AttrReader, g: Graph): Node | undefined {
  const [X, W, B] = n.inputs;
  const xs = X?.type?.shape,
    ws = W?.type?.shape;
  if (!xs || !ws || !isFloat(X!.type!.dtype) || !isStatic(ws)) return undefined;
  const sp = ws.length - 2;
  const k = ws.slice(2);
  const strides = a.ints('strides', new Array(sp).fill(1));
  const dil = a.ints('dilations', new Array(sp).fill(1));
  const spatial = xs.slice(2);
  if (a.string('auto_pad', 'NOTSET') !== 'NOTSET' && !isStatic(spatial)) return undefined;
  const pads = convPads(n, a, spatial as number[], k, strides, dil);
  if (!pads) return undefined;
  const inputs: Value[] = [X!, W!];
  let epi: Expr = $0;
  if (B) {
    const b = constVal(B);
    if (!b) return undefined;
    const bias = new Value(`${B.name}.kbias`, { dtype: b.type, shape: [b.size, ...new Array(sp).fill(1)] });
    bias.const = b.reshape([b.size, ...new Array(sp).fill(1)]);
    inputs.push(bias);
    epi = call('add', $0, $1);
  }
  void g;
  return new Node(
    'k.conv',
    inputs,
    [n.outputs[0]!],
    {
      strides: { kind: 'ints', value: strides },
      pads: { kind: 'ints', value: pads },
      dilations: { kind: 'ints', value: dil },
      group: { kind: 'int', value: a.int('group', 1) },
      epilogue: { kind: 'string', value: printExpr(epi) },
    },
    n.name,
  );
}

/** Inference BatchNormalization with constant statistics is y = x * s + t per channel. */
function lowerBatchNorm(n: Node, a: AttrReader): Node | undefined {
  const [X, scale, bias, mean, variance] = n.inputs;
  const xs = X?.type?.shape;
  if (!xs || xs.length < 2 || !isFloat(X!.type!.dtype) || n.outputs.slice(1).some((o) => o)) return undefined;
  const [s, b, m, v] = [scale, bias, mean, variance].map(constVal);
  if (!s || !b || !m || !v || a.int('training_mode', 0) !== 0 || X!.type!.dtype === 'float16') return undefined;
  const eps = a.float('epsilon', 1e-5);
  const C = s.size;
  const gs = getter(s),
    gb = getter(b),
    gm = getter(m),
    gv = getter(v);
  const mul = Tensor.zeros(X!.type!.dtype, [C, ...new Array(xs.length - 2).fill(1)]);
  const add = Tensor.zeros(X!.type!.dtype, mul.dims);
  const ms = mul.data as Float32Array,
    as = add.data as Float32Array;
  for (let c = 0; c < C; c++) {
    const k = Number(gs(c)) / Math.sqrt(Number(gv(c)) + eps);
    ms[c] = k;
    as[c] = Number(gb(c)) - Number(gm(c)) * k;
  }
  const mv = new Value(`${n.name || n.outputs[0]!.name}.bn_scale`, { dtype: mul.type, shape: [...mul.dims] });
  mv.const = mul;
  const av = new Value(`${n.name || n.outputs[0]!.name}.bn_shift`, { dtype: add.type, shape: [...add.dims] });
  av.const = add;
  return new Node(
    'k.map',
    [X!, mv, av],
    [n.outputs[0]!],
    {
      expr: { kind: 'string', value: printExpr(call('add', call('mul', $0, $1), $2)) },
      dtype: { kind: 'string', value: X!.type!.dtype },
    },
    n.name,
  );
}

function lowerNode(n: Node, g: Graph): Node | undefined {
  if (!n.op.startsWith('nn.')) return undefined;
  // the narrow types (bfloat16, float8, 4- and 2-bit) have no kernels: their nodes stay nn.* for the reference path
  if ([...n.inputs, ...n.outputs].some((v) => v?.type && isNarrow(v.type.dtype))) return undefined;
  const a = new AttrReader(n.attrs, n.describe());
  const type = n.op.slice(3);
  const x = n.inputs[0]?.type;
  switch (type) {
    case 'MatMul': {
      const [A, B] = n.inputs;
      const ra = A?.type?.shape?.length,
        rb = B?.type?.shape?.length;
      if (!ra || !rb || ra < 2 || rb < 2 || !isFloat(A!.type!.dtype)) return undefined;
      const sa = swappedLastTwo(A!),
        sb = swappedLastTwo(B!);
      const attrs: Record<string, Attr> = {};
      if (sa) attrs.transA = { kind: 'int', value: 1 };
      if (sb) attrs.transB = { kind: 'int', value: 1 };
      return new Node('k.matmul', [sa ?? A!, sb ?? B!], [n.outputs[0]!], attrs, n.name);
    }
    case 'Gemm':
      return lowerGemm(n, a);
    case 'Conv':
      return lowerConv(n, a, g);
    case 'BatchNormalization':
      return lowerBatchNorm(n, a);
    case 'Softmax':
    case 'LogSoftmax': {
      if (!x?.shape || !isFloat(x.dtype) || Object.keys(n.attrs).some((k) => k !== 'axis')) return undefined;
      const axis = normAxis(a.int('axis', -1), x.shape.length);
      return new Node(
        'k.softmax',
        [n.inputs[0]!],
        [n.outputs[0]!],
        { axis: { kind: 'int', value: axis }, log: { kind: 'int', value: type === 'LogSoftmax' ? 1 : 0 } },
        n.name,
      );
    }
    case 'LayerNormalization':
    case 'RMSNormalization': {
      if (!x?.shape || !isFloat(x.dtype) || n.outputs.slice(1).some((o) => o) || a.int('stash_type', 1) !== 1)
        return undefined;
      const attrs: Record<string, Attr> = {
        axis: { kind: 'int', value: normAxis(a.int('axis', -1), x.shape.length) },
        epsilon: { kind: 'float', value: a.float('epsilon', 1e-5) },
        rms: { kind: 'int', value: type === 'RMSNormalization' ? 1 : 0 },
      };
      return new Node(
        'k.layernorm',
        n.inputs.slice(0, type === 'RMSNormalization' ? 2 : 3),
        [n.outputs[0]!],
        attrs,
        n.name,
      );
    }
  }
  const reduceKind = Object.entries(REDUCE_OPS).find(([, v]) => v === type)?.[0];
  if (reduceKind) {
    if (!x?.shape || !isFloat(x.dtype)) return undefined;
    const ax = n.inputs[1];
    if (ax && !ax.const) return undefined;
    let axes = ax ? Array.from(ax.const!.data as ArrayLike<number | bigint>, Number) : [];
    if (!axes.length) {
      if (a.int('noop_with_empty_axes', 0) === 1) return undefined;
      axes = x.shape.map((_, i) => i);
    }
    const norm = [...new Set(axes.map((v) => normAxis(v, x.shape!.length)))].sort((p, q) => p - q);
    return new Node(
      'k.reduce',
      [n.inputs[0]!],
      [n.outputs[0]!],
      {
        op: { kind: 'string', value: reduceKind },
        axes: { kind: 'ints', value: norm },
        keepdims: { kind: 'int', value: a.int('keepdims', 1) },
      },
      n.name,
    );
  }
  if (n.outputs.length !== 1 || !floatDomain(n)) return undefined;
  const e = elementwiseExpr(n, a);
  return e ? kmap(n, e) : undefined;
}

export const lower: Pass = {
  name: 'lower',
  description: 'rewrite nn.* ops into kernel-level k.* ops (k.map, k.matmul, k.conv, k.softmax, k.reduce, k.layernorm)',
  run(g: Graph) {
    let count = 0;
    g.nodes = g.nodes.map((n) => {
      // sequences, optionals and strings have no kernel form: those nodes stay as they are
      if ([...n.inputs, ...n.outputs].some((v) => v?.type && (v.type.wrap?.length || v.type.dtype === 'string')))
        return n;
      const k = lowerNode(n, g);
      if (!k) return n;
      count++;
      for (const o of k.outputs) if (o) o.producer = k;
      return k;
    });
    return { changed: count > 0, summary: `lowered ${count} nodes to kernel ops` };
  },
};
