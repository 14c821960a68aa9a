// CenterCropPad (opset 18): crop or zero-pad chosen axes to the sizes in `shape`, keeping the
// centre. Cropping an axis of d to s starts at floor((d - s) / 2); padding places the input at
// offset floor((s - d) / 2) of the new axis.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim, normAxis } from '../ir/shape.js';
import { getter, setter, Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { normAxes } from './math-util.js';
import { ALL, bytesOf, checkDType, constInts, inType } from './util.js';

function axesOf(attrs: { ints(n: string, d?: number[]): number[] }, rank: number, n: number): number[] {
  const axes = attrs.ints('axes', []);
  const out = axes.length ? normAxes(axes, rank) : Array.from({ length: rank }, (_, i) => i);
  if (out.length !== n) throw new Error(`shape has ${n} values but ${out.length} axes are cropped/padded`);
  return out;
}

const centerCropPad: OpDef = {
  name: 'nn.CenterCropPad',
  inputs: ['input_data', 'shape'],
  outputs: ['output_data'],
  attrs: { axes: { kind: 'ints' } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input_data');
    checkDType(x, ALL, 'input_data');
    checkDType(inType(ctx, 1, 'shape'), ['int32', 'int64'], 'shape');
    if (!x.shape) return [{ dtype: x.dtype }];
    const sizes = constInts(ctx, 1);
    const axes = ctx.attrs.ints('axes', []);
    const shape: Dim[] = [...x.shape];
    if (!sizes) {
      for (const a of axes.length ? axes : x.shape.map((_, i) => i))
        shape[normAxis(a, x.shape.length)] = freshDim('crop');
      return [{ dtype: x.dtype, shape }];
    }
    axesOf(ctx.attrs, x.shape.length, sizes.length).forEach((a, i) => {
      shape[a] = sizes[i]!;
    });
    if (sizes.some((s) => s < 0)) throw new Error(`shape [${sizes}] must not be negative (input ${formatType(x)})`);
    return [{ dtype: x.dtype, shape }];
  },
  run({ inputs: [x, s], attrs }) {
    const sizes = Array.from(s!.data as ArrayLike<number | bigint>, Number);
    const r = x!.dims.length;
    const outDims = [...x!.dims];
    const shift = new Array<number>(r).fill(0); // output index = input index + shift
    axesOf(attrs, r, sizes.length).forEach((a, i) => {
      const d = x!.dims[a]!,
        t = sizes[i]!;
      outDims[a] = t;
      shift[a] = t < d ? -Math.floor((d - t) / 2) : Math.floor((t - d) / 2);
    });
    const out = Tensor.zeros(x!.type, outDims);
    const get = getter(x!),
      set = setter(out);
    const inSt = x!.dims.map((_, i) => x!.dims.slice(i + 1).reduce((p, q) => p * q, 1));
    const idx = new Array<number>(r).fill(0);
    for (let k = 0; k < out.size; k++) {
      let src = 0,
        inside = true;
      for (let a = 0; a < r; a++) {
        const i = idx[a]! - shift[a]!;
        if (i < 0 || i >= x!.dims[a]!) {
          inside = false;
          break;
        }
        src += i * inSt[a]!;
      }
      if (inside) set(k, get(src));
      for (let a = r - 1; a >= 0; a--) {
        if (++idx[a]! < outDims[a]!) break;
        idx[a] = 0;
      }
    }
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) }),
  onnx: { type: 'CenterCropPad', minOpset: 18 },
};

registerOps([centerCropPad]);
