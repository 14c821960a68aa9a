// Which step ops a device runs natively: nn.RotaryEmbedding and nn.Attention where it has kernels
// for them, else the same math in plain ops, so a decode step never leaves the device for one op.

import type { Device } from '../../backends/device.js';
import { GraphBuilder } from '../../ir/builder.js';
import { Tensor } from '../../ir/tensor.js';
import type { LlmConfig } from './config.js';
import './model-fused.js';

export type Mode = 'op' | 'decomposed';
export type StepModes = {
  rope: Mode;
  attention: Mode;
  cacheWrite: 'scatter' | 'place';
  /** 'fused': packed QKV; decode's norm, QKV, RoPE and cache write in one k.decode_qkv kernel. */
  qkv: 'fused' | 'separate';
};
const stepModes = new WeakMap<Device, StepModes>();
/**
 * nn.RotaryEmbedding, nn.Attention and ScatterND (decode's cache row) as ops where the device has
 * kernels for them, else the same math in plain ops, so a step never leaves the device for one op
 * (probed once per device).
 */
export function stepModesFor(device: Device, c: LlmConfig): StepModes {
  let m = stepModes.get(device);
  if (!m) {
    const g = new GraphBuilder('probe', 24);
    const x = g.input('x', 'float32', [1, 1, 1, c.headDim]);
    const half = c.headDim / 2;
    const r = g.op(
      'RotaryEmbedding',
      [
        x,
        g.constant(Tensor.zeros('float32', [1, half])),
        g.constant(Tensor.zeros('float32', [1, half])),
        g.input('p', 'int64', [1, 1]),
      ],
      { interleaved: c.ropeInterleaved ? 1 : 0 },
    );
    const kv = g.input('kv', 'float32', [1, 1, 4, c.headDim]);
    const a = g.op('Attention', [x, kv, kv, g.input('m', 'float32', [1, 1, 1, 4])]);
    const row = g.op('ScatterND', [kv, g.input('i', 'int64', [1, 1, 3]), g.input('u', 'float32', [1, 1, c.headDim])]);
    // k.decode_qkv writes the cache in place: only devices whose kernel aliases the cache use it
    // (the reference and WASM devices keep the separate projections, the oracle's form)
    const dims = [1, 1, 2, c.headDim];
    const qkv = g.opN(
      'k.decode_qkv',
      [
        g.input('h', 'float32', [1, 1, 4]),
        g.constant(Tensor.zeros('float32', [4, 3 * c.headDim])),
        g.constant(Tensor.zeros('float32', [4])),
        null,
        null,
        g.input('pq', 'int64', [1, 1]),
        g.input('ck', 'float32', dims),
        g.input('cv', 'float32', dims),
        null,
        null,
      ],
      { q_num_heads: 1, kv_num_heads: 1, head_size: c.headDim },
      3,
    )[0]!;
    m = {
      qkv: device.kind === 'webgpu' && device.supports(qkv.producer!) === true ? 'fused' : 'separate',
      rope: device.supports(r.producer!) === true ? 'op' : 'decomposed',
      attention: device.supports(a.producer!) === true ? 'op' : 'decomposed',
      cacheWrite: device.supports(row.producer!) === true ? 'scatter' : 'place',
    };
    stepModes.set(device, m);
  }
  return m;
}
