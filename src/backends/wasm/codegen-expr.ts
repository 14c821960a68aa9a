// Expression emission for the run-time generated k.map kernels: each step of the linearized tree
// becomes f32x4 code on the stack (inline polynomial exp/erf/tanh/sigmoid, imported log, softplus
// and pow), its result kept in one v128 local per step.

// Rational fits x·P(x²)/Q(x²) (fitted for this project by weighted least squares; f32 max error
// 3.6e-7 absolute for erf on |x| <= 3.92, 3.4e-7 relative for tanh on |x| <= 9; beyond, ±1).
export const ERF_P = [
  1.1283791065216064, 0.18923959136009216, 0.05264172703027725, 0.0037295259535312653, 0.00028652913169935346,
  2.0908901205984876e-6,
];
export const ERF_Q = [
  1.0, 0.5010414719581604, 0.11367049068212509, 0.014893464744091034, 0.0011584466556087136, 3.860120341414586e-5,
];
export const TANH_P = [1.0, 0.13391757011413574, 0.0035083380062133074, 2.081911952700466e-5, 1.3646217489338142e-8];
export const TANH_Q = [1.0, 0.4672507643699646, 0.025925476104021072, 0.00033064952003769577, 7.895773137533979e-7];
// e^r on |r| <= ln2/2 (Taylor-like minimax terms after the 1 + r)
export const EXP_C = [
  1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
];

/** Functions of the shared expression language this generator implements. */
export const SUPPORTED = new Set([
  'neg',
  'abs',
  'sqrt',
  'rsqrt',
  'recip',
  'exp',
  'log',
  'tanh',
  'sigmoid',
  'softplus',
  'erf',
  'relu',
  'floor',
  'ceil',
  'round',
  'sign',
  'not',
  'isnan',
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'max',
  'min',
  'eq',
  'lt',
  'le',
  'gt',
  'ge',
  'and',
  'or',
  'xor',
  'select',
  'clamp',
]);
export function exprSupported(e: Expr): boolean {
  return e.kind !== 'call' || (SUPPORTED.has(e.fn) && e.args.every(exprSupported));
}

import type { Expr, Step } from '../../ops/kernel/expr.js';
import { type Bytes, IMPORTED, SIMD } from './codegen-bytes.js';

export interface ExprEmitContext {
  c: Bytes;
  lin: Step[];
  /** Number of inputs; input i's vector is in local vBase + i. */
  n: number;
  vBase: number;
  /** Step k's result goes to local vStep + k. */
  vStep: number;
  /** v128 temporaries of the inline math. */
  T0: number;
  T1: number;
  T2: number;
  imports: string[];
}

/** Emitters of the whole expression (leaves the result on the stack) and of an f32x4 constant. */
export function exprEmitter(k: ExprEmitContext): { emitExpr(): void; emitConst(v: number): void } {
  const { c, lin, n, vBase, vStep, T0, T1, T2, imports } = k;
  const get = (l: number) => c.op(0x20).u(l);
  const set = (l: number) => c.op(0x21).u(l);
  const simd = (o: number) => c.op(0xfd).u(o);
  const F = {
    mul: () => simd(SIMD.mul!),
    add: () => simd(SIMD.add!),
    sub: () => simd(SIMD.sub!),
    div: () => simd(SIMD.div!),
    min: () => simd(SIMD.min!),
    max: () => simd(SIMD.max!),
  };

  function emitConst(v: number): void {
    const f = new Float32Array([v, v, v, v]);
    simd(0x0c);
    c.op(...new Uint8Array(f.buffer));
  }
  /** mask (all ones / zeros per lane) -> 1.0 / 0.0 */
  function maskToNum(): void {
    emitConst(1);
    simd(0x4e);
  }
  /** number -> mask of lanes != 0 */
  function nonzero(): void {
    emitConst(0);
    simd(SIMD.ne!);
  }
  /** poly(z) in Horner form, z in local zl, coefficients low to high. */
  function horner(cs: number[], zl: number): void {
    emitConst(cs[cs.length - 1]!);
    for (let k = cs.length - 2; k >= 0; k--) {
      get(zl);
      F.mul();
      emitConst(cs[k]!);
      F.add();
    }
  }
  /** x·P(x²)/Q(x²) with x clamped to ±lim; consumes the stack top. */
  function rational(lim: number, P: number[], Q: number[]): void {
    emitConst(-lim);
    F.max();
    emitConst(lim);
    F.min();
    set(T0);
    get(T0);
    get(T0);
    F.mul();
    set(T1);
    horner(P, T1);
    get(T0);
    F.mul();
    horner(Q, T1);
    F.div();
  }
  /** e^x inline: x = n·ln2 + r, 2^n built in the exponent bits; consumes the stack top. */
  function emitExp(): void {
    c.op(0x22).u(T2); // tee: the original x, for the overflow select
    emitConst(-87.33654);
    F.max();
    emitConst(88.72283);
    F.min();
    set(T0);
    get(T0);
    emitConst(Math.LOG2E);
    F.mul();
    simd(SIMD.round!);
    set(T1);
    get(T0);
    get(T1);
    emitConst(0.693359375);
    F.mul();
    F.sub();
    get(T1);
    emitConst(-2.1219444e-4);
    F.mul();
    F.sub();
    set(T0);
    horner(EXP_C.slice().reverse(), T0);
    get(T0);
    F.mul();
    get(T0);
    F.mul();
    get(T0);
    F.add();
    emitConst(1);
    F.add();
    // × 2^(n-1) × 2, so n = 128 (results near FLT_MAX) stays finite when it should
    get(T1);
    simd(0xf8);
    c.op(0x41).s(126);
    simd(0x11);
    simd(0xae);
    c.op(0x41).s(23);
    simd(0xab);
    F.mul();
    emitConst(2);
    F.mul();
    set(T0);
    emitConst(Infinity);
    get(T0);
    get(T2);
    emitConst(88.72283);
    simd(SIMD.gt!);
    simd(0x52);
  }
  function emitExpr(): void {
    lin.forEach((st, k) => {
      if (st.kind === 'in') {
        if (st.index >= n) throw new Error(`k.map expression uses $${st.index} but has ${n} inputs`);
        get(vBase + st.index);
      } else if (st.kind === 'const') emitConst(st.value);
      else {
        const a = (i: number) => get(vStep + st.args[i]!);
        switch (st.fn) {
          case 'relu':
            a(0);
            emitConst(0);
            simd(SIMD.max!);
            break;
          case 'exp':
            a(0);
            emitExp();
            break;
          case 'erf':
            a(0);
            rational(3.92, ERF_P, ERF_Q);
            break;
          case 'tanh':
            a(0);
            rational(9, TANH_P, TANH_Q);
            break;
          case 'sigmoid':
            a(0);
            emitConst(0.5);
            F.mul();
            rational(9, TANH_P, TANH_Q);
            emitConst(0.5);
            F.mul();
            emitConst(0.5);
            F.add();
            break;
          case 'recip':
            emitConst(1);
            a(0);
            simd(SIMD.div!);
            break;
          case 'rsqrt':
            emitConst(1);
            a(0);
            simd(SIMD.sqrt!);
            simd(SIMD.div!);
            break;
          case 'select':
            a(1);
            a(2);
            a(0);
            nonzero();
            simd(0x52);
            break;
          case 'clamp': // select(x<lo, lo, select(x>hi, hi, x))
            a(1);
            a(2);
            a(0);
            a(0);
            a(2);
            simd(SIMD.gt!);
            simd(0x52);
            a(0);
            a(1);
            simd(SIMD.lt!);
            simd(0x52);
            break;
          case 'sign':
            emitConst(1);
            emitConst(-1);
            a(0);
            a(0);
            emitConst(0);
            simd(SIMD.lt!);
            simd(0x52);
            a(0);
            emitConst(0);
            simd(SIMD.gt!);
            simd(0x52);
            break;
          case 'not':
            a(0);
            emitConst(0);
            simd(SIMD.eq!);
            maskToNum();
            break;
          case 'isnan':
            a(0);
            a(0);
            simd(SIMD.ne!);
            maskToNum();
            break;
          case 'and':
            a(0);
            nonzero();
            a(1);
            nonzero();
            simd(0x4e);
            maskToNum();
            break;
          case 'or':
            a(0);
            nonzero();
            a(1);
            nonzero();
            simd(0x50);
            maskToNum();
            break;
          case 'xor':
            a(0);
            nonzero();
            a(1);
            nonzero();
            simd(0x51);
            maskToNum();
            break;
          case 'eq':
          case 'lt':
          case 'le':
          case 'gt':
          case 'ge':
            a(0);
            a(1);
            simd(SIMD[st.fn]!);
            maskToNum();
            break;
          default: {
            st.args.forEach((_, i) => a(i));
            if (IMPORTED[st.fn]) c.op(0x10).u(imports.indexOf(st.fn));
            else if (SIMD[st.fn] !== undefined) simd(SIMD[st.fn]!);
            else throw new Error(`k.map: no WASM code for '${st.fn}'`);
          }
        }
      }
      set(vStep + k);
    });
    get(vStep + lin.length - 1);
  }

  return { emitExpr, emitConst };
}
