// Run-time code generation for fused elementwise chains (k.map): one expression tree becomes one
// WASM SIMD function, written byte by byte (no binaryen in the bundle). The function walks the
// output as [rows, len] where each input is either a contiguous row (vector loads) or a value
// broadcast along the row (one splat per row), with up to three outer dims of byte strides.
// Polynomial math (exp, erf, tanh, …) is imported from the elementwise kernel module.
// Signature: (tid, nt, rows, len, d1, d2, {ptr, s0, s1, s2} per input, out) — rows split across
// threads, or columns when there are fewer rows than threads.

import { type Expr, linearize } from '../../ops/kernel/expr.js';
import { assembleModule, Bytes, IMPORTED, SIMD } from './codegen-bytes.js';
import { exprEmitter } from './codegen-expr.js';
import { emitThreadSplit } from './codegen-threads.js';

export { exprSupported, SUPPORTED } from './codegen-expr.js';

/** Per input: f32 vector run, f32 broadcast, bool (u8) vector run, bool broadcast. */
export type InputMode = 'v' | 's' | 'bv' | 'bs';

/** A stable key for the code a (expr, input modes) pair needs: the cache key of generated modules. */
export function signatureOf(expr: string, modes: InputMode[], boolOut = false): string {
  return `${expr}|${modes.join(',')}|${boolOut ? 'b' : 'f'}`;
}

/** Module bytes for `expr` over inputs in `modes`; exports `run`, imports env.memory and math.*. */
export function generateMap(expr: Expr, modes: InputMode[], shared: boolean, boolOut = false): Uint8Array<ArrayBuffer> {
  const n = modes.length;
  // imported math functions in first-use order
  const imports: string[] = [];
  const lin = linearize(expr);
  for (const st of lin) if (st.kind === 'call' && IMPORTED[st.fn] && !imports.includes(st.fn)) imports.push(st.fn);

  const nParams = 6 + 4 * n + 1;
  const P = {
    tid: 0,
    nt: 1,
    rows: 2,
    len: 3,
    d1: 4,
    d2: 5,
    ptr: (i: number) => 6 + 4 * i,
    st: (i: number, d: number) => 7 + 4 * i + d,
    out: 6 + 4 * n,
  };
  // i32 locals after params
  let next = nParams;
  const L = {
    r0: next++,
    r1: next++,
    c0: next++,
    c1: next++,
    r: next++,
    j: next++,
    i0: next++,
    i1: next++,
    i2: next++,
    po: next++,
    q: next++,
    rem: next++,
  };
  const pBase = next;
  next += n; // per-input row pointer
  const nI32 = next - nParams;
  const vBase = next;
  next += n; // v128 per input
  const vRes = next++;
  const vStep = next;
  next += lin.length; // one v128 per expression step
  const T0 = next++,
    T1 = next++,
    T2 = next++; // temporaries of the inline math
  const nV = n + 1 + lin.length + 3;

  const c = new Bytes();
  const { emitExpr, emitConst } = exprEmitter({ c, lin, n, vBase, vStep, T0, T1, T2, imports });
  const get = (l: number) => c.op(0x20).u(l);
  const set = (l: number) => c.op(0x21).u(l);
  const i32c = (v: number) => c.op(0x41).s(v);
  const simd = (o: number) => c.op(0xfd).u(o);
  const memarg = (align: number, off = 0) => c.u(align).u(off);

  emitThreadSplit(c, P, L);

  get(L.r0);
  set(L.r);
  c.op(0x03, 0x40); // loop rows
  // i2 = r % d2; t = r / d2; i1 = t % d1; i0 = t / d1
  get(L.r);
  get(P.d2);
  c.op(0x70);
  set(L.i2);
  get(L.r);
  get(P.d2);
  c.op(0x6e);
  set(L.i0);
  get(L.i0);
  get(P.d1);
  c.op(0x70);
  set(L.i1);
  get(L.i0);
  get(P.d1);
  c.op(0x6e);
  set(L.i0);
  for (let i = 0; i < n; i++) {
    get(P.ptr(i));
    get(L.i0);
    get(P.st(i, 0));
    c.op(0x6c);
    c.op(0x6a);
    get(L.i1);
    get(P.st(i, 1));
    c.op(0x6c);
    c.op(0x6a);
    get(L.i2);
    get(P.st(i, 2));
    c.op(0x6c);
    c.op(0x6a);
    set(pBase + i);
    if (modes[i] === 's') {
      get(pBase + i);
      simd(0x09);
      memarg(2);
      set(vBase + i);
    }
    if (modes[i] === 'bs') {
      get(pBase + i);
      c.op(0x2d);
      memarg(0);
      c.op(0xb3);
      simd(0x13);
      set(vBase + i);
    }
  }
  // po = out + r*len*(4 or 1)
  get(P.out);
  get(L.r);
  get(P.len);
  c.op(0x6c);
  if (!boolOut) {
    i32c(2);
    c.op(0x74);
  }
  c.op(0x6a);
  set(L.po);
  get(L.c0);
  set(L.j);
  c.op(0x03, 0x40); // loop cols
  {
    // full = c1 - j >= 4
    const full = () => {
      get(L.c1);
      get(L.j);
      c.op(0x6b);
      i32c(4);
      c.op(0x4e);
    };
    const lanesGt = (k: number) => {
      get(L.c1);
      get(L.j);
      c.op(0x6b);
      i32c(k);
      c.op(0x4a);
    }; // (c1-j) > k
    const addr = (base: number) => {
      get(base);
      get(L.j);
      i32c(2);
      c.op(0x74);
      c.op(0x6a);
    };
    const addrB = (base: number) => {
      get(base);
      get(L.j);
      c.op(0x6a);
    };
    const vecIns = modes
      .map((m, i) => [m, i] as const)
      .filter(([m]) => m === 'v')
      .map(([, i]) => i);
    const boolIns = modes
      .map((m, i) => [m, i] as const)
      .filter(([m]) => m === 'bv')
      .map(([, i]) => i);
    if (vecIns.length || boolIns.length) {
      full();
      c.op(0x04, 0x40);
      for (const i of vecIns) {
        addr(pBase + i);
        simd(0x00);
        memarg(4);
        set(vBase + i);
      }
      // 4 bools: 32-bit load, widen u8 -> u16 -> u32, convert to 0.0 / 1.0
      for (const i of boolIns) {
        addrB(pBase + i);
        simd(0x5c);
        memarg(0);
        simd(0x89);
        simd(0xa9);
        simd(0xfb);
        set(vBase + i);
      }
      c.op(0x05);
      for (const i of boolIns) {
        simd(0x0c);
        c.op(...new Array(16).fill(0));
        addrB(pBase + i);
        c.op(0x2d);
        memarg(0, 0);
        c.op(0xb3);
        simd(0x20);
        c.op(0);
        set(vBase + i);
        for (const k of [1, 2]) {
          lanesGt(k);
          c.op(0x04, 0x40);
          get(vBase + i);
          addrB(pBase + i);
          c.op(0x2d);
          memarg(0, k);
          c.op(0xb3);
          simd(0x20);
          c.op(k);
          set(vBase + i);
          c.op(0x0b);
        }
      }
      for (const i of vecIns) {
        simd(0x0c);
        c.op(...new Array(16).fill(0));
        addr(pBase + i);
        c.op(0x2a);
        memarg(2, 0);
        simd(0x20);
        c.op(0);
        set(vBase + i);
        for (const k of [1, 2]) {
          lanesGt(k);
          c.op(0x04, 0x40);
          get(vBase + i);
          addr(pBase + i);
          c.op(0x2a);
          memarg(2, 4 * k);
          simd(0x20);
          c.op(k);
          set(vBase + i);
          c.op(0x0b);
        }
      }
      c.op(0x0b);
    }
    emitExpr();
    if (boolOut) {
      // bool output: lanes != 0 -> 1, narrowed to bytes
      emitConst(0);
      simd(SIMD.ne!);
      c.op(0x41).s(1);
      simd(0x11);
      simd(0x4e);
      set(vRes);
      full();
      c.op(0x04, 0x40);
      addrB(L.po);
      get(vRes);
      get(vRes);
      simd(0x86);
      get(vRes);
      get(vRes);
      simd(0x86);
      simd(0x66);
      simd(0x5a);
      memarg(0, 0);
      c.op(0);
      c.op(0x05);
      for (const k of [0, 1, 2]) {
        if (k) {
          lanesGt(k);
          c.op(0x04, 0x40);
        }
        addrB(L.po);
        get(vRes);
        simd(0x1b);
        c.op(k);
        c.op(0x3a);
        memarg(0, k);
        if (k) c.op(0x0b);
      }
      c.op(0x0b);
    } else {
      set(vRes);
      full();
      c.op(0x04, 0x40);
      addr(L.po);
      get(vRes);
      simd(0x0b);
      memarg(4);
      c.op(0x05);
      addr(L.po);
      get(vRes);
      simd(0x1f);
      c.op(0);
      c.op(0x38);
      memarg(2, 0);
      for (const k of [1, 2]) {
        lanesGt(k);
        c.op(0x04, 0x40);
        addr(L.po);
        get(vRes);
        simd(0x1f);
        c.op(k);
        c.op(0x38);
        memarg(2, 4 * k);
        c.op(0x0b);
      }
      c.op(0x0b);
    }
    get(L.j);
    i32c(4);
    c.op(0x6a);
    set(L.j);
    get(L.j);
    get(L.c1);
    c.op(0x48);
    c.op(0x0d, 0); // br_if loop cols
  }
  c.op(0x0b);
  get(L.r);
  i32c(1);
  c.op(0x6a);
  set(L.r);
  get(L.r);
  get(L.r1);
  c.op(0x48);
  c.op(0x0d, 0);
  c.op(0x0b);
  c.op(0x0b); // end function

  return assembleModule({ nParams, imports, shared, nI32, nV, code: c });
}
