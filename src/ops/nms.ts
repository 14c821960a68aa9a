// NonMaxSuppression: greedy per-batch, per-class box selection by score, dropping boxes that
// overlap an already selected one by more than iou_threshold.
//
// boxes [B, N, 4] as corners [y1, x1, y2, x2] (either diagonal; center_point_box = 0) or
// [x_center, y_center, width, height] (center_point_box = 1); scores [B, C, N]. Candidates
// scoring above score_threshold are visited by descending score (ties by lower box index); at
// most max_output_boxes_per_class (default 0: none) are kept per class. Output: int64
// [selected, 3] rows of (batch, class, box), in batch, class, then selection order. The number of
// rows depends on the data, so the output shape is symbolic until run.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType } from './util.js';

interface Box {
  y1: number;
  x1: number;
  y2: number;
  x2: number;
}

function boxAt(b: Float64Array, i: number, center: boolean): Box {
  const [a, c, d, e] = [b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!];
  if (center) return { x1: a - d / 2, x2: a + d / 2, y1: c - e / 2, y2: c + e / 2 };
  return { y1: Math.min(a, d), y2: Math.max(a, d), x1: Math.min(c, e), x2: Math.max(c, e) };
}

function iou(p: Box, q: Box): number {
  const ih = Math.min(p.y2, q.y2) - Math.max(p.y1, q.y1);
  const iw = Math.min(p.x2, q.x2) - Math.max(p.x1, q.x1);
  if (ih <= 0 || iw <= 0) return 0;
  const inter = ih * iw;
  const union = (p.y2 - p.y1) * (p.x2 - p.x1) + (q.y2 - q.y1) * (q.x2 - q.x1) - inter;
  return union > 0 ? inter / union : 0;
}

const scalarOr = (t: Tensor | undefined, def: number) => (t && t.size ? Number(toF64(t)[0]) : def);

const nms: OpDef = {
  name: 'nn.NonMaxSuppression',
  inputs: ['boxes', 'scores', 'max_output_boxes_per_class?', 'iou_threshold?', 'score_threshold?'],
  outputs: ['selected_indices'],
  attrs: { center_point_box: { kind: 'int', default: 0 } },
  infer(ctx) {
    const b = inType(ctx, 0, 'boxes'),
      s = inType(ctx, 1, 'scores');
    checkDType(b, FLOATS, 'boxes');
    if (s.dtype !== b.dtype) throw new Error(`scores ${formatType(s)} must have the type of boxes ${formatType(b)}`);
    if (b.shape && (b.shape.length !== 3 || (typeof b.shape[2] === 'number' && b.shape[2] !== 4))) {
      throw new Error(`boxes ${formatType(b)} must be [batch, boxes, 4]`);
    }
    if (s.shape && s.shape.length !== 3) throw new Error(`scores ${formatType(s)} must be [batch, classes, boxes]`);
    const m = ctx.types[2];
    if (m) checkDType(m, ['int64'], 'max_output_boxes_per_class');
    return [{ dtype: 'int64', shape: [freshDim('selected'), 3] }];
  },
  run({ inputs: [bt, st, mt, it, tt], attrs }) {
    const [B, N] = bt!.dims as [number, number];
    const [sB, C, sN] = st!.dims as [number, number, number];
    if (bt!.dims[2] !== 4 || sB !== B || sN !== N) {
      throw new Error(`boxes [${bt!.dims}] and scores [${st!.dims}] must be [B, N, 4] and [B, C, N]`);
    }
    const maxOut = scalarOr(mt, 0);
    const iouMax = scalarOr(it, 0);
    const scoreMin = tt && tt.size ? scalarOr(tt, 0) : -Infinity;
    const center = attrs.int('center_point_box', 0) !== 0;
    const boxes = toF64(bt!),
      scores = toF64(st!);
    const rows: bigint[] = [];
    for (let b = 0; b < B; b++) {
      const bx = Array.from({ length: N }, (_, i) => boxAt(boxes, (b * N + i) * 4, center));
      for (let c = 0; c < C; c++) {
        const sc = scores.subarray((b * C + c) * N, (b * C + c + 1) * N);
        const order = Array.from({ length: N }, (_, i) => i)
          .filter((i) => sc[i]! > scoreMin)
          .sort((i, j) => sc[j]! - sc[i]! || i - j);
        const kept: number[] = [];
        for (const i of order) {
          if (kept.length >= maxOut) break;
          if (kept.every((k) => iou(bx[k]!, bx[i]!) <= iouMax)) kept.push(i);
        }
        for (const k of kept) rows.push(BigInt(b), BigInt(c), BigInt(k));
      }
    }
    return [new Tensor('int64', BigInt64Array.from(rows), [rows.length / 3, 3])];
  },
  cost(ctx) {
    const n = Number(ctx.types[0]?.shape?.[1]) || 1;
    return { flops: bytesOf(ctx.types[1]) * n, bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.types[1]) };
  },
  onnx: { type: 'NonMaxSuppression', minOpset: 10 },
};

registerOps([nms]);
