// Pad on WASM: constant mode as a fill and a strided copy; reflect, edge and wrap through per-axis
// index maps (wasm/pad.ts).

import { normAxis, numel, stridesOf } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { mapIndex } from '../../../ops/pad.js';
import { type OpPlanner, type PlanCtx, run, type Step, type WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';
import { esizeOf, stridedStep } from './lib/copy.js';

/**
 * Pad, constant mode (4-byte elements): fill with the value, then copy the kept part of the input into place (negative
 * pads crop).
 */
export const pad: OpPlanner = (ctx) => {
  const [x, pv, cv, axv] = ctx.node.inputs;
  const mode = attrsOf(ctx).string('mode', 'constant');
  if (esizeOf(ctx, x!) !== 4) return 'cpu';
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
  if (mode !== 'constant') return mapped(ctx, mode, d, od, begin);
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

/** Reflect / edge / wrap: per-axis maps from output coordinate to input offset, one gather kernel. */
function mapped(ctx: PlanCtx, mode: string, d: number[], od: number[], begin: number[]): Step | 'cpu' {
  const n = numel(od);
  if (n === 0) return () => {};
  // an empty input axis has nothing to reflect, repeat or wrap
  if (d.length === 0 || d.some((s) => s === 0)) return 'cpu';
  const rank = d.length,
    ist = stridesOf(d);
  const starts: number[] = [];
  const maps: number[] = [];
  od.forEach((size, a) => {
    starts.push(maps.length);
    for (let o = 0; o < size; o++) maps.push(mapIndex(mode, o - begin[a]!, d[a]!) * ist[a]!);
  });
  const desc = ctx.resident(Int32Array.from([...od, ...starts, ...maps]));
  const xs = ctx.slot(ctx.node.inputs[0]!),
    o = ctx.slot(ctx.node.outputs[0]!);
  return run(ctx, ctx.fn('pad', 'pad_map32'), n, (P) => [rank, desc, P[xs]!, P[o]!]);
}

export const KERNELS: WasmFamily = { planners: { 'nn.Pad': pad }, anyDtype: ['nn.Pad'] };
