// Attention family on WASM: nn.Attention in one fused kernel (wasm/attention.ts).

import type { Value } from '../../../ir/graph.js';
import { stridesOf } from '../../../ir/shape.js';
import { type OpPlanner, run, type Step, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';
import { stridedStep } from './lib/copy.js';

/** nn.Attention (opset 23/24) in one fused kernel; the KV cache concatenation by strided copies. */
export const attention: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [q, k, v, mask, pk, pv, nonpad] = n.inputs;
  if (nonpad || n.outputs[3]) return 'cpu';
  if (![q, k, v, pk, pv, n.outputs[0], n.outputs[1], n.outputs[2]].every((x) => F32(ctx, x))) return 'cpu';
  if (mask && ctx.dtype(mask) !== 'bool' && ctx.dtype(mask) !== 'float32') return 'cpu';
  const at = attrsOf(ctx);
  const qd = ctx.dims(q!),
    kd = ctx.dims(k!),
    vd = ctx.dims(v!);
  const rank = qd.length;
  let B: number, Hq: number, Hkv: number, Sq: number, S: number, D: number, Dv: number;
  if (rank === 4) {
    [B, Hq, Sq, D] = qd as [number, number, number, number];
    Hkv = kd[1]!;
    S = kd[2]!;
    Dv = vd[3]!;
  } else {
    if (!at.has('q_num_heads') || !at.has('kv_num_heads')) return 'cpu';
    Hq = at.int('q_num_heads');
    Hkv = at.int('kv_num_heads');
    [B, Sq] = qd as [number, number];
    S = kd[1]!;
    D = qd[2]! / Hq;
    Dv = vd[2]! / Hkv;
  }
  const P = pk ? ctx.dims(pk)[2]! : 0;
  const T = P + S;
  if (B * Hq * Sq === 0 || T === 0) return 'cpu';
  // element strides (b, h, s) of each operand
  const st4 = (H: number, L: number, Dh: number) => (rank === 4 ? [H * L * Dh, L * Dh, Dh] : [L * H * Dh, Dh, H * Dh]);
  const steps: Step[] = [];
  const sq = ctx.slot(q!),
    so = ctx.slot(n.outputs[0]!);
  // K and V as read by the kernel: the inputs themselves, or [B, Hkv, T, *] buffers with the past first
  const kvSource = (
    cur: Value,
    past: Value | null | undefined,
    present: Value | null | undefined,
    Dh: number,
  ): { slot: number; st: number[] } => {
    if (!past && !present) return { slot: ctx.slot(cur), st: st4(Hkv, S, Dh) };
    const dst = present ? ctx.slot(present) : ctx.slot(ctx.temp([B, Hkv, T, Dh]));
    const pst = [Hkv * T * Dh, T * Dh, Dh, 1];
    if (past) {
      const sp = ctx.slot(past);
      steps.push(
        stridedStep(
          ctx,
          [B, Hkv, P, Dh],
          stridesOf([B, Hkv, P, Dh]),
          pst,
          4,
          (Pp) => Pp[sp]!,
          (Pp) => Pp[dst]!,
        ),
      );
    }
    const sc = ctx.slot(cur);
    const cs = st4(Hkv, S, Dh);
    steps.push(
      stridedStep(
        ctx,
        [B, Hkv, S, Dh],
        [...cs, 1],
        pst,
        4,
        (Pp) => Pp[sc]!,
        (Pp) => Pp[dst]! + P * Dh * 4,
      ),
    );
    return { slot: dst, st: [Hkv * T * Dh, T * Dh, Dh] };
  };
  const K = kvSource(k!, pk, n.outputs[1], D),
    V = kvSource(v!, pv, n.outputs[2], Dv);
  let mkind = 0,
    mst = [0, 0, 0, 0],
    mlast = T,
    ms = -1;
  if (mask) {
    const md = ctx.dims(mask);
    if (md.length > 4) return 'cpu';
    const m4 = [...new Array(4 - md.length).fill(1), ...md];
    const s4 = stridesOf(m4);
    mst = m4.map((d, i) => (d === 1 ? 0 : s4[i]!));
    mlast = m4[3]!;
    if (mlast === 1 && T !== 1) mst[3] = 0;
    mkind = ctx.dtype(mask) === 'bool' ? 1 : 2;
    ms = ctx.slot(mask);
  }
  const scale = at.has('scale') ? at.float('scale') : 1 / Math.sqrt(D);
  const ints = [
    B,
    Hq,
    Hkv,
    Sq,
    T,
    D,
    Dv,
    P,
    at.int('is_causal', 0),
    ...st4(Hq, Sq, D),
    ...K.st,
    ...V.st,
    ...st4(Hq, Sq, Dv),
    mkind,
    ...mst,
    mlast,
    at.int('pad_short_mask', 1),
    0,
    0,
  ];
  const arr = new Int32Array(ints);
  new Float32Array(arr.buffer, 28 * 4, 2).set([scale, at.float('softcap', 0)]);
  const desc = ctx.resident(arr);
  // two rows of T floats per thread (biases, logits), up to 64 threads
  const scratch = ctx.scratch(T * 8 * 64);
  const fn = ctx.fn('attention', 'attention');
  steps.push(
    run(ctx, fn, B * Hq * Sq * T * (D + Dv) * 2, (Pp) => [
      desc,
      Pp[sq]!,
      Pp[K.slot]!,
      Pp[V.slot]!,
      ms < 0 ? 0 : Pp[ms]!,
      Pp[so]!,
      Pp[scratch]!,
      T * 8,
    ]),
  );
  return async (Pp) => {
    for (const s of steps) await s(Pp);
  };
};

export const KERNELS: WasmFamily = { planners: { 'nn.Attention': attention } };
