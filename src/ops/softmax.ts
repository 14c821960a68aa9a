// Softmax, LogSoftmax and Hardmax.
//
// Opset 13 changed their meaning: before, the input was coerced to 2-D at `axis` (default 1),
// [prod(dims[:axis]), prod(dims[axis:])], and the op ran over each row of that matrix; from 13 it
// runs along the single axis `axis` (default -1). The canonical form is the new one; the import
// hook marks older nodes with `coerce_2d = 1` and writes their axis explicitly.
//
// Softmax and LogSoftmax subtract the maximum first, so large inputs do not overflow.

import { isFloat } from '../ir/dtype.js';
import { Node } from '../ir/graph.js';
import { type LowerContext, type OpDef, type RunContext, registerOps } from '../ir/op-def.js';
import { normAxis } from '../ir/shape.js';
import { withLowering } from './kernel/lowering.js';
import { fromF64, type ReducePlan, reducePlan, toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

type Kind = 'Softmax' | 'LogSoftmax' | 'Hardmax';

/** Axis of the legacy 2-D coercion: negative counts from the back; `rank` itself is allowed. */
function coercedAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a > rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Groups along which the op runs: one axis, or the rows of the legacy 2-D coercion. */
function plan(dims: readonly number[], axisAttr: number, coerce: boolean): ReducePlan {
  const rank = dims.length;
  if (coerce) {
    // the 2-D view [prod(dims[:axis]), prod(dims[axis:])]: rows are contiguous
    const axis = coercedAxis(axisAttr, rank);
    let rows = 1,
      cols = 1;
    dims.forEach((d, i) => {
      if (i < axis) rows *= d;
      else cols *= d;
    });
    return {
      outer: Int32Array.from({ length: rows }, (_, r) => r * cols),
      inner: Int32Array.from({ length: cols }, (_, c) => c),
    };
  }
  if (rank === 0) throw new Error('input must have rank >= 1 (opset 13+ runs along one axis)');
  return reducePlan(dims, new Set([normAxis(axisAttr, rank)]));
}

function runKind(kind: Kind, { inputs: [xt], attrs }: RunContext) {
  const x = xt!;
  const { outer, inner } = plan(x.dims, attrs.int('axis', -1), attrs.int('coerce_2d', 0) !== 0);
  const xv = toF64(x);
  const y = new Float64Array(x.size);
  const n = inner.length;
  for (let o = 0; o < outer.length; o++) {
    const base = outer[o]!;
    if (kind === 'Hardmax') {
      // 1 at the first maximum (a NaN counts as the maximum, as numpy's argmax has it)
      let best = 0,
        bv = xv[base]!;
      for (let j = 1; j < n && bv === bv; j++) {
        const v = xv[base + inner[j]!]!;
        if (v !== v || v > bv) {
          best = j;
          bv = v;
        }
      }
      if (n > 0) y[base + inner[best]!] = 1;
      continue;
    }
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = xv[base + inner[j]!]!;
      if (v > m || v !== v) m = v;
      if (m !== m) break;
    }
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(xv[base + inner[j]!]! - m);
    if (kind === 'Softmax') {
      for (let j = 0; j < n; j++) y[base + inner[j]!] = Math.exp(xv[base + inner[j]!]! - m) / s;
    } else {
      const ls = Math.log(s);
      for (let j = 0; j < n; j++) y[base + inner[j]!] = xv[base + inner[j]!]! - m - ls;
    }
  }
  return [fromF64(x.type, x.dims, y)];
}

function softmaxOp(kind: Kind): OpDef {
  return {
    name: `nn.${kind}`,
    inputs: ['input'],
    outputs: ['output'],
    attrs: {
      axis: { kind: 'int', default: -1 },
      /** Legacy (opset < 13) semantics: run over rows of the input coerced to 2-D at `axis`. */
      coerce_2d: { kind: 'int', default: 0 },
    },
    infer(ctx) {
      const x = inType(ctx, 0, 'input');
      checkDType(x, FLOATS, 'input');
      if (x.shape) {
        const r = x.shape.length;
        const coerce = ctx.attrs.int('coerce_2d', 0) !== 0;
        if (!coerce && r === 0) throw new Error('input must have rank >= 1 (opset 13+ runs along one axis)');
        const axis = ctx.attrs.int('axis', -1);
        if (coerce) coercedAxis(axis, r);
        else normAxis(axis, r);
      }
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    run: (ctx) => runKind(kind, ctx),
    cost(ctx) {
      return { flops: numelOf(ctx.types[0]) * (kind === 'Hardmax' ? 1 : 5), bytes: bytesOf(ctx.types[0]) * 2 };
    },
    onnx: {
      type: kind,
      import(ctx) {
        if (ctx.opset >= 13) return;
        ctx.node.attrs.coerce_2d = { kind: 'int', value: 1 };
        if (!ctx.attrs.has('axis')) ctx.node.attrs.axis = { kind: 'int', value: 1 };
      },
    },
  };
}

/** Softmax and LogSoftmax over one (normalised) axis become k.softmax; Hardmax stays nn. */
function lowerSoftmax({ node, attrs }: LowerContext): Node | undefined {
  const x = node.inputs[0]?.type;
  if (!x?.shape || !isFloat(x.dtype) || Object.keys(node.attrs).some((k) => k !== 'axis')) return undefined;
  const axis = normAxis(attrs.int('axis', -1), x.shape.length);
  const log = node.op === 'nn.LogSoftmax' ? 1 : 0;
  return new Node(
    'k.softmax',
    [node.inputs[0]!],
    [node.outputs[0]!],
    { axis: { kind: 'int', value: axis }, log: { kind: 'int', value: log } },
    node.name,
  );
}

const LOWER = {
  'nn.Softmax': { lower: lowerSoftmax, lowersTo: ['k.softmax'] },
  'nn.LogSoftmax': { lower: lowerSoftmax, lowersTo: ['k.softmax'] },
};

registerOps(withLowering([softmaxOp('Softmax'), softmaxOp('LogSoftmax'), softmaxOp('Hardmax')], LOWER));
