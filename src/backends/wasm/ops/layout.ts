// Data-movement planners: views, transpose, expand, concat, split, slice, tile, gather, pad, trilu, TopK, rotary.

import { dtypeBytes } from '../../../ir/dtype.js';
import type { Value } from '../../../ir/graph.js';
import { normAxis, numel, stridesOf } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { sliceAxis } from '../../../ops/slice.js';
import { type OpPlanner, type PlanCtx, run, type Step } from '../plan.js';
import { attrsOf, F32 } from './common.js';
import { transposeStep } from './transpose-step.js';

/** Pad, constant mode (4-byte elements): fill with the value, then copy the kept part of the input into place (negative pads crop). */
export const pad: OpPlanner = (ctx) => {
  const [x, pv, cv, axv] = ctx.node.inputs;
  if (attrsOf(ctx).string('mode', 'constant') !== 'constant' || esizeOf(ctx, x!) !== 4) return 'cpu';
  const pc = ctx.constOf(pv),
    ac = axv ? ctx.constOf(axv) : undefined;
  if (!pc || (axv && !ac) || (cv && !ctx.constOf(cv))) return 'cpu';
  const d = ctx.dims(x!),
    od = ctx.dims(ctx.node.outputs[0]!);
  const pads = toIntArray(pc);
  const axes = ac ? toIntArray(ac).map((a) => normAxis(a, d.length)) : d.map((_, i) => i);
  const begin = d.map(() => 0);
  axes.forEach((a, i) => {
    begin[a] = pads[i]!;
  });
  const c = cv ? ctx.constOf(cv)! : undefined;
  const bits = new Int32Array(1);
  if (c && c.size) new Uint8Array(bits.buffer).set(c.bytes().subarray(0, 4));
  const value = new Float32Array(bits.buffer)[0]!;
  // fill32 takes an f32: other 4-byte types only when the value is all zero bits (NaN payloads would not survive)
  if (ctx.dtype(x!) !== 'float32' && bits[0] !== 0) return 'cpu';
  // the copied region: input index range [max(0,-b), d - max(0,-e)) lands at max(0,b)
  const copyDims = d.map((n, i) => Math.max(0, Math.min(n - Math.max(0, -begin[i]!), od[i]! - Math.max(0, begin[i]!))));
  const ist = stridesOf(d),
    ost = stridesOf(od);
  const srcOff = begin.reduce((a, b, i) => a + Math.max(0, -b) * ist[i]!, 0) * 4;
  const dstOff = begin.reduce((a, b, i) => a + Math.max(0, b) * ost[i]!, 0) * 4;
  const xs = ctx.slot(x!),
    o = ctx.slot(ctx.node.outputs[0]!);
  const n = numel(od);
  if (n === 0) return () => {};
  const fillStep = run(ctx, ctx.fn('elementwise', 'fill32'), n, (P) => [P[o]!, n, value]);
  const copy = stridedStep(
    ctx,
    copyDims,
    ist,
    ost,
    4,
    (P) => P[xs]! + srcOff,
    (P) => P[o]! + dstOff,
  );
  return async (P) => {
    await fillStep(P);
    await copy(P);
  };
};

export const trilu: OpPlanner = (ctx) => {
  const [x, kv] = ctx.node.inputs;
  const d = ctx.dims(x!);
  const rows = d[d.length - 2]!,
    cols = d[d.length - 1]!;
  if (numel(d) === 0) return () => {};
  const kc = kv ? ctx.constOf(kv) : undefined;
  const ks = kv && !kc ? ctx.slot(kv) : -1;
  if (kv && !kc && (ctx.dtype(kv) !== 'int64' || numel(ctx.dims(kv)) !== 1)) return 'cpu';
  const mem = ctx.memory;
  const clampK = (k: number) => Math.max(-(rows + cols), Math.min(rows + cols, k));
  const kConst = kc ? clampK(Number(kc.data[0])) : 0;
  const kOf = (P: Float64Array) => (ks < 0 ? kConst : clampK(Number(new BigInt64Array(mem.buffer, P[ks]!, 1)[0])));
  const xs = ctx.slot(x!),
    o = ctx.slot(ctx.node.outputs[0]!);
  const upper = attrsOf(ctx).int('upper', 1) ? 1 : 0;
  return run(ctx, ctx.fn('layout', 'trilu'), numel(d), (P) => [
    numel(d) / (rows * cols),
    rows,
    cols,
    kOf(P),
    upper,
    P[xs]!,
    P[o]!,
    esizeOf(ctx, x!),
  ]);
};

export const view: OpPlanner = (ctx) => {
  const n = ctx.node;
  // a mask, or a training_mode not known to be false (random dropout), takes the reference path
  const training = n.op === 'nn.Dropout' ? n.inputs[2] : null;
  const mayTrain = !!training && !(training.const && !training.const.data[0]);
  if (n.op === 'nn.Dropout' && (n.outputs[1] || mayTrain)) return 'cpu';
  if (n.op === 'nn.Cast' && ctx.dtype(n.inputs[0]!) !== ctx.dtype(n.outputs[0]!)) return castStep(ctx);
  ctx.alias(n.outputs[0]!, n.inputs[0]!);
  return 'view';
};

const CAST_KIND: Partial<Record<string, number>> = { float32: 0, int32: 1, uint8: 2, int8: 3, bool: 4, int64: 5 };

/** Cast between two different element types: float16 <-> float32 exactly, or the numeric kinds of castNumeric. */
function castStep(ctx: PlanCtx): Step | 'cpu' {
  const x = ctx.node.inputs[0]!,
    y = ctx.node.outputs[0]!;
  const from = ctx.dtype(x),
    to = ctx.dtype(y);
  const n = numel(ctx.dims(y)),
    sx = ctx.slot(x),
    sy = ctx.slot(y);
  if (n === 0) return () => {};
  if (from === 'float16' && to === 'float32')
    return run(ctx, ctx.fn('elementwise', 'f16ToF32'), n, (P) => [n, P[sx]!, P[sy]!]);
  if (from === 'float32' && to === 'float16')
    return run(ctx, ctx.fn('elementwise', 'f32ToF16'), n, (P) => [n, P[sx]!, P[sy]!]);
  const a = CAST_KIND[from],
    b = CAST_KIND[to];
  if (a === undefined || b === undefined) return 'cpu';
  return run(ctx, ctx.fn('elementwise', 'castNumeric'), n, (P) => [n, P[sx]!, a, P[sy]!, b]);
}

/** Strided copy with explicit source and destination strides (elements); src/dst offsets in elements. */
export function stridedStep(
  ctx: PlanCtx,
  dims: number[],
  sst: number[],
  dst: number[],
  esize: number,
  src: (P: Float64Array) => number,
  dstp: (P: Float64Array) => number,
): Step {
  if (numel(dims) === 0) return () => {};
  const d = dims.length ? dims : [1];
  const desc = ctx.resident(Int32Array.from([...d, ...(dims.length ? sst : [1]), ...(dims.length ? dst : [1])]));
  const fn = ctx.fn('layout', 'copyStrided');
  return run(ctx, fn, numel(dims), (P) => [d.length, desc, src(P), dstp(P), esize]);
}

export const esizeOf = (ctx: PlanCtx, v: Value) => dtypeBytes(ctx.dtype(v));

export const transpose: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!;
  const dims = ctx.dims(x);
  const at = attrsOf(ctx);
  const perm = at.has('perm')
    ? at.ints('perm').map((p) => normAxis(p, dims.length))
    : dims.map((_, i) => dims.length - 1 - i);
  const xs = ctx.slot(x),
    o = ctx.slot(ctx.node.outputs[0]!);
  if (numel(dims) === 0) return () => {};
  return transposeStep(
    ctx,
    dims,
    perm,
    esizeOf(ctx, x),
    (P) => P[xs]!,
    (P) => P[o]!,
  );
};

export const expand: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!,
    out = ctx.node.outputs[0]!;
  const od = ctx.dims(out),
    id = ctx.dims(x);
  const ist = stridesOf(id);
  const sst = od.map((_d, k) => {
    const j = k - (od.length - id.length);
    return j < 0 || id[j] === 1 ? 0 : ist[j]!;
  });
  const xs = ctx.slot(x),
    o = ctx.slot(out);
  return stridedStep(
    ctx,
    od,
    sst,
    stridesOf(od),
    esizeOf(ctx, x),
    (P) => P[xs]!,
    (P) => P[o]!,
  );
};

export const concat: OpPlanner = (ctx) => {
  const out = ctx.node.outputs[0]!;
  const od = ctx.dims(out);
  const axis = normAxis(attrsOf(ctx).int('axis'), od.length);
  const ost = stridesOf(od);
  const es = esizeOf(ctx, out);
  const o = ctx.slot(out);
  const steps: Step[] = [];
  let off = 0;
  for (const v of ctx.node.inputs) {
    if (!v) continue;
    const d = ctx.dims(v);
    const s = ctx.slot(v);
    const at = off * ost[axis]! * es;
    steps.push(
      stridedStep(
        ctx,
        d,
        stridesOf(d),
        ost,
        es,
        (P) => P[s]!,
        (P) => P[o]! + at,
      ),
    );
    off += d[axis]!;
  }
  return async (P) => {
    for (const s of steps) await s(P);
  };
};

export const split: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!;
  const xd = ctx.dims(x);
  const axis = normAxis(attrsOf(ctx).int('axis', 0), xd.length);
  const xst = stridesOf(xd);
  const es = esizeOf(ctx, x);
  const xs = ctx.slot(x);
  const steps: Step[] = [];
  let off = 0;
  for (const v of ctx.node.outputs) {
    if (!v) continue;
    const d = ctx.dims(v);
    const s = ctx.slot(v);
    const at = off * xst[axis]! * es;
    steps.push(
      stridedStep(
        ctx,
        d,
        xst,
        stridesOf(d),
        es,
        (P) => P[xs]! + at,
        (P) => P[s]!,
      ),
    );
    off += d[axis]!;
  }
  return async (P) => {
    for (const s of steps) await s(P);
  };
};

export const slice: OpPlanner = (ctx) => {
  const [x, s, e, a, st] = ctx.node.inputs;
  const cs = [s, e, a, st].map((v) => (v ? ctx.constOf(v) : undefined));
  if (!cs[0] || !cs[1] || (a && !cs[2]) || (st && !cs[3])) return 'cpu';
  const dims = ctx.dims(x!);
  const starts = toIntArray(cs[0]),
    ends = toIntArray(cs[1]);
  const axes = cs[2] ? toIntArray(cs[2]).map((q) => normAxis(q, dims.length)) : starts.map((_, i) => i);
  const steps = cs[3] ? toIntArray(cs[3]) : starts.map(() => 1);
  const begin = dims.map(() => 0),
    step = dims.map(() => 1),
    od = [...dims];
  axes.forEach((ax, i) => {
    const r = sliceAxis(dims[ax]!, starts[i]!, ends[i]!, steps[i]!);
    begin[ax] = r.start;
    step[ax] = steps[i]!;
    od[ax] = r.count;
  });
  const ist = stridesOf(dims);
  const es = esizeOf(ctx, x!);
  const off = begin.reduce((acc, b, i) => acc + b * ist[i]!, 0) * es;
  const xs = ctx.slot(x!),
    o = ctx.slot(ctx.node.outputs[0]!);
  return stridedStep(
    ctx,
    od,
    ist.map((q, i) => q * step[i]!),
    stridesOf(od),
    es,
    (P) => P[xs]! + off,
    (P) => P[o]!,
  );
};

export const tile: OpPlanner = (ctx) => {
  const [x, r] = ctx.node.inputs;
  const rc = ctx.constOf(r);
  if (!rc) return 'cpu';
  const reps = toIntArray(rc);
  const d = ctx.dims(x!),
    od = ctx.dims(ctx.node.outputs[0]!);
  const ist = stridesOf(d),
    ost = stridesOf(od);
  const dims2: number[] = [],
    sst: number[] = [],
    dst: number[] = [];
  d.forEach((n, i) => {
    dims2.push(reps[i]!, n);
    sst.push(0, ist[i]!);
    dst.push(n * ost[i]!, ost[i]!);
  });
  const xs = ctx.slot(x!),
    o = ctx.slot(ctx.node.outputs[0]!);
  return stridedStep(
    ctx,
    dims2,
    sst,
    dst,
    esizeOf(ctx, x!),
    (P) => P[xs]!,
    (P) => P[o]!,
  );
};

export const gather: OpPlanner = (ctx) => {
  const [x, idx] = ctx.node.inputs as Value[];
  const it = ctx.dtype(idx!);
  if (it !== 'int64' && it !== 'int32') return 'cpu';
  const d = ctx.dims(x!);
  const axis = normAxis(attrsOf(ctx).int('axis', 0), d.length);
  const outer = numel(d.slice(0, axis)),
    len = d[axis]!,
    inner = numel(d.slice(axis + 1));
  const n = numel(ctx.dims(idx!));
  const es = esizeOf(ctx, x!);
  const xs = ctx.slot(x!),
    is = ctx.slot(idx!),
    o = ctx.slot(ctx.node.outputs[0]!);
  const fn = ctx.fn('layout', 'gather');
  const node = ctx.node;
  if (outer * n * inner === 0) return () => {};
  return (P) => {
    const bad = ctx.pool.call(fn, [outer, len, inner, P[xs]!, P[is]!, n, it === 'int64' ? 1 : 0, P[o]!, es]);
    if (bad) throw new Error(`${node.describe()}: index #${bad - 1} is out of range for axis ${axis} of size ${len}`);
  };
};

export const topk: OpPlanner = (ctx) => {
  const [x, kv] = ctx.node.inputs as Value[];
  if (!F32(ctx, x)) return 'cpu';
  const kc = ctx.constOf(kv);
  if (!kc) return 'cpu';
  const k = Number(kc.data[0]);
  const d = ctx.dims(x!);
  const at = attrsOf(ctx);
  const axis = normAxis(at.int('axis', -1), d.length);
  if (axis !== d.length - 1 || k > 256 || k < 1) return 'cpu';
  const n = d[axis]!,
    rows = numel(d) / n;
  const xs = ctx.slot(x!),
    vs = ctx.slot(ctx.node.outputs[0]!),
    is = ctx.slot(ctx.node.outputs[1]!);
  const largest = at.int('largest', 1);
  return run(ctx, ctx.fn('topk', 'topk'), rows * n * (rows > 1 ? 1 : 0), (P) => [
    rows,
    n,
    k,
    largest,
    P[xs]!,
    P[vs]!,
    P[is]!,
  ]);
};

/**
 * DepthToSpace / SpaceToDepth: one strided copy. The output, seen as 6-D, is a transpose of the
 * input seen as 6-D (ONNX defines both ops that way): walk the output's dims in order and read the
 * input through the matching strides.
 */
export const depthSpace: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!,
    out = ctx.node.outputs[0]!;
  const [N, C, H, W] = ctx.dims(x) as [number, number, number, number];
  const at = attrsOf(ctx);
  const b = at.int('blocksize');
  let dims: number[], src: number[];
  if (ctx.node.op === 'nn.DepthToSpace') {
    const Co = C / (b * b);
    // output [N, Co, H, b1, W, b2]; input [N, b1, b2, Co, H, W] (DCR) or [N, Co, b1, b2, H, W] (CRD)
    const crd = at.string('mode', 'DCR') === 'CRD';
    const [sN, sC, sB1, sB2] = crd
      ? [C * H * W, b * b * H * W, b * H * W, H * W]
      : [C * H * W, H * W, b * Co * H * W, Co * H * W];
    dims = [N, Co, H, b, W, b];
    src = [sN, sC, W, sB1, 1, sB2];
  } else {
    const Ho = H / b,
      Wo = W / b;
    // output [N, bh, bw, C, Ho, Wo]; input [N, C, Ho, bh, Wo, bw]
    dims = [N, b, b, C, Ho, Wo];
    src = [C * H * W, W, 1, H * W, b * W, b];
  }
  const xs = ctx.slot(x),
    o = ctx.slot(out);
  return stridedStep(
    ctx,
    dims,
    src,
    stridesOf(dims),
    esizeOf(ctx, x),
    (P) => P[xs]!,
    (P) => P[o]!,
  );
};
