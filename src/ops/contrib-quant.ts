// com.microsoft block-quantized weights (ONNX Runtime contrib ops):
//  - MatMulNBits: Y = A · dequant(B)ᵀ (+ bias). B is uint8 [N, k_blocks, blob_size] holding `bits`-bit
//    codes packed low bits first along K; each block of `block_size` codes along K has a scale and a
//    zero point (packed uint8 codes, or unpacked floats of A's type; default 2^(bits-1)). The
//    deprecated g_idx input gives each k its block (act-order quantisation).
//  - GatherBlockQuantized: Gather over a uint8 tensor of 4- or 8-bit codes, dequantised with
//    per-block scales (and zero points) along quantize_axis.
// Both dequantise to double; A·Wᵀ accumulates in double and rounds once on store.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, formatDims, normAxis } from '../ir/shape.js';
import { numGetter } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { dequantizeNBits, nbitsGeometry, unpack } from './contrib-math.js';
import { isNum, MS_DOMAIN, MS_FLOATS, product, sameDim } from './contrib-util.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, inType, numelOf } from './util.js';

const matMulNBits: OpDef = {
  name: 'ms.MatMulNBits',
  inputs: ['A', 'B', 'scales', 'zero_points?', 'g_idx?', 'bias?'],
  outputs: ['Y'],
  attrs: {
    K: { kind: 'int', required: true },
    N: { kind: 'int', required: true },
    bits: { kind: 'int', default: 4 },
    block_size: { kind: 'int', required: true },
    accuracy_level: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const g = nbitsGeometry(ctx.attrs);
    const a = inType(ctx, 0, 'A'),
      b = inType(ctx, 1, 'B'),
      s = inType(ctx, 2, 'scales');
    checkDType(a, MS_FLOATS, 'A');
    checkDType(b, ['uint8'], 'B');
    if (s.dtype !== a.dtype) throw new Error(`scales has type ${formatType(s)}; it must match A (${a.dtype})`);
    if (a.shape) {
      if (a.shape.length < 1) throw new Error('A must have at least one dim');
      sameDim(a.shape.at(-1), g.K, () => `A has shape ${formatDims(a.shape!)}; its last dim must be K = ${g.K}`);
    }
    if (b.shape) {
      const want = [g.N, g.kBlocks, g.blobSize];
      const flat = b.shape.length === 2 && (!isNum(b.shape[1]) || b.shape[1] === g.kBlocks * g.blobSize);
      if (!flat && (b.shape.length !== 3 || b.shape.some((d, i) => isNum(d) && d !== want[i]))) {
        throw new Error(
          `B has shape ${formatDims(b.shape)}; it must be [N, k_blocks, blob_size] = ${formatDims(want)} ` +
            `(K=${g.K}, bits=${g.bits}, block_size=${g.blockSize})`,
        );
      }
    }
    if (s.shape && isNum(numelOf(s)) && s.shape.every(isNum) && numelOf(s) !== g.N * g.kBlocks) {
      throw new Error(`scales has shape ${formatDims(s.shape)}; it must hold N·k_blocks = ${g.N * g.kBlocks} values`);
    }
    const zp = ctx.types[3];
    if (zp) {
      if (zp.dtype === 'uint8') {
        const want = g.N * Math.ceil((g.kBlocks * g.bits) / 8);
        if (zp.shape?.every(isNum) && numelOf(zp) !== want)
          throw new Error(
            `zero_points ${formatType(zp)}: packed uint8 zero points must hold ` +
              `N·ceil(k_blocks·bits/8) = ${want} bytes`,
          );
      } else if (zp.dtype !== a.dtype) {
        throw new Error(`zero_points has type ${formatType(zp)}; uint8 (packed) or A's type ${a.dtype} expected`);
      } else if (zp.shape?.every(isNum) && numelOf(zp) !== g.N * g.kBlocks) {
        throw new Error(
          `zero_points ${formatType(zp)}: unpacked zero points must hold N·k_blocks = ${g.N * g.kBlocks} values`,
        );
      }
    }
    const gi = ctx.types[4];
    if (gi) {
      checkDType(gi, ['int32'], 'g_idx');
      if (gi.shape?.every(isNum) && numelOf(gi) !== g.K)
        throw new Error(`g_idx ${formatType(gi)} must hold K = ${g.K} block indices`);
    }
    const bias = ctx.types[5];
    if (bias) {
      if (bias.dtype !== a.dtype) throw new Error(`bias has type ${formatType(bias)}; it must match A (${a.dtype})`);
      if (bias.shape?.every(isNum) && numelOf(bias) !== g.N)
        throw new Error(`bias ${formatType(bias)} must hold N = ${g.N} values`);
    }
    return [{ dtype: a.dtype, shape: a.shape ? [...a.shape.slice(0, -1), g.N] : undefined }];
  },
  run({ inputs: [A, B, scales, zp, gIdx, bias], attrs }) {
    const g = nbitsGeometry(attrs);
    const w = dequantizeNBits(g, B!, scales!, zp, gIdx);
    const av = toF64(A!);
    const bv = bias ? toF64(bias) : undefined;
    const { K, N } = g;
    const M = A!.size / K;
    const y = new Float64Array(M * N);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += av[m * K + k]! * w[n * K + k]!;
        y[m * N + n] = s + (bv ? bv[n]! : 0);
      }
    }
    return [fromF64(A!.type, [...A!.dims.slice(0, -1), N], y)];
  },
  cost(ctx) {
    const g = nbitsGeometry(ctx.attrs);
    const M = numelOf(ctx.types[0]) / g.K;
    return {
      flops: 2 * M * g.N * g.K,
      bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + bytesOf(ctx.outTypes[0]),
    };
  },
  onnx: { type: 'MatMulNBits', domain: MS_DOMAIN },
};

interface GatherGeometry {
  gatherAxis: number;
  quantAxis: number;
  blockSize: number;
  bits: number;
  logical: number[];
}

function gatherGeometry(attrs: { int(n: string, d?: number): number }, dataDims: readonly number[]): GatherGeometry {
  const bits = attrs.int('bits', 4),
    blockSize = attrs.int('block_size', 128);
  if (bits !== 4 && bits !== 8) throw new Error(`bits=${bits} is not supported for uint8 data (4 or 8)`);
  if (!(blockSize >= 16) || (blockSize & (blockSize - 1)) !== 0)
    throw new Error(`block_size=${blockSize} must be a power of two of at least 16`);
  const r = dataDims.length;
  const logical = [...dataDims];
  logical[r - 1] = logical[r - 1]! * (8 / bits);
  return {
    gatherAxis: normAxis(attrs.int('gather_axis', 0), r, 'gather_axis'),
    quantAxis: normAxis(attrs.int('quantize_axis', 1), r, 'quantize_axis'),
    blockSize,
    bits,
    logical,
  };
}

const gatherBlockQuantized: OpDef = {
  name: 'ms.GatherBlockQuantized',
  inputs: ['data', 'indices', 'scales', 'zero_points?'],
  outputs: ['output'],
  attrs: {
    gather_axis: { kind: 'int', default: 0 },
    quantize_axis: { kind: 'int', default: 1 },
    block_size: { kind: 'int', default: 128 },
    bits: { kind: 'int', default: 4 },
  },
  infer(ctx) {
    const d = inType(ctx, 0, 'data'),
      idx = inType(ctx, 1, 'indices'),
      s = inType(ctx, 2, 'scales');
    checkDType(d, ['uint8'], 'data (int4/uint4 data is not supported; use uint8 with bits=4)');
    checkDType(idx, ['int32', 'int64'], 'indices');
    checkDType(s, MS_FLOATS, 'scales');
    const zp = ctx.types[3];
    if (zp) checkDType(zp, ['uint8'], 'zero_points');
    if (!d.shape || !idx.shape || !d.shape.every(isNum)) return [{ dtype: s.dtype }];
    const g = gatherGeometry(ctx.attrs, d.shape);
    if (s.shape) {
      const want = g.logical.map((n, i) => (i === g.quantAxis ? Math.ceil(n / g.blockSize) : n));
      if (s.shape.length !== want.length || s.shape.some((x, i) => isNum(x) && x !== want[i])) {
        throw new Error(
          `scales has shape ${formatDims(s.shape)}; it must be ${formatDims(want)} (data's logical shape ` +
            `${formatDims(g.logical)}, blocks of ${g.blockSize} along axis ${g.quantAxis})`,
        );
      }
    }
    const out: Dim[] = [...g.logical.slice(0, g.gatherAxis), ...idx.shape, ...g.logical.slice(g.gatherAxis + 1)];
    return [{ dtype: s.dtype, shape: out }];
  },
  run({ inputs: [data, indices, scales, zp], attrs }) {
    const g = gatherGeometry(attrs, data!.dims);
    const { logical, gatherAxis, quantAxis, blockSize, bits } = g;
    const codes = data!.data as Uint8Array;
    const sv = toF64(scales!);
    const zpBytes = zp?.data as Uint8Array | undefined;
    const sDims = logical.map((n, i) => (i === quantAxis ? Math.ceil(n / blockSize) : n));
    const sStrides = sDims.map((_, i) => product(sDims.slice(i + 1)));
    const lStrides = logical.map((_, i) => product(logical.slice(i + 1)));
    const mid = 1 << (bits - 1);
    const dequant = (flat: number[]): number => {
      let li = 0,
        si = 0;
      flat.forEach((c, i) => {
        li += c * lStrides[i]!;
        si += (i === quantAxis ? Math.floor(c / blockSize) : c) * sStrides[i]!;
      });
      const q = unpack(codes, 0, li, bits);
      const z = zpBytes ? unpack(zpBytes, 0, si, bits) : mid;
      return (q - z) * sv[si]!;
    };
    const gi = numGetter(indices!);
    const axisLen = logical[gatherAxis]!;
    const outer = logical.slice(0, gatherAxis),
      inner = logical.slice(gatherAxis + 1);
    const nIdx = indices!.size,
      nOuter = product(outer),
      nInner = product(inner);
    const y = new Float64Array(nOuter * nIdx * nInner);
    const unflat = (n: number, dims: number[]): number[] => {
      const c = new Array<number>(dims.length);
      for (let i = dims.length - 1; i >= 0; i--) {
        c[i] = n % dims[i]!;
        n = Math.floor(n / dims[i]!);
      }
      return c;
    };
    for (let o = 0; o < nOuter; o++) {
      const oc = unflat(o, outer);
      for (let t = 0; t < nIdx; t++) {
        let ix = gi(t);
        if (ix < -axisLen || ix >= axisLen)
          throw new Error(`indices[${t}] = ${ix} is out of range for axis ${gatherAxis} of length ${axisLen}`);
        if (ix < 0) ix += axisLen;
        for (let i = 0; i < nInner; i++) y[(o * nIdx + t) * nInner + i] = dequant([...oc, ix, ...unflat(i, inner)]);
      }
    }
    return [fromF64(scales!.type, [...outer, ...indices!.dims, ...inner], y)];
  },
  onnx: { type: 'GatherBlockQuantized', domain: MS_DOMAIN },
};

registerOps([matMulNBits, gatherBlockQuantized]);
