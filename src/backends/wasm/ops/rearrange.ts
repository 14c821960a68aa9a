// DepthToSpace / SpaceToDepth on WASM as one strided copy.

import { stridesOf } from '../../../ir/shape.js';
import type { OpPlanner, WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';
import { esizeOf, stridedStep } from './lib/copy.js';

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

export const KERNELS: WasmFamily = {
  planners: { 'nn.DepthToSpace': depthSpace, 'nn.SpaceToDepth': depthSpace },
  anyDtype: ['nn.DepthToSpace', 'nn.SpaceToDepth'],
};
