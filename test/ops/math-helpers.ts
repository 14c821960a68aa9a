// Shared helpers for the math op tests: run one op through GraphBuilder + the reference
// interpreter, or through a one-node ONNX model at a chosen opset (to exercise import hooks).

import '../../src/index.js';
import assert from 'node:assert/strict';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { type AttrInput, GraphBuilder } from '../../src/ir/builder.js';
import type { DType } from '../../src/ir/dtype.js';
import { dtypeToOnnx } from '../../src/ir/dtype.js';
import type { Graph } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';

export { Tensor };

/** An input given as a constant (so infer sees its value) rather than a graph input. */
export class Const {
  constructor(readonly t: Tensor) {}
}
export const cst = (t: Tensor) => new Const(t);

export const f32 = (v: number[], dims?: number[]) => Tensor.from('float32', v, dims);
export const f64 = (v: number[], dims?: number[]) => Tensor.from('float64', v, dims);
export const i32 = (v: number[], dims?: number[]) => Tensor.from('int32', v, dims);
export const i64 = (v: (number | bigint)[], dims?: number[]) =>
  Tensor.from(
    'int64',
    v.map((x) => BigInt(x)),
    dims,
  );
export const t = (dtype: DType, v: (number | bigint)[], dims?: number[]) => Tensor.from(dtype, v, dims);

/** Run op on inputs (null = omitted optional input) and return all outputs. */
export function runOpN(
  op: string,
  inputs: (Tensor | Const | null)[],
  attrs: Record<string, AttrInput> = {},
  nOut?: number,
): Tensor[] {
  const g = new GraphBuilder();
  const feeds: Tensor[] = [];
  const vs = inputs.map((x, i) => {
    if (x === null) return null;
    if (x instanceof Const) return g.constant(x.t);
    feeds.push(x);
    return g.input(`in${i}`, x.type, [...x.dims]);
  });
  const outs = g.opN(op, vs, attrs, nOut);
  outs.forEach((o, i) => g.output(o, `out${i}`));
  return interpret(g.build(), feeds);
}

export function runOp(op: string, inputs: (Tensor | Const | null)[], attrs: Record<string, AttrInput> = {}): Tensor {
  return runOpN(op, inputs, attrs, 1)[0]!;
}

/** Output type (dtype and shape) that infer gives, without running. */
export function inferOp(
  op: string,
  inputs: ({ dtype: DType; shape?: (number | string)[] } | Const | null)[],
  attrs: Record<string, AttrInput> = {},
) {
  const g = new GraphBuilder();
  const vs = inputs.map((x, i) => {
    if (x === null) return null;
    if (x instanceof Const) return g.constant(x.t);
    const v = g.input(`in${i}`, x.dtype, x.shape ?? []);
    if (!x.shape) v.type = { dtype: x.dtype };
    return v;
  });
  return g.opN(op, vs, attrs).map((v) => v.type!);
}

type OnnxAttr = number | number[] | string | { floats: number[] } | { float: number };

function attrProto(name: string, v: OnnxAttr) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === 'object' && 'floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  if (typeof v === 'object' && 'float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.INT, i: v };
}

/** Import a one-node ONNX model of `opType` at `opset` (inputs are graph inputs; '' skips one). */
export function importNode(
  opset: number,
  opType: string,
  inputs: (Tensor | null)[],
  attrs: Record<string, OnnxAttr> = {},
  nOut = 1,
): Graph {
  const vi = (name: string, x: Tensor) => ({
    name,
    type: { tensorType: { elemType: dtypeToOnnx(x.type), shape: { dim: x.dims.map((d) => ({ dimValue: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [
        {
          opType,
          input: inputs.map((x, i) => (x ? `x${i}` : '')),
          output: Array.from({ length: nOut }, (_, i) => `y${i}`),
          attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
        },
      ],
      input: inputs.flatMap((x, i) => (x ? [vi(`x${i}`, x)] : [])),
      output: Array.from({ length: nOut }, (_, i) => ({ name: `y${i}` })),
    },
  });
  return importOnnx(onnx.ModelProto.encode(model).finish(), { source: `${opType}-${opset}` });
}

export function runOnnxNode(
  opset: number,
  opType: string,
  inputs: (Tensor | null)[],
  attrs: Record<string, OnnxAttr> = {},
  nOut = 1,
): Tensor[] {
  const g = importNode(opset, opType, inputs, attrs, nOut);
  return interpret(
    g,
    inputs.filter((x): x is Tensor => !!x),
  );
}

/** Compare values (NaN equals NaN) with a relative tolerance, and the dims exactly. */
export function close(actual: Tensor, expected: number[], dims?: readonly number[], tol = 1e-6): void {
  if (dims) assert.deepEqual([...actual.dims], [...dims], 'dims');
  const a = actual.toNumbers();
  assert.equal(a.length, expected.length, `length of ${actual}`);
  a.forEach((v, i) => {
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(v), `element ${i}: ${v} should be NaN`);
      return;
    }
    if (!Number.isFinite(e)) {
      assert.equal(v, e, `element ${i}`);
      return;
    }
    assert.ok(Math.abs(v - e) <= tol * (1 + Math.abs(e)), `element ${i}: got ${v}, expected ${e} (${actual})`);
  });
}

/** Exact comparison of dtype, dims and values (bigint-aware). */
export function exact(actual: Tensor, dtype: DType, expected: (number | bigint)[], dims: readonly number[]): void {
  assert.equal(actual.type, dtype, 'dtype');
  assert.deepEqual([...actual.dims], [...dims], 'dims');
  const vals = Array.from(actual.data as ArrayLike<number | bigint>);
  const want = expected.map((v) => (typeof vals[0] === 'bigint' ? BigInt(v) : Number(v)));
  assert.deepEqual(
    vals.map((v) => (typeof v === 'bigint' ? v : Number(v))),
    want,
  );
}
