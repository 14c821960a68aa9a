// The MatMulNBits cases shared by wasm-nbits.test.ts (the relaxed-SIMD build of the kernels, as
// Node runs them by default) and wasm-nbits-plain.test.ts (the plain SIMD build): 4- and 8-bit codes,
// blocks of 16 to 128, zero points, bias, decode (M = 1), a few rows and prefill rows (the dequantise
// + GEMM path), N = 37 (a tail past the kernels' groups of four columns), 1 and 2 threads, against
// the reference interpreter (dequantise, then a float64 matmul). The kernels quantize A to int8 per
// block of 32 (16), so each output may differ by at most Σ |w_k| · (amax of k's block) / 254; A
// drawn on that grid makes them exact.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { loadKernels } from '../../src/backends/wasm/loader.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { dequantizeNBits } from '../../src/ops/contrib-math.js';
import { Session } from '../../src/runtime/session.js';
import { mulberry32 } from '../../src/util/rng.js';

interface Case {
  bits: 4 | 8;
  bs: number;
  M: number;
  zp?: boolean;
  bias?: boolean;
}
const K = 256,
  N = 37;

function make(c: Case, seed: number, grid: boolean) {
  const r = mulberry32(seed);
  const kb = K / c.bs;
  const codes = new Uint8Array((N * K * c.bits) / 8).map(() => Math.floor(r() * 256));
  const scales = Float32Array.from({ length: N * kb }, () => 0.01 + r() * 0.05);
  const zpLen = c.bits === 4 ? N * Math.ceil(kb / 2) : N * kb;
  const zp = c.zp ? new Uint8Array(zpLen).map(() => Math.floor(r() * 256)) : undefined;
  const bias = c.bias ? Float32Array.from({ length: N }, () => r() - 0.5) : undefined;
  const a = new Float32Array(c.M * K);
  for (let i = 0; i < a.length; i++) a[i] = grid ? Math.round(r() * 254 - 127) : (r() - 0.5) * 4;
  // on the grid, every block of 16 (and so of 32) reaches ±127: its activation scale is exactly 1
  if (grid) for (let i = 0; i < a.length; i += 16) a[i] = 127;
  const g = new GraphBuilder('nbits', 21);
  const A = g.input('a', 'float32', [c.M, K]);
  const inputs = [
    A,
    g.constant(new Tensor('uint8', codes, [N, kb, (c.bs * c.bits) / 8])),
    g.constant(new Tensor('float32', scales, [N * kb])),
    zp ? g.constant(new Tensor('uint8', zp, [zpLen])) : null,
    null,
    bias ? g.constant(new Tensor('float32', bias, [N])) : null,
  ];
  while (inputs.at(-1) === null) inputs.pop();
  g.output(g.op('ms.MatMulNBits', inputs, { K, N, bits: c.bits, block_size: c.bs, accuracy_level: 4 }), 'y');
  const geometry = { K, N, bits: c.bits, blockSize: c.bs, kBlocks: kb, blobSize: (c.bs * c.bits) / 8 };
  const w = dequantizeNBits(
    geometry,
    new Tensor('uint8', codes, [N, kb, geometry.blobSize]),
    new Tensor('float32', scales, [N * kb]),
    zp && new Tensor('uint8', zp, [zpLen]),
  );
  return { graph: g.build(), a: new Tensor('float32', a, [c.M, K]), w };
}

/** The bound of int8 activation rounding for output (m, n). */
function bound(a: Float32Array, w: Float64Array, m: number, n: number, qb: number): number {
  let b = 0;
  for (let k0 = 0; k0 < K; k0 += qb) {
    let amax = 0,
      wsum = 0;
    for (let k = k0; k < k0 + qb; k++) {
      amax = Math.max(amax, Math.abs(a[m * K + k]!));
      wsum += Math.abs(w[n * K + k]!);
    }
    b += (wsum * amax) / 254;
  }
  return b * 1.001 + 1e-4;
}

/** Σ |a_k · w_k|: the scale of float32 rounding in one output. */
function magnitude(a: Float32Array, w: Float64Array, m: number, n: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.abs(a[m * K + k]! * w[n * K + k]!);
  return s;
}

const cases: Case[] = [
  { bits: 8, bs: 32, M: 1 },
  { bits: 8, bs: 16, M: 3, zp: true },
  { bits: 8, bs: 64, M: 2, bias: true },
  { bits: 4, bs: 32, M: 1, zp: true },
  { bits: 4, bs: 128, M: 5, bias: true },
  { bits: 4, bs: 32, M: 9, zp: true, bias: true },
  // 16 rows and more: dequantised into scratch, then the float GEMM (prefill)
  { bits: 4, bs: 32, M: 20, zp: true, bias: true },
  { bits: 8, bs: 16, M: 17, zp: true, bias: true },
];

/** Registers the suite; `relaxed`: which build of the kernels this process must have loaded. */
export function nbitsSuite(relaxed: boolean): void {
  test(`the ${relaxed ? 'relaxed-SIMD' : 'plain SIMD'} build of the nbits kernels is the one loaded`, async () => {
    assert.equal((await loadKernels(false)).relaxed, relaxed);
    assert.equal((await loadKernels(true)).relaxed, relaxed);
  });
  for (const threads of [1, 2]) {
    test(`MatMulNBits integer kernels, ${threads} thread(s): within the int8 rounding bound, exact on the grid`, async () => {
      for (const [i, c] of cases.entries()) {
        for (const grid of [false, true]) {
          const { graph, a, w } = make(c, 11 + i, grid);
          const ref = await Session.create(graph, { backend: 'reference' });
          const dev = await Session.create(graph, { backend: 'wasm', threads });
          try {
            assert.deepEqual(
              dev.graph.nodes.map((x) => x.op),
              ['ms.MatMulNBits'],
              'kept as one node',
            );
            const want = (await ref.run({ a })).y!.data as Float32Array;
            const got = (await dev.run({ a })).y!.data as Float32Array;
            assert.deepEqual([...dev.fallbacks.keys()], [], 'no fallback');
            const qb = c.bs % 32 === 0 ? 32 : 16;
            for (let m = 0; m < c.M; m++) {
              for (let n = 0; n < N; n++) {
                const d = Math.abs(got[m * N + n]! - want[m * N + n]!);
                const av = a.data as Float32Array;
                const lim = grid ? 1e-6 * magnitude(av, w, m, n) + 1e-5 : bound(av, w, m, n, qb);
                const msg = `${JSON.stringify(c)} grid=${grid} [${m},${n}]: |${got[m * N + n]} - ${want[m * N + n]}| > ${lim}`;
                assert.ok(d <= lim, msg);
              }
            }
          } finally {
            await dev.release();
            await ref.release();
          }
        }
      }
    });
  }
}
