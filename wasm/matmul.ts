// MatMul / Gemm: C = act(alpha·op(A)·op(B) + add1 + add2), batched, f32.
// Goto-style blocking: B packed in NR-wide panels (once, at compile time, for weights), A packed
// per thread in MR-high panels of an MC×KC block that stays in L2, and a 4×8 register-blocked
// micro-kernel (8 f32x4 accumulators: V8 has 15 usable xmm registers, 6×8 already spills).
// Operands are addressed through element strides, so transposed A or B cost nothing extra:
// element (i,k) of A lives at a + 4·(i·rsa + k·csa). M == 1 and N == 1 go to GEMV kernels.

import { vact, vsplat } from './lib/vmath';

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 512;

/** Bytes of per-thread workspace gemm needs: packed A block, packed B block, an edge tile. */
export function workspaceBytes(): i32 { return (MC * KC + KC * NC + MR * NR) * 4; }
export function panelRows(): i32 { return NR; }
export function kBlock(): i32 { return KC; }

// epilogue state for the current call (globals are per instance, so per thread)
let gAlpha: f32 = 1;
let gAdd1: usize = 0; let gRs1: i32 = 0; let gCs1: i32 = 0;
let gAdd2: usize = 0; let gRs2: i32 = 0; let gCs2: i32 = 0;
let gAct: i32 = 0;

// @ts-ignore: decorator
@inline function addVec(p: usize, rs: i32, cs: i32, i: i32, j: i32): v128 {
  if (cs == 1) return v128.load(p + (<usize>(i * rs + j) << 2));
  if (cs == 0) return v128.load32_splat(p + (<usize>(i * rs) << 2));
  let v = f32x4.splat(load<f32>(p + (<usize>(i * rs + j * cs) << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(p + (<usize>(i * rs + (j + 1) * cs) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(p + (<usize>(i * rs + (j + 2) * cs) << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(p + (<usize>(i * rs + (j + 3) * cs) << 2)));
}

// @ts-ignore: decorator
@inline function addScalar(p: usize, rs: i32, cs: i32, i: i32, j: i32): f32 {
  return load<f32>(p + (<usize>(i * rs + j * cs) << 2));
}

// @ts-ignore: decorator
@inline function finish(v: v128, i: i32, j: i32): v128 {
  if (gAlpha != 1) v = f32x4.mul(v, f32x4.splat(gAlpha));
  if (gAdd1) v = f32x4.add(v, addVec(gAdd1, gRs1, gCs1, i, j));
  if (gAdd2) v = f32x4.add(v, addVec(gAdd2, gRs2, gCs2, i, j));
  return gAct ? vact(v, gAct) : v;
}

/** The micro-kernel: a 4×8 tile over kc steps of packed A (4 per step) and packed B (8 per step). */
function tile(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, mr: i32, nr: i32, first: bool, last: bool, i0: i32, j0: i32, tmp: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    if (ASC_FEATURE_RELAXED_SIMD) {
      c00 = f32x4.relaxed_madd(a, b0, c00); c01 = f32x4.relaxed_madd(a, b1, c01);
      a = v128.load32_splat(pa, 4);
      c10 = f32x4.relaxed_madd(a, b0, c10); c11 = f32x4.relaxed_madd(a, b1, c11);
      a = v128.load32_splat(pa, 8);
      c20 = f32x4.relaxed_madd(a, b0, c20); c21 = f32x4.relaxed_madd(a, b1, c21);
      a = v128.load32_splat(pa, 12);
      c30 = f32x4.relaxed_madd(a, b0, c30); c31 = f32x4.relaxed_madd(a, b1, c31);
    } else {
      c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
      a = v128.load32_splat(pa, 4);
      c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
      a = v128.load32_splat(pa, 8);
      c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
      a = v128.load32_splat(pa, 12);
      c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    }
    pa += 16; pb += 32;
  }
  const ldb = <usize>ldc << 2;
  if (mr == MR && nr == NR) {
    // full tile straight into C
    let p = c;
    if (!first) {
      c00 = f32x4.add(c00, v128.load(p)); c01 = f32x4.add(c01, v128.load(p, 16)); p += ldb;
      c10 = f32x4.add(c10, v128.load(p)); c11 = f32x4.add(c11, v128.load(p, 16)); p += ldb;
      c20 = f32x4.add(c20, v128.load(p)); c21 = f32x4.add(c21, v128.load(p, 16)); p += ldb;
      c30 = f32x4.add(c30, v128.load(p)); c31 = f32x4.add(c31, v128.load(p, 16));
      p = c;
    }
    if (last) {
      c00 = finish(c00, i0, j0); c01 = finish(c01, i0, j0 + 4);
      c10 = finish(c10, i0 + 1, j0); c11 = finish(c11, i0 + 1, j0 + 4);
      c20 = finish(c20, i0 + 2, j0); c21 = finish(c21, i0 + 2, j0 + 4);
      c30 = finish(c30, i0 + 3, j0); c31 = finish(c31, i0 + 3, j0 + 4);
    }
    v128.store(p, c00); v128.store(p, c01, 16); p += ldb;
    v128.store(p, c10); v128.store(p, c11, 16); p += ldb;
    v128.store(p, c20); v128.store(p, c21, 16); p += ldb;
    v128.store(p, c30); v128.store(p, c31, 16);
    return;
  }
  // edge tile: through a 4×8 scratch tile, only the valid part reaches C
  v128.store(tmp, c00); v128.store(tmp, c01, 16); v128.store(tmp, c10, 32); v128.store(tmp, c11, 48);
  v128.store(tmp, c20, 64); v128.store(tmp, c21, 80); v128.store(tmp, c30, 96); v128.store(tmp, c31, 112);
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const t = tmp + (<usize>(i * NR + j) << 2);
      let v = load<f32>(t);
      if (!first) v += load<f32>(c + (<usize>(i * ldc + j) << 2));
      if (last) {
        v *= gAlpha;
        if (gAdd1) v += addScalar(gAdd1, gRs1, gCs1, i0 + i, j0 + j);
        if (gAdd2) v += addScalar(gAdd2, gRs2, gCs2, i0 + i, j0 + j);
      }
      store<f32>(t, v);
    }
    if (last && gAct) {
      const r = tmp + (<usize>(i * NR) << 2);
      v128.store(r, vact(v128.load(r), gAct));
      v128.store(r, vact(v128.load(r, 16), gAct), 16);
    }
    for (let j = 0; j < nr; j++) store<f32>(c + (<usize>(i * ldc + j) << 2), load<f32>(tmp + (<usize>(i * NR + j) << 2)));
  }
}

// @ts-ignore: decorator
@inline function transpose4(p0: v128, p1: v128, p2: v128, p3: v128, dst: usize, step: usize): void {
  const t0 = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(p2, p3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(p2, p3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Pack rows [i0, i0+mc) × cols [k0, k0+kc) of A into MR-high panels (zero-padded rows). */
function packA(dst: usize, a: usize, rsa: i32, csa: i32, i0: i32, mc: i32, k0: i32, kc: i32): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const rows = min(MR, mc - ip);
    const base = a + (<usize>((i0 + ip) * rsa + k0 * csa) << 2);
    if (rows == MR && rsa == 1) {
      // A transposed: the 4 rows of one k are adjacent
      for (let k = 0; k < kc; k++) v128.store(dst + (<usize>k << 4), v128.load(base + (<usize>(k * csa) << 2)));
    } else if (rows == MR && csa == 1) {
      const r0 = base, r1 = base + (<usize>rsa << 2), r2 = base + (<usize>(2 * rsa) << 2), r3 = base + (<usize>(3 * rsa) << 2);
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        transpose4(v128.load(r0 + o), v128.load(r1 + o), v128.load(r2 + o), v128.load(r3 + o), dst + (<usize>k << 4), 16);
      }
      for (; k < kc; k++) {
        const o = <usize>k << 2, d = dst + (<usize>k << 4);
        store<f32>(d, load<f32>(r0 + o)); store<f32>(d, load<f32>(r1 + o), 4);
        store<f32>(d, load<f32>(r2 + o), 8); store<f32>(d, load<f32>(r3 + o), 12);
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < MR; r++) {
          const v: f32 = r < rows ? load<f32>(base + (<usize>(r * rsa + k * csa) << 2)) : 0;
          store<f32>(dst + (<usize>(k * MR + r) << 2), v);
        }
      }
    }
    dst += <usize>(kc * MR) << 2;
  }
}

/** Pack rows [k0, k0+kc) × cols [j0, j0+nc) of B into NR-wide panels (zero-padded columns). */
function packB(dst: usize, b: usize, rsb: i32, csb: i32, k0: i32, kc: i32, j0: i32, nc: i32): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const cols = min(NR, nc - jp);
    const base = b + (<usize>(k0 * rsb + (j0 + jp) * csb) << 2);
    if (cols == NR && csb == 1) {
      for (let k = 0; k < kc; k++) {
        const s = base + (<usize>(k * rsb) << 2), d = dst + (<usize>k << 5);
        v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16);
      }
    } else if (cols == NR && rsb == 1) {
      // B transposed (a [N,K] weight): each column is contiguous in k
      const c = <usize>csb << 2;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = base + (<usize>k << 2), d = dst + (<usize>k << 5);
        transpose4(v128.load(o), v128.load(o + c), v128.load(o + 2 * c), v128.load(o + 3 * c), d, 32);
        transpose4(v128.load(o + 4 * c), v128.load(o + 5 * c), v128.load(o + 6 * c), v128.load(o + 7 * c), d + 16, 32);
      }
      for (; k < kc; k++) {
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>(k * NR + j) << 2), load<f32>(base + (<usize>(k + j * csb) << 2)));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let j = 0; j < NR; j++) {
          const v: f32 = j < cols ? load<f32>(base + (<usize>(k * rsb + j * csb) << 2)) : 0;
          store<f32>(dst + (<usize>(k * NR + j) << 2), v);
        }
      }
    }
    dst += <usize>(kc * NR) << 2;
  }
}

/** Floats a packed copy of a K×N operand takes. */
export function packedSize(K: i32, N: i32): i32 { return K * ((N + NR - 1) / NR) * NR; }

/** Pack a whole K×N B (a weight) once: KC-row blocks, each a run of NR-wide panels. Threads split blocks. */
export function packWeight(tid: i32, nt: i32, K: i32, N: i32, b: usize, rsb: i32, csb: i32, dst: usize): void {
  const npad = ((N + NR - 1) / NR) * NR;
  let blk = 0;
  for (let pc = 0; pc < K; pc += KC) {
    if (blk++ % nt == tid) packB(dst + (<usize>(pc * npad) << 2), b, rsb, csb, pc, min(KC, K - pc), 0, N);
  }
}

function setEpilogue(alpha: f32, add1: usize, rs1: i32, cs1: i32, add2: usize, rs2: i32, cs2: i32, act: i32): void {
  gAlpha = alpha; gAdd1 = add1; gRs1 = rs1; gCs1 = cs1; gAdd2 = add2; gRs2 = rs2; gCs2 = cs2; gAct = act;
}

/**
 * Batched GEMM, one thread's share. Strides are in elements; bs* are batch strides. `packed` means
 * b is the output of packWeight. add1/add2 (0 = none) are addends broadcast through their strides
 * (bias, residual, Gemm's beta·C already scaled). Thread t uses workspace wsBase + t·wsStride.
 */
export function gemm(
  tid: i32, nt: i32, M: i32, N: i32, K: i32, batch: i32,
  a: usize, rsa: i32, csa: i32, bsa: i32,
  b: usize, rsb: i32, csb: i32, bsb: i32, packed: i32,
  c: usize, ldc: i32, bsc: i32,
  alpha: f32, add1: usize, rs1: i32, cs1: i32, bs1: i32, add2: usize, rs2: i32, cs2: i32, bs2: i32, act: i32,
  wsBase: usize, wsStride: i32,
): void {
  setEpilogue(alpha, add1, rs1, cs1, add2, rs2, cs2, act);
  const ws = wsBase + <usize>tid * wsStride;
  const panels = (N + NR - 1) / NR;
  const npad = panels * NR;
  // split batches first, then column panels, then rows
  let b0 = 0, b1 = batch, p0 = 0, p1 = panels, m0 = 0, m1 = M;
  if (batch >= nt) { b0 = batch * tid / nt; b1 = batch * (tid + 1) / nt; }
  else if (panels >= 2 * nt || M < 2 * MR * nt) { p0 = panels * tid / nt; p1 = panels * (tid + 1) / nt; }
  else { const rb = (M + MR - 1) / MR; m0 = (rb * tid / nt) * MR; m1 = min(M, (rb * (tid + 1) / nt) * MR); }
  if (b0 >= b1 || p0 >= p1 || m0 >= m1) return;
  const wsA = ws, wsB = ws + (<usize>(MC * KC) << 2), tmp = wsB + (<usize>(KC * NC) << 2);
  const ncp = NC / NR;
  for (let bi = b0; bi < b1; bi++) {
    const ab = a + (<usize>(bi * bsa) << 2), bb = b + (<usize>(bi * bsb) << 2), cb = c + (<usize>(bi * bsc) << 2);
    gAdd1 = add1 ? add1 + (<usize>(bi * bs1) << 2) : 0;
    gAdd2 = add2 ? add2 + (<usize>(bi * bs2) << 2) : 0;
    for (let jc = p0; jc < p1; jc += ncp) {
      const jce = min(jc + ncp, p1);
      let pc = 0;
      do {
        const kcb = min(KC, K - pc);
        const first = pc == 0, last = pc + kcb >= K;
        if (!packed) packB(wsB, bb, rsb, csb, pc, kcb, jc * NR, min(N, jce * NR) - jc * NR);
        for (let ic = m0; ic < m1; ic += MC) {
          const mcb = min(MC, m1 - ic);
          packA(wsA, ab, rsa, csa, ic, mcb, pc, kcb);
          for (let jp = jc; jp < jce; jp++) {
            const pb = packed ? bb + (<usize>(pc * npad + jp * NR * kcb) << 2) : wsB + (<usize>((jp - jc) * NR * kcb) << 2);
            const nr = min(NR, N - jp * NR);
            for (let ir = 0; ir < mcb; ir += MR) {
              tile(kcb, wsA + (<usize>(ir * kcb) << 2), pb, cb + (<usize>((ic + ir) * ldc + jp * NR) << 2), ldc,
                min(MR, mcb - ir), nr, first, last, ic + ir, jp * NR, tmp);
            }
          }
        }
        pc += kcb;
      } while (pc < K);
    }
  }
}

// @ts-ignore: decorator
@inline function finishRow(v: v128, j: i32): v128 { return finish(v, 0, j); }

// @ts-ignore: decorator
@inline function finishScalar(v: f32, j: i32): f32 {
  v *= gAlpha;
  if (gAdd1) v += addScalar(gAdd1, gRs1, gCs1, 0, j);
  if (gAdd2) v += addScalar(gAdd2, gRs2, gCs2, 0, j);
  if (gAct) v = f32x4.extract_lane(vact(f32x4.splat(v), gAct), 0);
  return v;
}

/**
 * y[j] = epi(Σk x[k]·W[k,j]) for W row-major (element (k,j) at w + 4·(k·rsw + j)): streams W once,
 * 32 columns of accumulators per pass. Threads split columns. Batched with strides.
 */
export function gemvN(tid: i32, nt: i32, N: i32, K: i32, batch: i32, x: usize, incx: i32, bsx: i32, w: usize, rsw: i32, bsw: i32, y: usize, bsy: i32,
  alpha: f32, add1: usize, cs1: i32, bs1: i32, add2: usize, cs2: i32, bs2: i32, act: i32): void {
  setEpilogue(alpha, add1, 0, cs1, add2, 0, cs2, act);
  const chunks = (N + 31) / 32;
  const total = chunks * batch;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const bi = t / chunks, j0 = (t % chunks) * 32;
    const xb = x + (<usize>(bi * bsx) << 2), wb = w + (<usize>(bi * bsw) << 2), yb = y + (<usize>(bi * bsy) << 2);
    gAdd1 = add1 ? add1 + (<usize>(bi * bs1) << 2) : 0;
    gAdd2 = add2 ? add2 + (<usize>(bi * bs2) << 2) : 0;
    if (j0 + 32 <= N) {
      let a0 = vsplat(0), a1 = vsplat(0), a2 = vsplat(0), a3 = vsplat(0), a4 = vsplat(0), a5 = vsplat(0), a6 = vsplat(0), a7 = vsplat(0);
      let p = wb + (<usize>j0 << 2);
      const step = <usize>rsw << 2;
      for (let k = 0; k < K; k++) {
        const s = v128.load32_splat(xb + (<usize>(k * incx) << 2));
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p))); a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(p, 32))); a3 = f32x4.add(a3, f32x4.mul(s, v128.load(p, 48)));
        a4 = f32x4.add(a4, f32x4.mul(s, v128.load(p, 64))); a5 = f32x4.add(a5, f32x4.mul(s, v128.load(p, 80)));
        a6 = f32x4.add(a6, f32x4.mul(s, v128.load(p, 96))); a7 = f32x4.add(a7, f32x4.mul(s, v128.load(p, 112)));
        p += step;
      }
      const o = yb + (<usize>j0 << 2);
      v128.store(o, finishRow(a0, j0)); v128.store(o, finishRow(a1, j0 + 4), 16);
      v128.store(o, finishRow(a2, j0 + 8), 32); v128.store(o, finishRow(a3, j0 + 12), 48);
      v128.store(o, finishRow(a4, j0 + 16), 64); v128.store(o, finishRow(a5, j0 + 20), 80);
      v128.store(o, finishRow(a6, j0 + 24), 96); v128.store(o, finishRow(a7, j0 + 28), 112);
    } else {
      for (let j = j0; j < N; j++) {
        let s: f32 = 0;
        for (let k = 0; k < K; k++) s += load<f32>(xb + (<usize>(k * incx) << 2)) * load<f32>(wb + (<usize>(k * rsw + j) << 2));
        store<f32>(yb + (<usize>j << 2), finishScalar(s, j));
      }
    }
  }
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2)), 0);
}

/**
 * y[j] = epi(Σk x[k]·W[k,j]) for W column-major (element (k,j) at w + 4·(k + j·csw)): dot products
 * over contiguous columns, 4 columns at a time. x must be contiguous. Threads split columns.
 */
export function gemvT(tid: i32, nt: i32, N: i32, K: i32, batch: i32, x: usize, bsx: i32, w: usize, csw: i32, bsw: i32, y: usize, bsy: i32,
  alpha: f32, add1: usize, cs1: i32, bs1: i32, add2: usize, cs2: i32, bs2: i32, act: i32): void {
  setEpilogue(alpha, add1, 0, cs1, add2, 0, cs2, act);
  const quads = (N + 3) / 4;
  const total = quads * batch;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  const k4 = K & ~3;
  for (let t = t0; t < t1; t++) {
    const bi = t / quads, j0 = (t % quads) * 4;
    const xb = x + (<usize>(bi * bsx) << 2), wb = w + (<usize>(bi * bsw) << 2), yb = y + (<usize>(bi * bsy) << 2);
    gAdd1 = add1 ? add1 + (<usize>(bi * bs1) << 2) : 0;
    gAdd2 = add2 ? add2 + (<usize>(bi * bs2) << 2) : 0;
    const nj = min(4, N - j0);
    const c0 = wb + (<usize>(j0 * csw) << 2);
    const cs = <usize>csw << 2;
    const c1 = nj > 1 ? c0 + cs : c0, c2 = nj > 2 ? c0 + 2 * cs : c0, c3 = nj > 3 ? c0 + 3 * cs : c0;
    let s0 = vsplat(0), s1 = vsplat(0), s2 = vsplat(0), s3 = vsplat(0);
    for (let k = 0; k < k4; k += 4) {
      const o = <usize>k << 2;
      const xv = v128.load(xb + o);
      s0 = f32x4.add(s0, f32x4.mul(xv, v128.load(c0 + o)));
      s1 = f32x4.add(s1, f32x4.mul(xv, v128.load(c1 + o)));
      s2 = f32x4.add(s2, f32x4.mul(xv, v128.load(c2 + o)));
      s3 = f32x4.add(s3, f32x4.mul(xv, v128.load(c3 + o)));
    }
    let r0 = hsum(s0), r1 = hsum(s1), r2 = hsum(s2), r3 = hsum(s3);
    for (let k = k4; k < K; k++) {
      const o = <usize>k << 2;
      const xv = load<f32>(xb + o);
      r0 += xv * load<f32>(c0 + o); r1 += xv * load<f32>(c1 + o); r2 += xv * load<f32>(c2 + o); r3 += xv * load<f32>(c3 + o);
    }
    store<f32>(yb + (<usize>j0 << 2), finishScalar(r0, j0));
    if (nj > 1) store<f32>(yb + (<usize>(j0 + 1) << 2), finishScalar(r1, j0 + 1));
    if (nj > 2) store<f32>(yb + (<usize>(j0 + 2) << 2), finishScalar(r2, j0 + 2));
    if (nj > 3) store<f32>(yb + (<usize>(j0 + 3) << 2), finishScalar(r3, j0 + 3));
  }
}

/** y = epi(x · B) for a packed B (packWeight layout), M == 1: streams the panels. Threads split panels. */
export function gemvPacked(tid: i32, nt: i32, N: i32, K: i32, x: usize, incx: i32, bp: usize, y: usize,
  alpha: f32, add1: usize, cs1: i32, add2: usize, cs2: i32, act: i32, tmp: usize): void {
  setEpilogue(alpha, add1, 0, cs1, add2, 0, cs2, act);
  const panels = (N + NR - 1) / NR;
  const npad = panels * NR;
  const q0 = panels * tid / nt, q1 = panels * (tid + 1) / nt;
  for (let jp = q0; jp < q1; jp++) {
    let a0 = vsplat(0), a1 = vsplat(0), e0 = vsplat(0), e1 = vsplat(0);
    for (let pc = 0; pc < K; pc += KC) {
      const kcb = min(KC, K - pc);
      let p = bp + (<usize>(pc * npad + jp * NR * kcb) << 2);
      let k = 0;
      for (; k + 2 <= kcb; k += 2) {
        const s = v128.load32_splat(x + (<usize>((pc + k) * incx) << 2));
        const t = v128.load32_splat(x + (<usize>((pc + k + 1) * incx) << 2));
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p))); a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
        e0 = f32x4.add(e0, f32x4.mul(t, v128.load(p, 32))); e1 = f32x4.add(e1, f32x4.mul(t, v128.load(p, 48)));
        p += 64;
      }
      if (k < kcb) {
        const s = v128.load32_splat(x + (<usize>((pc + k) * incx) << 2));
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p))); a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
      }
    }
    a0 = f32x4.add(a0, e0); a1 = f32x4.add(a1, e1);
    const j0 = jp * NR;
    if (j0 + NR <= N) {
      v128.store(y + (<usize>j0 << 2), finishRow(a0, j0));
      v128.store(y + (<usize>j0 << 2), finishRow(a1, j0 + 4), 16);
    } else {
      v128.store(tmp, a0); v128.store(tmp, a1, 16);
      for (let j = j0; j < N; j++) store<f32>(y + (<usize>j << 2), finishScalar(load<f32>(tmp + (<usize>(j - j0) << 2)), j));
    }
  }
}

/** Floats of the GEMV layout of a K×N operand: 16-column panels, each a contiguous K×16 run. */
export function gemvPackedSize(K: i32, N: i32): i32 { return K * ((N + 15) / 16) * 16; }

/** Pack a K×N weight for M == 1 products: 16-wide panels with the whole K contiguous (one stream per panel). */
export function packGemv(tid: i32, nt: i32, K: i32, N: i32, b: usize, rsb: i32, csb: i32, dst: usize): void {
  const panels = (N + 15) / 16;
  const q0 = panels * tid / nt, q1 = panels * (tid + 1) / nt;
  for (let p = q0; p < q1; p++) {
    const d = dst + (<usize>(p * K * 16) << 2);
    const j0 = p * 16, cols = min(16, N - j0);
    for (let k = 0; k < K; k++) {
      const o = d + (<usize>(k * 16) << 2);
      if (cols == 16 && csb == 1) {
        const s = b + (<usize>(k * rsb + j0) << 2);
        v128.store(o, v128.load(s)); v128.store(o, v128.load(s, 16), 16);
        v128.store(o, v128.load(s, 32), 32); v128.store(o, v128.load(s, 48), 48);
      } else {
        for (let j = 0; j < 16; j++) store<f32>(o + (<usize>j << 2), j < cols ? load<f32>(b + (<usize>(k * rsb + (j0 + j) * csb) << 2)) : 0);
      }
    }
  }
}

/** y = epi(x · B) for B in the packGemv layout: each 16-column panel is one contiguous stream. */
export function gemv16(tid: i32, nt: i32, N: i32, K: i32, x: usize, incx: i32, bp: usize, y: usize,
  alpha: f32, add1: usize, cs1: i32, add2: usize, cs2: i32, act: i32, tmp: usize): void {
  setEpilogue(alpha, add1, 0, cs1, add2, 0, cs2, act);
  const panels = (N + 15) / 16;
  const q0 = panels * tid / nt, q1 = panels * (tid + 1) / nt;
  const t = tmp + (<usize>tid << 6);
  for (let p = q0; p < q1; p++) {
    let a0 = vsplat(0), a1 = vsplat(0), a2 = vsplat(0), a3 = vsplat(0);
    let e0 = vsplat(0), e1 = vsplat(0), e2 = vsplat(0), e3 = vsplat(0);
    let w = bp + (<usize>(p * K * 16) << 2);
    let xp = x;
    const xs = <usize>incx << 2;
    let k = 0;
    for (; k + 2 <= K; k += 2) {
      const s = v128.load32_splat(xp), u = v128.load32_splat(xp + xs);
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(w))); a1 = f32x4.add(a1, f32x4.mul(s, v128.load(w, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(w, 32))); a3 = f32x4.add(a3, f32x4.mul(s, v128.load(w, 48)));
      e0 = f32x4.add(e0, f32x4.mul(u, v128.load(w, 64))); e1 = f32x4.add(e1, f32x4.mul(u, v128.load(w, 80)));
      e2 = f32x4.add(e2, f32x4.mul(u, v128.load(w, 96))); e3 = f32x4.add(e3, f32x4.mul(u, v128.load(w, 112)));
      w += 128; xp += 2 * xs;
    }
    if (k < K) {
      const s = v128.load32_splat(xp);
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(w))); a1 = f32x4.add(a1, f32x4.mul(s, v128.load(w, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(w, 32))); a3 = f32x4.add(a3, f32x4.mul(s, v128.load(w, 48)));
    }
    a0 = f32x4.add(a0, e0); a1 = f32x4.add(a1, e1); a2 = f32x4.add(a2, e2); a3 = f32x4.add(a3, e3);
    const j0 = p * 16;
    if (j0 + 16 <= N) {
      const o = y + (<usize>j0 << 2);
      v128.store(o, finishRow(a0, j0)); v128.store(o, finishRow(a1, j0 + 4), 16);
      v128.store(o, finishRow(a2, j0 + 8), 32); v128.store(o, finishRow(a3, j0 + 12), 48);
    } else {
      v128.store(t, a0); v128.store(t, a1, 16); v128.store(t, a2, 32); v128.store(t, a3, 48);
      for (let j = j0; j < N; j++) store<f32>(y + (<usize>j << 2), finishScalar(load<f32>(t + (<usize>(j - j0) << 2)), j));
    }
  }
}
