// The WASM device's op table: which planner handles each op. A planner turns one node with
// concrete shapes into kernel calls ('view' when the output is the input's storage, 'cpu' when
// the case has no kernel: the node then runs on the reference path inside the unit, recorded).

import { type OpPlanner } from '../plan.js';
import { kmap } from './elementwise.js';
import { dequantize, matmulInteger, quantize } from './int8.js';
import { concat, expand, gather, pad, slice, split, tile, topk, transpose, trilu, view } from './layout.js';
import { attention, gemm, kconv, kmatmul, matmul, pool, rotary } from './matmul.js';
import { scatterND } from './scatter.js';
import { REDUCE_OPS, argReduce, cumsum, klayernorm, kreduce, ksoftmax, layerNorm, reduce, softmax } from './reduce.js';

export const PLANNERS: Record<string, OpPlanner> = {
  'k.map': kmap,
  'k.matmul': kmatmul,
  'k.softmax': ksoftmax,
  'k.layernorm': klayernorm,
  'k.reduce': kreduce,
  'k.conv': kconv,
  'nn.Attention': attention,
  'nn.MaxPool': pool,
  'nn.AveragePool': pool,
  'nn.GlobalAveragePool': pool,
  'nn.GlobalMaxPool': pool,
  'nn.MatMul': matmul,
  'nn.Gemm': gemm,
  ...Object.fromEntries(Object.keys(REDUCE_OPS).map((k) => [k, reduce])),
  'nn.Softmax': softmax,
  'nn.LogSoftmax': softmax,
  'nn.LayerNormalization': layerNorm,
  'nn.RMSNormalization': layerNorm,
  'nn.Reshape': view, 'nn.Flatten': view, 'nn.Squeeze': view, 'nn.Unsqueeze': view, 'nn.Identity': view,
  'nn.Dropout': view, 'nn.Cast': view,
  'nn.Transpose': transpose,
  'nn.Expand': expand,
  'nn.Concat': concat,
  'nn.Split': split,
  'nn.Slice': slice,
  'nn.Tile': tile,
  'nn.Gather': gather,
  'nn.ScatterND': scatterND,
  'nn.TopK': topk,
  'nn.ArgMax': argReduce,
  'nn.ArgMin': argReduce,
  'nn.CumSum': cumsum,
  'nn.Trilu': trilu,
  'nn.Pad': pad,
  'nn.RotaryEmbedding': rotary,
  'nn.MatMulInteger': matmulInteger,
  'nn.DequantizeLinear': dequantize,
  'nn.QuantizeLinear': quantize,
};

/** Ops whose kernels handle every dtype (pure data movement); the rest need float32. */
export const ANY_DTYPE = new Set(['nn.MatMulInteger', 'nn.DequantizeLinear', 'nn.QuantizeLinear', 'nn.Pad', 'nn.Trilu', 'nn.Reshape', 'nn.Flatten', 'nn.Squeeze', 'nn.Unsqueeze', 'nn.Identity', 'nn.Dropout', 'nn.Cast',
  'nn.Transpose', 'nn.Expand', 'nn.Concat', 'nn.Split', 'nn.Slice', 'nn.Tile', 'nn.Gather', 'nn.ScatterND']);
