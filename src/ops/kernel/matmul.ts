// k.matmul: batched matrix product with numpy batch broadcasting, optional transposes of the last
// two dims, and a fused epilogue (bias, activation, residual add, Gemm's alpha/beta).

import { type OpDef, registerOps } from '../../ir/op-def.js';
import { broadcastShapes, type Dim, numel } from '../../ir/shape.js';
import { numGetter, Tensor } from '../../ir/tensor.js';
import { formatType } from '../../ir/text-common.js';
import { broadcastIndex, bytesOf, checkDType, FLOATS, inType, numelOf } from '../util.js';
import { applyEpilogue, checkExtras, EPILOGUE_ATTR, epilogueFlops } from './epilogue.js';

function matDims(shape: readonly Dim[], trans: boolean): [Dim, Dim] {
  const r = shape.length;
  return trans ? [shape[r - 1]!, shape[r - 2]!] : [shape[r - 2]!, shape[r - 1]!];
}

const kmatmul: OpDef = {
  name: 'k.matmul',
  inputs: ['A', 'B', 'extras...?'],
  outputs: ['Y'],
  attrs: { transA: { kind: 'int', default: 0 }, transB: { kind: 'int', default: 0 }, ...EPILOGUE_ATTR },
  infer(ctx) {
    const a = inType(ctx, 0, 'A');
    const b = inType(ctx, 1, 'B');
    checkDType(a, FLOATS, 'A');
    if (a.dtype !== b.dtype) throw new Error(`A and B differ in type (${formatType(a)} vs ${formatType(b)})`);
    if (!a.shape || !b.shape) return [{ dtype: a.dtype }];
    if (a.shape.length < 2 || b.shape.length < 2)
      throw new Error(`k.matmul needs rank >= 2 operands, got ${formatType(a)} and ${formatType(b)}`);
    const [m, k1] = matDims(a.shape, ctx.attrs.int('transA', 0) === 1);
    const [k2, n] = matDims(b.shape, ctx.attrs.int('transB', 0) === 1);
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
      throw new Error(`inner dims differ: A ${formatType(a)} gives K=${k1}, B ${formatType(b)} gives K=${k2}`);
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = { dtype: a.dtype, shape: [...batch, m, n] };
    checkExtras(ctx, 2, out);
    return [out];
  },
  run({ inputs, attrs }) {
    const [a, b, ...extras] = inputs as Tensor[];
    const tA = attrs.int('transA', 0) === 1,
      tB = attrs.int('transB', 0) === 1;
    const ra = a!.dims.length,
      rb = b!.dims.length;
    const [M, K] = tA ? [a!.dims[ra - 1]!, a!.dims[ra - 2]!] : [a!.dims[ra - 2]!, a!.dims[ra - 1]!];
    const N = tB ? b!.dims[rb - 2]! : b!.dims[rb - 1]!;
    const batch = broadcastShapes(a!.dims.slice(0, -2), b!.dims.slice(0, -2)) as number[];
    const nb = numel(batch);
    const ia = broadcastIndex(a!.dims.slice(0, -2), batch),
      ib = broadcastIndex(b!.dims.slice(0, -2), batch);
    const ga = numGetter(a!),
      gb = numGetter(b!);
    // element strides inside one matrix, with the transposes folded in
    const [sam, sak] = tA ? [1, M] : [K, 1];
    const [sbk, sbn] = tB ? [1, K] : [N, 1];
    const acc = new Float64Array(nb * M * N);
    const row = new Float64Array(K);
    for (let p = 0; p < nb; p++) {
      const oa = ia[p]! * M * K,
        ob = ib[p]! * K * N,
        oc = p * M * N;
      for (let i = 0; i < M; i++) {
        for (let k = 0; k < K; k++) row[k] = ga(oa + i * sam + k * sak);
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += row[k]! * gb(ob + k * sbk + j * sbn);
          acc[oc + i * N + j] = s;
        }
      }
    }
    const out = Tensor.zeros(a!.type, [...batch, M, N]);
    return [applyEpilogue(attrs.string('epilogue', '$0'), acc, out, extras)];
  },
  cost(ctx) {
    const a = ctx.types[0],
      out = ctx.outTypes[0];
    const K = a?.shape ? a.shape[a.shape.length - (ctx.attrs.int('transA', 0) ? 2 : 1)] : 1;
    const n = numelOf(out);
    return {
      flops: 2 * n * (typeof K === 'number' ? K : 1) + n * epilogueFlops(ctx.attrs.string('epilogue', '$0')),
      bytes: ctx.types.reduce((s, t) => s + bytesOf(t), 0) + bytesOf(out),
    };
  },
};

registerOps([kmatmul]);
