// The WASM device's op table: which planner handles each op, gathered from one file per op family
// (named after the src/ops/<family>.ts that defines the ops; shared helpers live in lib/). A
// planner turns one node with concrete shapes into kernel calls ('view' when the output is the
// input's storage, 'cpu' when the case has no kernel: the node then runs on the reference path
// inside the unit, recorded).

import type { OpPlanner, WasmFamily } from '../plan.js';
import { KERNELS as argmax } from './argmax.js';
import { KERNELS as attention } from './attention.js';
import { KERNELS as cast } from './cast.js';
import { KERNELS as concatSplit } from './concat-split.js';
import { KERNELS as contribQuant } from './contrib-quant.js';
import { KERNELS as conv } from './conv.js';
import { KERNELS as convInteger } from './conv-integer.js';
import { KERNELS as convTranspose } from './conv-transpose.js';
import { KERNELS as cumsum } from './cumsum.js';
import { KERNELS as dropout } from './dropout.js';
import { KERNELS as elementwise } from './elementwise.js';
import { KERNELS as gatherOps } from './gather.js';
import { KERNELS as generators } from './generators.js';
import { KERNELS as logical } from './logical.js';
import { KERNELS as matmul } from './matmul.js';
import { KERNELS as matmulInteger } from './matmul-integer.js';
import { KERNELS as normalization } from './normalization.js';
import { KERNELS as pad } from './pad.js';
import { KERNELS as pool } from './pool.js';
import { KERNELS as quantize } from './quantize.js';
import { KERNELS as rearrange } from './rearrange.js';
import { KERNELS as recurrent } from './recurrent.js';
import { KERNELS as reduce } from './reduce.js';
import { KERNELS as resize } from './resize.js';
import { KERNELS as rotary } from './rotary.js';
import { KERNELS as scatter } from './scatter.js';
import { KERNELS as shape } from './shape.js';
import { KERNELS as slice } from './slice.js';
import { KERNELS as softmax } from './softmax.js';
import { KERNELS as tile } from './tile.js';
import { KERNELS as topk } from './topk.js';
import { KERNELS as trilu } from './trilu.js';

const FAMILIES: WasmFamily[] = [
  argmax,
  attention,
  cast,
  concatSplit,
  contribQuant,
  conv,
  convInteger,
  convTranspose,
  cumsum,
  dropout,
  elementwise,
  gatherOps,
  generators,
  logical,
  matmul,
  matmulInteger,
  normalization,
  pad,
  pool,
  quantize,
  rearrange,
  recurrent,
  reduce,
  resize,
  rotary,
  scatter,
  shape,
  slice,
  softmax,
  tile,
  topk,
  trilu,
];

function collect<T>(pick: (f: WasmFamily) => Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const f of FAMILIES)
    for (const [op, v] of Object.entries(pick(f))) {
      if (op in out) throw new Error(`WASM op table: ${op} is claimed by two families`);
      out[op] = v;
    }
  return out;
}

export const PLANNERS: Record<string, OpPlanner> = collect((f) => f.planners);

/** Ops whose data input and outputs must be float32; their other inputs (sizes, scales, roi) may be any type. */
export const FLOAT_DATA = new Set(FAMILIES.flatMap((f) => f.floatData ?? []));

/** Ops whose kernels handle every dtype (pure data movement); the rest need float32. */
export const ANY_DTYPE = new Set(FAMILIES.flatMap((f) => f.anyDtype ?? []));

/** Ops whose planners check their own dtypes (int64 indices, int32 sequence lengths). */
export const OWN_DTYPES = new Set(FAMILIES.flatMap((f) => f.ownDtypes ?? []));
