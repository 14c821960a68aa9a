// ReverseSequence: for every batch entry b, reverse its first sequence_lens[b] elements along the
// time axis and leave the rest in place. batch_axis and time_axis are 0 and 1, in either order.

import { registerOps, type OpDef } from '../ir/op-def.js';
import { Tensor, getter, setter } from '../ir/tensor.js';
import { ALL, bytesOf, checkDType, inType } from './util.js';

const reverseSequence: OpDef = {
  name: 'nn.ReverseSequence',
  inputs: ['input', 'sequence_lens'],
  outputs: ['Y'],
  attrs: { batch_axis: { kind: 'int', default: 1 }, time_axis: { kind: 'int', default: 0 } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    checkDType(x, ALL, 'input');
    checkDType(inType(ctx, 1, 'sequence_lens'), ['int64'], 'sequence_lens');
    const b = ctx.attrs.int('batch_axis', 1),
      t = ctx.attrs.int('time_axis', 0);
    if (!((b === 0 && t === 1) || (b === 1 && t === 0)))
      throw new Error(`batch_axis ${b} and time_axis ${t} must be 0 and 1 in some order`);
    if (x.shape && x.shape.length < 2) throw new Error(`input must have rank >= 2, got ${x.shape.length}`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [x, lt], attrs }) {
    const dims = x!.dims;
    const bAxis = attrs.int('batch_axis', 1),
      tAxis = attrs.int('time_axis', 0);
    const B = dims[bAxis]!,
      T = dims[tAxis]!;
    const lens = Array.from(lt!.data as BigInt64Array, Number);
    if (lens.length !== B) throw new Error(`sequence_lens has ${lens.length} entries for batch ${B}`);
    const inner = dims.slice(2).reduce((a, c) => a * c, 1);
    const out = Tensor.zeros(x!.type, dims);
    const get = getter(x!),
      set = setter(out);
    // flat offset of (b, t): axes 0 and 1 are batch/time in the order the attributes give
    const at = (b: number, t: number) => (bAxis === 0 ? b * T + t : t * B + b) * inner;
    for (let b = 0; b < B; b++) {
      const n = lens[b]!;
      if (n < 0 || n > T) throw new Error(`sequence length ${n} of batch ${b} is outside [0, ${T}]`);
      for (let t = 0; t < T; t++) {
        const src = at(b, t < n ? n - 1 - t : t),
          dst = at(b, t);
        for (let i = 0; i < inner; i++) set(dst + i, get(src + i));
      }
    }
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.types[0]) }),
  onnx: { type: 'ReverseSequence', minOpset: 10 },
};

registerOps([reverseSequence]);
