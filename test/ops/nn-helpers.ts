// Test helpers for the nn op families: run one node through the reference interpreter (built
// with GraphBuilder, or imported from a one-node ONNX model to exercise the import hooks), and
// compare tensors with a tolerance.

import assert from 'node:assert/strict';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { type AttrInput, GraphBuilder } from '../../src/ir/builder.js';
import { type DType, dtypeToOnnx } from '../../src/ir/dtype.js';
import type { Graph, TensorType } from '../../src/ir/graph.js';
import type { Dim } from '../../src/ir/shape.js';
import { Tensor } from '../../src/ir/tensor.js';

/** Deterministic pseudo-random values in [-1, 1). */
export function rand(n: number, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function randT(dims: number[], seed = 1, dtype: DType = 'float32'): Tensor {
  return Tensor.from(dtype, rand(numel(dims), seed), dims);
}

/**
 * Run one op: inputs are graph inputs (tensors) or constants ({ c: tensor }), null for an
 * omitted optional input. Returns every output.
 */
export function runOp(
  op: string,
  inputs: (Tensor | { c: Tensor } | null)[],
  attrs: Record<string, AttrInput> = {},
  nOutputs = 1,
): Tensor[] {
  const g = new GraphBuilder();
  const feeds: Tensor[] = [];
  const vals = inputs.map((t, i) => {
    if (t === null) return null;
    if ('c' in t) return g.constant(t.c, `c${i}`);
    feeds.push(t);
    return g.input(`in${i}`, t.type, [...t.dims]);
  });
  const outs = g.opN(op, vals, attrs, nOutputs);
  outs.forEach((o, i) => g.output(o, `out${i}`));
  return interpret(g.build(), feeds);
}

/** Output types from shape inference for inputs of the given types (constants where given). */
export function inferOp(
  op: string,
  inputs: (TensorType | { c: Tensor } | null)[],
  attrs: Record<string, AttrInput> = {},
  nOutputs = 1,
): TensorType[] {
  const g = new GraphBuilder();
  const vals = inputs.map((t, i) => {
    if (t === null) return null;
    if ('c' in t) return g.constant(t.c, `c${i}`);
    const v = g.input(`in${i}`, t.dtype, (t.shape ?? []) as Dim[]);
    if (!t.shape) v.type = { dtype: t.dtype }; // unknown rank
    return v;
  });
  return g.opN(op, vals, attrs, nOutputs).map((v) => v.type!);
}

type OnnxAttr = number | string | number[] | { f: number } | { floats: number[] };

/** A one-node ONNX model at `opset`; inputs with `init` become initializers (constants). */
export function onnxModel(
  opType: string,
  opset: number,
  inputs: ({ name: string; t: Tensor; init?: boolean } | null)[],
  outputs: string[],
  attrs: Record<string, OnnxAttr> = {},
): Uint8Array {
  const A = onnx.AttributeProto.AttributeType;
  const attr = (name: string, v: OnnxAttr) => {
    if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
    if (typeof v === 'number') return { name, type: A.INT, i: v };
    if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
    if ('f' in v) return { name, type: A.FLOAT, f: v.f };
    return { name, type: A.FLOATS, floats: v.floats };
  };
  const present = inputs.filter((i): i is { name: string; t: Tensor; init?: boolean } => i !== null);
  const graph = {
    name: 'g',
    node: [
      {
        opType,
        input: inputs.map((i) => i?.name ?? ''),
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
      },
    ],
    input: present
      .filter((i) => !i.init)
      .map((i) => ({
        name: i.name,
        type: {
          tensorType: { elemType: dtypeToOnnx(i.t.type), shape: { dim: i.t.dims.map((d) => ({ dimValue: d })) } },
        },
      })),
    initializer: present
      .filter((i) => i.init)
      .map((i) => ({
        name: i.name,
        dims: [...i.t.dims],
        dataType: dtypeToOnnx(i.t.type),
        rawData: i.t.bytes().slice(),
      })),
    output: outputs.filter((o) => o).map((o) => ({ name: o })),
  };
  const m = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph });
  return onnx.ModelProto.encode(m).finish();
}

/** Import a one-node model and run it on the non-initializer inputs. */
export function runOnnx(bytes: Uint8Array, feeds: Tensor[]): { graph: Graph; outputs: Tensor[] } {
  const graph = importOnnx(bytes, { source: 'test' });
  return { graph, outputs: interpret(graph, feeds) };
}

export function assertClose(
  actual: Tensor,
  expected: { dims: readonly number[]; values: readonly number[] } | Tensor,
  tol = 1e-5,
  what = '',
): void {
  const ev = expected instanceof Tensor ? expected.toNumbers() : expected.values;
  assert.deepEqual([...actual.dims], [...expected.dims], `${what} dims`);
  const av = actual.toNumbers();
  assert.equal(av.length, ev.length, `${what} element count`);
  for (let i = 0; i < av.length; i++) {
    const a = av[i],
      e = ev[i];
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: expected ${e}, got ${a}`);
  }
}

/** Row-major strides. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Every multi-index of `dims`, row-major. */
export function* indices(dims: readonly number[]): Generator<number[]> {
  const n = numel(dims);
  const idx = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < n; k++) {
    yield [...idx];
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
}
