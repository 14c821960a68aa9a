// Casts: float16 <-> float32 exactly, and the numeric kinds.

/** float16 (bit patterns) to float32, exact. Threads split the range. */
export function f16ToF32(tid: i32, nt: i32, n: i32, x: usize, y: usize): void {
  const i0 = (<i64>n * tid / nt) as i32, i1 = (<i64>n * (tid + 1) / nt) as i32;
  for (let i = i0; i < i1; i++) {
    const h = <u32>load<u16>(x + (<usize>i << 1));
    const sign = (h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    let bits: u32;
    if (e == 0) {
      const v: f32 = <f32>m * <f32>5.9604644775390625e-8; // 2^-24
      bits = reinterpret<u32>(v) | sign;
    } else if (e == 31) bits = sign | 0x7f800000 | (m << 13);
    else bits = sign | ((e + 112) << 23) | (m << 13);
    store<u32>(y + (<usize>i << 2), bits);
  }
}

/** float32 to float16 bit patterns, round to nearest even (as src/ir/float16.ts: NaN becomes 0x7e00 with the sign). */
export function f32ToF16(tid: i32, nt: i32, n: i32, x: usize, y: usize): void {
  const i0 = (<i64>n * tid / nt) as i32, i1 = (<i64>n * (tid + 1) / nt) as i32;
  for (let i = i0; i < i1; i++) {
    const b = load<u32>(x + (<usize>i << 2));
    const sign = (b >> 16) & 0x8000, exp = <i32>((b >> 23) & 0xff);
    let mant = b & 0x7fffff;
    let h: u32;
    let e = exp - 127 + 15;
    if (exp == 0xff) h = sign | 0x7c00 | (mant ? 0x200 : 0);
    else if (e >= 31) h = sign | 0x7c00;
    else if (e <= 0) {
      if (e < -10) h = sign;
      else {
        mant |= 0x800000;
        const shift = <u32>(14 - e);
        const half: u32 = 1 << (shift - 1);
        let r = mant >> shift;
        const rem = mant & ((<u32>1 << shift) - 1);
        if (rem > half || (rem == half && (r & 1))) r++;
        h = sign | r;
      }
    } else {
      let r = mant >> 13;
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) { r++; if (r == 0x400) { r = 0; e++; } }
      h = e >= 31 ? sign | 0x7c00 : sign | (<u32>e << 10) | r;
    }
    store<u16>(y + (<usize>i << 1), <u16>h);
  }
}

// Cast between float32, int32, uint8, int8, bool and int64 with the reference's rules: float to
// integer truncates toward zero (NaN and infinities give 0) and keeps the low bits, as typed-array
// stores do; integers to float32 round to nearest; anything to bool is x != 0.
// Kinds: 0 f32, 1 i32, 2 u8, 3 i8, 4 bool, 5 i64.

// @ts-ignore: decorator
@inline function kindBytes(k: i32): usize { return k == 5 ? 8 : k <= 1 ? 4 : 1; }

export function castNumeric(tid: i32, nt: i32, n: i32, x: usize, from: i32, y: usize, to: i32): void {
  const i0 = (<i64>n * tid / nt) as i32, i1 = (<i64>n * (tid + 1) / nt) as i32;
  const sb = kindBytes(from), db = kindBytes(to);
  for (let i = i0; i < i1; i++) {
    const s = x + <usize>i * sb, d = y + <usize>i * db;
    let f: f64 = 0, q: i64 = 0;
    const isInt = from != 0;
    if (from == 0) f = <f64>load<f32>(s);
    else if (from == 1) q = <i64>load<i32>(s);
    else if (from == 2 || from == 4) q = <i64>load<u8>(s);
    else if (from == 3) q = <i64>load<i8>(s);
    else q = load<i64>(s);
    if (to == 0) { store<f32>(d, isInt ? <f32>q : <f32>f); continue; }
    if (to == 4) { store<u8>(d, isInt ? <u8>(q != 0) : <u8>(f != 0)); continue; }
    // finite and in i64 range (NaN and infinities fail the test): truncate; else 0
    if (!isInt) q = f64.abs(f) < 9.2e18 ? <i64>f64.trunc(f) : 0;
    // int64 saturates at the infinities, as the reference's toBigInt
    if (!isInt && to == 5 && f64.abs(f) == Infinity) q = f > 0 ? i64.MAX_VALUE : i64.MIN_VALUE;
    if (to == 1) store<i32>(d, <i32>q);
    else if (to == 5) store<i64>(d, q);
    else store<u8>(d, <u8>q);
  }
}
