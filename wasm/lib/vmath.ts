// Vector math on f32x4 shared by the kernel families (compiled into each module that uses it).
// Polynomial approximations with ~1e-7 relative error: well inside the 1e-3/1e-5 conformance
// tolerances, and NaN/Inf propagate as IEEE arithmetic does.

// @ts-ignore: decorator
@inline export function vsplat(x: f32): v128 { return f32x4.splat(x); }

/** exp(x): Cody-Waite range reduction x = n·ln2 + r, then a degree-6 polynomial for e^r. */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  // clamp so 2^n stays finite; beyond these e^x is 0 or +inf in f32 anyway
  const xc = f32x4.min(f32x4.max(x, vsplat(-103.0)), vsplat(88.7));
  const n = f32x4.nearest(f32x4.mul(xc, vsplat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, vsplat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, vsplat(-2.12194440e-4)));
  let p = vsplat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), vsplat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), vsplat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), vsplat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), vsplat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), vsplat(5.0000001201e-1));
  p = f32x4.add(f32x4.mul(f32x4.mul(p, r), r), f32x4.add(r, vsplat(1.0)));
  // 2^n split in two factors so n down to -150 (denormal results) still works
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const h = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(h, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), i32x4.splat(127)), 23);
  let y = f32x4.mul(f32x4.mul(p, s1), s2);
  y = v128.bitselect(vsplat(Infinity), y, f32x4.gt(x, vsplat(88.72283)));
  // NaN in, NaN out
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

/** ln(x): exponent split, mantissa in [sqrt(1/2), sqrt(2)), odd series in s = (m-1)/(m+1). */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  // denormals: scale up by 2^23 first
  const small = f32x4.lt(x, vsplat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, vsplat(8388608.0)), x, small);
  const bits = xs;
  let e = i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(127));
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, vsplat(1.41421356));
  m = v128.bitselect(f32x4.mul(m, vsplat(0.5)), m, big);
  e = i32x4.sub(e, big); // big lanes are -1: e + 1
  let ef = f32x4.convert_i32x4_s(e);
  ef = v128.bitselect(f32x4.sub(ef, vsplat(23.0)), ef, small);
  const s = f32x4.div(f32x4.sub(m, vsplat(1.0)), f32x4.add(m, vsplat(1.0)));
  const s2 = f32x4.mul(s, s);
  let p = vsplat(0.2222222222);
  p = f32x4.add(f32x4.mul(p, s2), vsplat(0.2857142857));
  p = f32x4.add(f32x4.mul(p, s2), vsplat(0.4));
  p = f32x4.add(f32x4.mul(p, s2), vsplat(0.6666666667));
  p = f32x4.add(f32x4.mul(p, s2), vsplat(2.0));
  let y = f32x4.add(f32x4.mul(p, s), f32x4.mul(ef, vsplat(0.69314718056)));
  // log(0) = -inf, log(<0) = NaN, log(inf) = inf, NaN stays
  y = v128.bitselect(vsplat(-Infinity), y, f32x4.eq(x, vsplat(0)));
  y = v128.bitselect(vsplat(NaN), y, f32x4.lt(x, vsplat(0)));
  y = v128.bitselect(x, y, v128.or(f32x4.eq(x, vsplat(Infinity)), f32x4.ne(x, x)));
  return y;
}

// @ts-ignore: decorator
@inline function horner5(z: v128, c0: f32, c1: f32, c2: f32, c3: f32, c4: f32, c5: f32): v128 {
  let p = f32x4.add(f32x4.mul(vsplat(c5), z), vsplat(c4));
  p = f32x4.add(f32x4.mul(p, z), vsplat(c3));
  p = f32x4.add(f32x4.mul(p, z), vsplat(c2));
  p = f32x4.add(f32x4.mul(p, z), vsplat(c1));
  return f32x4.add(f32x4.mul(p, z), vsplat(c0));
}

// Rational fits x·P(x²)/Q(x²), the same as the generated k.map code (src/backends/wasm/codegen.ts):
// erf abs error 3.6e-7 on |x| <= 3.92, tanh rel error 3.4e-7 on |x| <= 9, ±1 beyond.

/** tanh(x) */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const c = f32x4.min(f32x4.max(x, vsplat(-9)), vsplat(9));
  const z = f32x4.mul(c, c);
  const p = f32x4.mul(horner5(z, 1.0, 0.13391757011413574, 0.0035083380062133074, 2.081911952700466e-05, 1.3646217489338142e-08, 0), c);
  const q = horner5(z, 1.0, 0.4672507643699646, 0.025925476104021072, 0.00033064952003769577, 7.895773137533979e-07, 0);
  return f32x4.div(p, q);
}

/** erf(x) */
// @ts-ignore: decorator
@inline export function verf(x: v128): v128 {
  const c = f32x4.min(f32x4.max(x, vsplat(-3.92)), vsplat(3.92));
  const z = f32x4.mul(c, c);
  const p = f32x4.mul(horner5(z, 1.1283791065216064, 0.18923959136009216, 0.05264172703027725, 0.0037295259535312653, 0.00028652913169935346, 2.0908901205984876e-06), c);
  const q = horner5(z, 1.0, 0.5010414719581604, 0.11367049068212509, 0.014893464744091034, 0.0011584466556087136, 3.860120341414586e-05);
  return f32x4.div(p, q);
}

/** sigmoid(x) = 1/(1+e^-x), written so both tails are accurate. */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(vsplat(1.0), f32x4.add(vsplat(1.0), e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, vsplat(0)));
}

/** Activation codes shared by the matmul epilogue and the JS side (src/backends/wasm/kernels.ts). */
export const ACT_NONE: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_GELU: i32 = 2;
export const ACT_GELU_TANH: i32 = 3;
export const ACT_SIGMOID: i32 = 4;
export const ACT_TANH: i32 = 5;
/** x · clamp(x/6 + 1/2, 0, 1) (ONNX HardSwish; MobileNetV3, PP-LCNet) */
export const ACT_HARDSWISH: i32 = 6;

// @ts-ignore: decorator
@inline export function vgelu(x: v128): v128 {
  return f32x4.mul(f32x4.mul(x, vsplat(0.5)), f32x4.add(vsplat(1.0), verf(f32x4.mul(x, vsplat(0.7071067811865476)))));
}

// @ts-ignore: decorator
@inline export function vgeluTanh(x: v128): v128 {
  const inner = f32x4.mul(vsplat(0.7978845608028654), f32x4.add(x, f32x4.mul(vsplat(0.044715), f32x4.mul(x, f32x4.mul(x, x)))));
  return f32x4.mul(f32x4.mul(x, vsplat(0.5)), f32x4.add(vsplat(1.0), vtanh(inner)));
}

// @ts-ignore: decorator
@inline export function vact(x: v128, act: i32): v128 {
  switch (act) {
    case ACT_RELU: return f32x4.max(x, vsplat(0));
    case ACT_GELU: return vgelu(x);
    case ACT_GELU_TANH: return vgeluTanh(x);
    case ACT_SIGMOID: return vsigmoid(x);
    case ACT_TANH: return vtanh(x);
    case ACT_HARDSWISH: return f32x4.mul(x, f32x4.min(f32x4.max(f32x4.add(f32x4.mul(x, vsplat(<f32>1 / 6)), vsplat(0.5)), vsplat(0)), vsplat(1)));
    default: return x;
  }
}
