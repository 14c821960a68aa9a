// The WASM device's op table: which planner handles each op. A planner turns one node with
// concrete shapes into kernel calls ('view' when the output is the input's storage, 'cpu' when
// the case has no kernel: the node then runs on the reference path inside the unit, recorded).

import type { OpPlanner } from '../plan.js';
import { convInteger, convTranspose, depthwiseConv } from './conv.js';
import { kmap } from './elementwise.js';
import { dequantize, dynamicQuantize, matmulInteger, quantize } from './int8.js';
import { concat, depthSpace, expand, gather, pad, slice, split, tile, topk, transpose, trilu, view } from './layout.js';
import { attention, gemm, kconv, kmatmul, matmul, pool, rotary } from './matmul.js';
import { matMulNBitsInt } from './nbits.js';
import { recurrent } from './recurrent.js';
import { argReduce, cumsum, klayernorm, kreduce, ksoftmax, layerNorm, REDUCE_OPS, reduce, softmax } from './reduce.js';
import { resize } from './resize.js';
import { scatterND } from './scatter.js';

export const PLANNERS: Record<string, OpPlanner> = {
  'k.map': kmap,
  'k.matmul': kmatmul,
  'k.softmax': ksoftmax,
  'k.layernorm': klayernorm,
  'k.reduce': kreduce,
  // depthwise convolutions take the direct kernel, the rest im2col + GEMM
  'k.conv': async (ctx) => (await depthwiseConv(ctx)) ?? kconv(ctx),
  'nn.Attention': attention,
  'ms.MatMulNBits': matMulNBitsInt,
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
  'nn.Reshape': view,
  'nn.Flatten': view,
  'nn.Squeeze': view,
  'nn.Unsqueeze': view,
  'nn.Identity': view,
  'nn.Dropout': view,
  'nn.Cast': view,
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
  'nn.DepthToSpace': depthSpace,
  'nn.SpaceToDepth': depthSpace,
  'nn.Pad': pad,
  'nn.RotaryEmbedding': rotary,
  'nn.MatMulInteger': matmulInteger,
  'nn.DequantizeLinear': dequantize,
  'nn.QuantizeLinear': quantize,
  'nn.RNN': recurrent,
  'nn.GRU': recurrent,
  'nn.LSTM': recurrent,
  'nn.Resize': resize,
  'nn.ConvTranspose': convTranspose,
  'nn.ConvInteger': convInteger,
  'nn.DynamicQuantizeLinear': dynamicQuantize,
};

/** Ops whose data input and outputs must be float32; their other inputs (sizes, scales, roi) may be any type. */
export const FLOAT_DATA = new Set(['nn.Resize']);

/** Ops whose kernels handle every dtype (pure data movement); the rest need float32. */
export const ANY_DTYPE = new Set([
  'ms.MatMulNBits',
  'nn.MatMulInteger',
  'nn.ConvInteger',
  'nn.DynamicQuantizeLinear',
  'nn.DequantizeLinear',
  'nn.QuantizeLinear',
  'nn.Pad',
  'nn.Trilu',
  'nn.Reshape',
  'nn.Flatten',
  'nn.Squeeze',
  'nn.Unsqueeze',
  'nn.Identity',
  'nn.Dropout',
  'nn.Cast',
  'nn.Transpose',
  'nn.Expand',
  'nn.Concat',
  'nn.Split',
  'nn.Slice',
  'nn.Tile',
  'nn.Gather',
  'nn.DepthToSpace',
  'nn.SpaceToDepth',
  'nn.ScatterND',
]);
