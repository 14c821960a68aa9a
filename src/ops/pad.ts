// Pad: constant, reflect, edge and wrap modes; negative pads crop; optional axes (opset 18).

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim, normAxis } from '../ir/shape.js';
import { getter, setter, Tensor, toIntArray } from '../ir/tensor.js';
import { forEachIndex, offsetOf, slots, stridesOf } from './layout.js';
import { bytesOf, checkDType, constInts, inType } from './util.js';

const MODES = ['constant', 'reflect', 'edge', 'wrap'];

/** Per-axis [begin, end] pads for all dims, from pads (and axes) inputs. */
function fullPads(rank: number, pads: number[], axes?: number[]): [number, number][] {
  const ax = (axes ?? Array.from({ length: rank }, (_, i) => i)).map((a) => normAxis(a, rank, 'axes entry'));
  if (pads.length !== 2 * ax.length)
    throw new Error(`pads has ${pads.length} entries; ${2 * ax.length} expected (begin and end for ${ax.length} axes)`);
  const out: [number, number][] = Array.from({ length: rank }, () => [0, 0]);
  ax.forEach((a, i) => {
    out[a] = [pads[i]!, pads[i + ax.length]!];
  });
  return out;
}

/** Source index for an out-of-range coordinate, or -1 for the constant value. */
export function mapIndex(mode: string, i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'wrap':
      return ((i % n) + n) % n;
    case 'reflect': {
      if (n === 1) return 0;
      const p = 2 * (n - 1);
      const m = ((i % p) + p) % p;
      return m < n ? m : p - m;
    }
    default:
      return -1;
  }
}

const pad: OpDef = {
  name: 'nn.Pad',
  inputs: ['data', 'pads', 'constant_value?', 'axes?'],
  outputs: ['output'],
  attrs: { mode: { kind: 'string', default: 'constant' } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    checkDType(inType(ctx, 1, 'pads'), ['int64'], 'pads');
    const mode = ctx.attrs.string('mode', 'constant');
    if (!MODES.includes(mode)) throw new Error(`mode '${mode}' is not one of ${MODES.join(', ')}`);
    if (ctx.types[2] && ctx.types[2].dtype !== t.dtype)
      throw new Error(`constant_value has type ${ctx.types[2].dtype}, data has ${t.dtype}`);
    if (!t.shape) return [{ dtype: t.dtype }];
    const pads = constInts(ctx, 1);
    const axes = ctx.types[3] ? constInts(ctx, 3) : undefined;
    if (!pads || (ctx.types[3] && !axes)) return [{ dtype: t.dtype, shape: t.shape.map(() => freshDim('p')) }];
    const fp = fullPads(t.shape.length, pads, axes);
    const shape: Dim[] = t.shape.map((d, i) => {
      const [b, e] = fp[i]!;
      if (b === 0 && e === 0) return d;
      if (typeof d !== 'number') return freshDim('p');
      if (d + b + e < 0) throw new Error(`pads [${b}, ${e}] on axis ${i} remove more than its ${d} elements`);
      return d + b + e;
    });
    return [{ dtype: t.dtype, shape }];
  },
  run({ inputs: [x, p, cv, a], attrs }) {
    const mode = attrs.string('mode', 'constant');
    const dims = x!.dims;
    const fp = fullPads(dims.length, toIntArray(p!), a ? toIntArray(a) : undefined);
    const outDims = dims.map((d, i) => d + fp[i]![0] + fp[i]![1]);
    if (outDims.some((d) => d < 0))
      throw new Error(`pads crop more than the input has (output dims [${outDims.join(',')}])`);
    if (mode !== 'constant' && dims.some((d, i) => d === 0 && outDims[i]! > 0))
      throw new Error(`mode '${mode}' cannot pad an empty axis`);
    const out = Tensor.zeros(x!.type, outDims);
    const strides = stridesOf(dims);
    const src = slots(x!.data),
      dst = slots(out.data);
    const fill = cv && cv.size ? getter(cv)(0) : 0;
    const setOut = setter(out);
    const srcIdx = new Array<number>(dims.length);
    forEachIndex(outDims, (idx, flat) => {
      for (let k = 0; k < idx.length; k++) {
        const m = mapIndex(mode, idx[k]! - fp[k]![0], dims[k]!);
        if (m < 0) {
          setOut(flat, fill);
          return;
        }
        srcIdx[k] = m;
      }
      dst[flat] = src[offsetOf(srcIdx, strides)]!;
    });
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) }),
  onnx: {
    type: 'Pad',
    // Pad-1 (paddings, value) and Pad-2 (pads, value) were attribute-based; from 11 they are inputs.
    import(ctx) {
      if (ctx.opset >= 11) return;
      const pads = ctx.take('pads') ?? ctx.take('paddings');
      const value = ctx.take('value');
      if (!pads || pads.kind !== 'ints') throw new Error('pads attribute is missing');
      const dtype = ctx.node.inputs[0]?.type?.dtype ?? 'float32';
      ctx.node.inputs[1] = ctx.constant(Tensor.from('int64', pads.value.map(BigInt)), 'pads');
      if (value && (value.kind === 'float' || value.kind === 'int') && value.value !== 0) {
        ctx.node.inputs[2] = ctx.constant(Tensor.from(dtype, [value.value], []), 'value');
      }
    },
  },
};

registerOps([pad]);
