// Narrow float formats held as their bit patterns: bfloat16, the four float8 formats of ONNX
// (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ), the exponent-only E8M0 and the 4-bit E2M1.
//
// Conversion to a narrow format first rounds to float32 (the ONNX reference casts there first),
// then rounds to nearest, ties to even, onto the format's grid. Out of range values follow the
// ONNX Cast table: with `saturate` they clamp to the largest finite value (infinities too); without,
// they become infinity where the format has one, else NaN.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bf16ToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** float32 bits rounded to the upper 16 (ties to even); NaN stays a quiet NaN. */
export function f32ToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) & 0x8000) | 0x7fc0;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** A sign-exponent-mantissa format of at most 8 bits. */
interface MiniFormat {
  ebits: number;
  mbits: number;
  bias: number;
  /** ieee: top exponent holds inf and NaN; fn: only all-ones is NaN; uz: 0x80 is NaN (no -0); none: no NaN. */
  special: 'ieee' | 'fn' | 'uz' | 'none';
}

const FORMATS = {
  float8e4m3fn: { ebits: 4, mbits: 3, bias: 7, special: 'fn' },
  float8e4m3fnuz: { ebits: 4, mbits: 3, bias: 8, special: 'uz' },
  float8e5m2: { ebits: 5, mbits: 2, bias: 15, special: 'ieee' },
  float8e5m2fnuz: { ebits: 5, mbits: 2, bias: 16, special: 'uz' },
  float4e2m1: { ebits: 2, mbits: 1, bias: 1, special: 'none' },
} satisfies Record<string, MiniFormat>;

export type MiniFloatName = keyof typeof FORMATS;

const signBit = (f: MiniFormat) => 1 << (f.ebits + f.mbits);

/** Largest finite value and its bit pattern. */
function maxFinite(f: MiniFormat): { value: number; bits: number } {
  const emax = (1 << f.ebits) - 1;
  const mmax = (1 << f.mbits) - 1;
  // ieee formats keep the top exponent for inf/NaN; fn keeps only the all-ones pattern for NaN
  const [e, m] = f.special === 'ieee' ? [emax - 1, mmax] : f.special === 'fn' ? [emax, mmax - 1] : [emax, mmax];
  return { value: (1 + m / (1 << f.mbits)) * 2 ** (e - f.bias), bits: (e << f.mbits) | m };
}

function nanBits(f: MiniFormat): number {
  const all = (1 << (f.ebits + f.mbits)) - 1;
  switch (f.special) {
    case 'ieee':
      return all; // exponent all ones, mantissa all ones
    case 'fn':
      return all;
    case 'uz':
      return signBit(f);
    default:
      return 0; // no NaN: the ONNX test data gives 0
  }
}

function decodeMini(f: MiniFormat, bits: number): number {
  const sb = signBit(f);
  if (f.special === 'uz' && bits === sb) return NaN;
  const sign = bits & sb ? -1 : 1;
  const e = (bits >> f.mbits) & ((1 << f.ebits) - 1);
  const m = bits & ((1 << f.mbits) - 1);
  const emax = (1 << f.ebits) - 1;
  if (f.special === 'ieee' && e === emax) return m ? NaN : sign * Infinity;
  if (f.special === 'fn' && e === emax && m === (1 << f.mbits) - 1) return NaN;
  if (e === 0) return sign * m * 2 ** (1 - f.bias - f.mbits);
  return sign * (1 + m / (1 << f.mbits)) * 2 ** (e - f.bias);
}

/** Round half to even of a non-negative double. */
function rne(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function encodeMini(f: MiniFormat, v: number, saturate: boolean): number {
  const sb = signBit(f);
  const max = maxFinite(f);
  v = Math.fround(v);
  if (Number.isNaN(v)) return nanBits(f);
  const neg = v < 0 || Object.is(v, -0);
  const sign = neg ? sb : 0;
  const a = Math.abs(v);
  const overflow = (): number => {
    if (saturate || f.special === 'none') return (neg ? sb : 0) | max.bits;
    if (f.special === 'ieee') return sign | (((1 << f.ebits) - 1) << f.mbits);
    return f.special === 'uz' ? nanBits(f) : sign | nanBits(f);
  };
  if (a === Infinity) return overflow();
  const emin = 1 - f.bias;
  let e = a > 0 ? Math.floor(Math.log2(a)) : emin;
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  if (e < emin) e = emin;
  const ulp = 2 ** (e - f.mbits);
  const r = rne(a / ulp) * ulp;
  if (r > max.value) return overflow();
  if (r === 0) return f.special === 'uz' ? 0 : sign; // fnuz has no negative zero (0x80 is NaN)
  if (r < 2 ** emin) return sign | (r / 2 ** (emin - f.mbits));
  let re = Math.floor(Math.log2(r));
  if (2 ** re > r) re--;
  const m = (r / 2 ** re - 1) * (1 << f.mbits);
  return sign | ((re + f.bias) << f.mbits) | m;
}

/** Tables of every bit pattern's value, built once per format (at most 256 entries). */
const DECODE_TABLES = new Map<MiniFloatName, Float64Array>();

export function miniDecoder(name: MiniFloatName): Float64Array {
  let t = DECODE_TABLES.get(name);
  if (!t) {
    const f = FORMATS[name];
    t = new Float64Array(1 << (f.ebits + f.mbits + 1));
    for (let b = 0; b < t.length; b++) t[b] = decodeMini(f, b);
    DECODE_TABLES.set(name, t);
  }
  return t;
}

export function miniEncode(name: MiniFloatName, v: number, saturate = true): number {
  return encodeMini(FORMATS[name], v, saturate);
}

// ---- E8M0: an unsigned power of two 2^(bits - 127); 0xFF is NaN, there is no zero ----------

export type E8M0Rounding = 'up' | 'down' | 'nearest';

export function e8m0ToF32(bits: number): number {
  return bits === 0xff ? NaN : 2 ** (bits - 127);
}

/**
 * The exponent of a float32 (its sign ignored), rounded to a power of two as `round` says:
 * 'up' to the next power when any mantissa bit is set, 'nearest' when the mantissa is at least
 * one half (ties up), 'down' never. Past 2^127: the largest (saturate) or NaN.
 */
export function f32ToE8m0(v: number, saturate = true, round: E8M0Rounding = 'up'): number {
  f32[0] = v;
  const x = u32[0]!;
  let e = (x >>> 23) & 0xff;
  const m = x & 0x7fffff;
  if (e === 0xff) return m || !saturate ? 0xff : 0xfe;
  if (e === 0) {
    // subnormal float32 (below 2^-126): 2^-127 (bits 0) is the smallest E8M0, 2^-126 the next
    if (round === 'up') return m > 0x400000 ? 1 : 0;
    if (round === 'nearest') return m >= 0x600000 ? 1 : 0;
    return 0;
  }
  if ((round === 'up' && m > 0) || (round === 'nearest' && m >= 0x400000)) e++;
  if (e > 0xfe) return saturate ? 0xfe : 0xff;
  return e;
}
