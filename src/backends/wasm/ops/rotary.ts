// Rotary family on WASM: RotaryEmbedding (wasm/rotary.ts).

import type { OpPlanner, WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';

/** RotaryEmbedding (opset 23), float32, 3-D or 4-D input, caches indexed by position_ids or by token. */
export const rotary: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [x, cos, sin, pos] = n.inputs;
  if (![x, cos, sin, n.outputs[0]].every((v) => F32(ctx, v)) || (pos && ctx.dtype(pos) !== 'int64')) return 'cpu';
  const at = attrsOf(ctx);
  const d = ctx.dims(x!);
  let B: number, H: number, S: number, D: number;
  if (d.length === 4) [B, H, S, D] = d as [number, number, number, number];
  else {
    if (!at.has('num_heads')) return 'cpu';
    H = at.int('num_heads');
    [B, S] = d as [number, number];
    D = d[2]! / H;
  }
  const rot = at.int('rotary_embedding_dim', 0) || D;
  const st = d.length === 4 ? [H * S * D, S * D, D] : [S * H * D, D, H * D];
  const cd = ctx.dims(cos!);
  let pb = 0,
    ps = 0,
    maxPos = 0,
    cb = 0,
    cs = 0;
  if (pos) {
    const pd = ctx.dims(pos);
    pb = pd[0] === 1 ? 0 : pd[1]!;
    ps = pd[1] === 1 ? 0 : 1;
    maxPos = cd[0]!;
  } else {
    cb = cd[0] === 1 ? 0 : cd[1]!;
    cs = cd[1] === 1 ? 0 : 1;
  }
  if (B * H * S === 0) return () => {};
  const sx = ctx.slot(x!),
    sc = ctx.slot(cos!),
    ssn = ctx.slot(sin!),
    sp = pos ? ctx.slot(pos) : -1,
    o = ctx.slot(n.outputs[0]!);
  const fn = ctx.fn('rotary', 'rope');
  const node = n;
  return (P) => {
    const bad = ctx.pool.call(fn, [
      B,
      H,
      S,
      D,
      rot,
      at.int('interleaved', 0),
      st[0]!,
      st[1]!,
      st[2]!,
      P[sx]!,
      P[o]!,
      P[sc]!,
      P[ssn]!,
      sp < 0 ? 0 : P[sp]!,
      pb,
      ps,
      maxPos,
      cb,
      cs,
    ]);
    if (bad)
      throw new Error(
        `${node.describe()}: position_ids for token ${bad - 1} is out of range for caches with ${maxPos} positions`,
      );
  };
};

export const KERNELS: WasmFamily = { ownDtypes: ['nn.RotaryEmbedding'], planners: { 'nn.RotaryEmbedding': rotary } };
