// Col2Im (opset 18): the inverse of im2col. input [N, C*prod(block), L] holds, for each of the
// L sliding-block positions (row-major over the block grid of the padded image), the block's
// C*prod(block) values; they are summed back into an image [N, C, image_shape...] (overlapping
// blocks add). dilations, pads ([begin..., end...]) and strides work as in Conv.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, constInts, FLOATS, inType } from './util.js';

const col2im: OpDef = {
  name: 'nn.Col2Im',
  inputs: ['input', 'image_shape', 'block_shape'],
  outputs: ['output'],
  attrs: { dilations: { kind: 'ints' }, pads: { kind: 'ints' }, strides: { kind: 'ints' } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    checkDType(x, FLOATS, 'input');
    if (x.shape && x.shape.length !== 3) throw new Error(`input ${formatType(x)} must be [N, C*prod(block_shape), L]`);
    const img = constInts(ctx, 1),
      blk = constInts(ctx, 2);
    const n = img?.length ?? ctx.types[1]?.shape?.[0];
    if (typeof n !== 'number') return [{ dtype: x.dtype }];
    const blockSize = blk?.reduce((a, b) => a * b, 1);
    const c: Dim = x.shape && typeof x.shape[1] === 'number' && blockSize ? x.shape[1] / blockSize : freshDim('c');
    return [
      {
        dtype: x.dtype,
        shape: [x.shape?.[0] ?? freshDim('n'), c, ...(img ?? Array.from({ length: n }, () => freshDim('img')))],
      },
    ];
  },
  run({ inputs: [xt, it, bt], attrs }) {
    const img = Array.from(it!.data as BigInt64Array, Number),
      blk = Array.from(bt!.data as BigInt64Array, Number);
    const k = img.length;
    if (blk.length !== k) throw new Error(`block_shape [${blk}] must have the rank of image_shape [${img}]`);
    const dil = attrs.ints('dilations', new Array(k).fill(1)),
      str = attrs.ints('strides', new Array(k).fill(1));
    const pads = attrs.ints('pads', new Array(2 * k).fill(0));
    const [N, CB, L] = xt!.dims as [number, number, number];
    const blockSize = blk.reduce((a, b) => a * b, 1);
    if (CB % blockSize) throw new Error(`input axis 1 (${CB}) must be a multiple of prod(block_shape) = ${blockSize}`);
    const C = CB / blockSize;
    const grid = img.map(
      (d, a) => Math.floor((d + pads[a]! + pads[a + k]! - (dil[a]! * (blk[a]! - 1) + 1)) / str[a]!) + 1,
    );
    const nBlocks = grid.reduce((a, b) => a * b, 1);
    if (nBlocks !== L)
      throw new Error(`input has ${L} blocks, but image_shape [${img}] with these pads/strides gives ${nBlocks}`);
    const x = toF64(xt!);
    const plane = img.reduce((a, b) => a * b, 1);
    const out = new Float64Array(N * C * plane);
    const unravel = (v: number, dims: number[]) => {
      const r = new Array<number>(dims.length);
      for (let a = dims.length - 1; a >= 0; a--) {
        r[a] = v % dims[a]!;
        v = Math.floor(v / dims[a]!);
      }
      return r;
    };
    for (let b = 0; b < blockSize; b++) {
      const off = unravel(b, blk);
      for (let l = 0; l < L; l++) {
        const pos = unravel(l, grid);
        let at = 0,
          inside = true;
        for (let a = 0; a < k; a++) {
          const p = pos[a]! * str[a]! - pads[a]! + off[a]! * dil[a]!;
          if (p < 0 || p >= img[a]!) {
            inside = false;
            break;
          }
          at = at * img[a]! + p;
        }
        if (!inside) continue;
        for (let n = 0; n < N; n++)
          for (let c = 0; c < C; c++) {
            out[(n * C + c) * plane + at] += x[(n * CB + c * blockSize + b) * L + l]!;
          }
      }
    }
    return [fromF64(xt!.type, [N, C, ...img], out)];
  },
  cost: (ctx) => ({ flops: bytesOf(ctx.types[0]) / 4, bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) }),
  onnx: { type: 'Col2Im', minOpset: 18 },
};

registerOps([col2im]);
