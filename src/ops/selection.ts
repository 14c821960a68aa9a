// Ops whose output size depends on the data: Compress (slices where a bool condition holds) and
// Unique (distinct elements or slices, with first indices, inverse indices and counts). Their
// data-dependent dims are fresh symbols unless the deciding input is a constant. Both view the
// input as [outer, D, inner] around the axis (or flattened when no axis is given).

import { type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim, normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { slots } from './layout.js';
import { ALL, bytesOf, checkDType, inType } from './util.js';

/** outer × D × inner sizes of dims around axis. */
function split3(dims: readonly number[], axis: number): [number, number, number] {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  return [outer, dims[axis]!, inner];
}

/** Copy slices `picks` (positions along the middle axis) of x viewed as [outer, D, inner]. */
function gatherSlices(x: Tensor, dims: readonly number[], axis: number, picks: readonly number[]): Tensor {
  const [outer, D, inner] = split3(dims, axis);
  const outDims = [...dims];
  outDims[axis] = picks.length;
  const out = Tensor.zeros(x.type, outDims);
  const src = slots(x.data),
    dst = slots(out.data);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of picks) {
      const base = (o * D + p) * inner;
      for (let i = 0; i < inner; i++) dst[k++] = src[base + i]!;
    }
  }
  return out;
}

const compress: OpDef = {
  name: 'nn.Compress',
  inputs: ['input', 'condition'],
  outputs: ['output'],
  attrs: { axis: { kind: 'int' } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    const c = inType(ctx, 1, 'condition');
    checkDType(x, ALL, 'input');
    checkDType(c, ['bool'], 'condition');
    if (c.shape && c.shape.length !== 1) throw new Error(`condition ${formatType(c)} must be 1-D`);
    const cond = ctx.consts[1];
    const kept = cond ? (cond.data as Uint8Array).reduce((a, b) => a + (b ? 1 : 0), 0) : freshDim('compress');
    if (!ctx.attrs.has('axis')) return [{ dtype: x.dtype, shape: [kept] }];
    if (!x.shape) return [{ dtype: x.dtype }];
    const axis = normAxis(ctx.attrs.int('axis'), x.shape.length, 'axis');
    const shape = [...x.shape];
    shape[axis] = kept;
    return [{ dtype: x.dtype, shape }];
  },
  run({ inputs: [xt, ct], attrs }) {
    const x = xt!;
    const flat = !attrs.has('axis');
    const dims = flat ? [x.size] : x.dims;
    const axis = flat ? 0 : normAxis(attrs.int('axis'), dims.length, 'axis');
    const cond = ct!.data as Uint8Array;
    if (cond.length > dims[axis]!) {
      throw new Error(`condition has ${cond.length} values but the input has ${dims[axis]} along axis ${axis}`);
    }
    // positions past the end of condition are dropped, as the spec says
    const picks: number[] = [];
    cond.forEach((b, i) => {
      if (b) picks.push(i);
    });
    return [gatherSlices(x, dims, axis, picks)];
  },
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) * 2 }),
  onnx: { type: 'Compress', minOpset: 9 },
};

/** Order of two slices (as arrays of numbers or bigints), lexicographic; NaN sorts last. */
function compareSlices(a: readonly (number | bigint)[], b: readonly (number | bigint)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!,
      y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && Number.isNaN(x)) return Number.isNaN(y as number) ? 0 : 1;
    if (typeof y === 'number' && Number.isNaN(y)) return -1;
    return x < y ? -1 : 1;
  }
  return 0;
}

const unique: OpDef = {
  name: 'nn.Unique',
  inputs: ['X'],
  outputs: ['Y', 'indices?', 'inverse_indices?', 'counts?'],
  attrs: { axis: { kind: 'int' }, sorted: { kind: 'int', default: 1 } },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, ALL, 'X');
    const n = freshDim('unique');
    let shape: (string | number)[] | undefined = [n];
    const mul = (a: string | number, b: string | number) =>
      typeof a === 'number' && typeof b === 'number' ? a * b : freshDim('n');
    let along: string | number | undefined = x.shape ? x.shape.reduce<string | number>(mul, 1) : undefined;
    if (ctx.attrs.has('axis')) {
      if (x.shape) {
        const axis = normAxis(ctx.attrs.int('axis'), x.shape.length, 'axis');
        shape = [...x.shape];
        shape[axis] = n;
        along = x.shape[axis];
      } else shape = undefined;
    }
    const i64 = (s?: (string | number)[]) => ({ dtype: 'int64' as const, shape: s });
    return [{ dtype: x.dtype, shape }, i64([n]), i64(along === undefined ? undefined : [along]), i64([n])];
  },
  run({ inputs: [xt], attrs }) {
    const x = xt!;
    const flat = !attrs.has('axis');
    const dims = flat ? [x.size] : x.dims;
    const axis = flat ? 0 : normAxis(attrs.int('axis'), dims.length, 'axis');
    const [outer, D, inner] = split3(dims, axis);
    const src = slots(x.data);
    // slice j: every element with position j on the axis, in row-major order
    const slices: (number | bigint)[][] = [];
    for (let j = 0; j < D; j++) {
      const s: (number | bigint)[] = [];
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) s.push(src[(o * D + j) * inner + i]!);
      slices.push(s);
    }
    const key = (s: (number | bigint)[]) => s.map(String).join(',');
    const first = new Map<string, number>();
    const order: number[] = []; // first-occurrence position of each distinct slice
    const ofSlice = new Int32Array(D);
    for (let j = 0; j < D; j++) {
      const k = key(slices[j]!);
      let u = first.get(k);
      if (u === undefined) {
        u = order.length;
        first.set(k, u);
        order.push(j);
      }
      ofSlice[j] = u;
    }
    // sorted: distinct slices in ascending (lexicographic) order, else in order of first occurrence
    const rank = order.map((_, u) => u);
    if (attrs.int('sorted', 1) !== 0) rank.sort((a, b) => compareSlices(slices[order[a]!]!, slices[order[b]!]!));
    const pos = new Int32Array(order.length);
    rank.forEach((u, r) => {
      pos[u] = r;
    });
    const picks = rank.map((u) => order[u]!);
    const counts = new Array<number>(order.length).fill(0);
    for (let j = 0; j < D; j++) counts[pos[ofSlice[j]!]!]!++;
    const i64 = (v: number[]) => new Tensor('int64', BigInt64Array.from(v, BigInt), [v.length]);
    const y = gatherSlices(x, dims, axis, picks);
    return [y, i64(picks), i64(Array.from(ofSlice, (u) => pos[u]!)), i64(counts)];
  },
  cost: (ctx) => ({ flops: numelLog(ctx.types[0]?.shape), bytes: bytesOf(ctx.types[0]) * 2 }),
  onnx: { type: 'Unique', minOpset: 11 },
};

function numelLog(shape: readonly (string | number)[] | undefined): number {
  const n = shape?.reduce<number>((a, b) => a * (typeof b === 'number' ? b : 1), 1) ?? 1;
  return n * Math.max(1, Math.log2(n));
}

registerOps([compress, unique]);
