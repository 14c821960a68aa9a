// Rotary position embedding tables: inverse frequencies with config.json's rope_scaling (linear,
// llama3, yarn), cos/sin tables per position, the sliding layers' own-base tables and full-width
// tables for the decomposed rotation.

import { Tensor } from '../../ir/tensor.js';
import type { LlmConfig } from './config.js';

/** Inverse frequencies theta^(-2i/d), rescaled as config.json's rope_scaling says (transformers' formulas). */
export function ropeInvFreq(c: LlmConfig, local = false): { inv: Float64Array; mscale: number } {
  const half = c.headDim / 2,
    d = c.headDim;
  const theta = local && c.ropeLocalTheta ? c.ropeLocalTheta : c.ropeTheta;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = Math.pow(theta, -(2 * i) / d);
  const r = local && c.ropeLocalTheta ? undefined : c.ropeScaling; // Gemma 3's local layers are unscaled
  if (!r) return { inv, mscale: 1 };
  if (r.type === 'linear') return { inv: inv.map((f) => f / r.factor), mscale: 1 };
  if (r.type === 'llama3') {
    const lowWave = r.originalMaxPositions / r.lowFreqFactor,
      highWave = r.originalMaxPositions / r.highFreqFactor;
    return {
      inv: inv.map((f) => {
        const wave = (2 * Math.PI) / f;
        if (wave < highWave) return f;
        if (wave > lowWave) return f / r.factor;
        const smooth = (r.originalMaxPositions / wave - r.lowFreqFactor) / (r.highFreqFactor - r.lowFreqFactor);
        return (1 - smooth) * (f / r.factor) + smooth * f;
      }),
      mscale: 1,
    };
  }
  // yarn: interpolate the low frequencies, keep the high ones, ramp between; scale cos/sin
  const dimOf = (rot: number) => (d * Math.log(r.originalMaxPositions / (rot * 2 * Math.PI))) / (2 * Math.log(theta));
  const low = Math.max(Math.floor(dimOf(r.betaFast)), 0),
    high = Math.min(Math.ceil(dimOf(r.betaSlow)), d - 1);
  const span = high === low ? 0.001 : high - low;
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const ramp = Math.min(1, Math.max(0, (i - low) / span));
    const extrapolation = 1 - ramp;
    out[i] = (inv[i]! / r.factor) * (1 - extrapolation) + inv[i]! * extrapolation;
  }
  return { inv: out, mscale: r.attentionFactor };
}

/** RoPE tables [positions, head_dim / 2]: cos and sin of pos * inv_freq (times yarn's attention factor). */
export function ropeTables(c: LlmConfig, positions = c.contextLength, local = false): { cos: Tensor; sin: Tensor } {
  const half = c.headDim / 2;
  const { inv, mscale } = ropeInvFreq(c, local);
  const cos = new Float32Array(positions * half),
    sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      // float32 inv_freq as transformers keeps it, so long positions round the same way
      const a = p * Math.fround(inv[i]!);
      cos[p * half + i] = Math.cos(a) * mscale;
      sin[p * half + i] = Math.sin(a) * mscale;
    }
  }
  return { cos: new Tensor('float32', cos, [positions, half]), sin: new Tensor('float32', sin, [positions, half]) };
}

/** The sliding layers' RoPE tables (their own base), cached per config. */
const localCache = new WeakMap<LlmConfig, { cos: Tensor; sin: Tensor }>();
export function localTables(c: LlmConfig, positions: number): { cos: Tensor; sin: Tensor } {
  let t = localCache.get(c);
  if (!t || t.cos.dims[0]! < positions) {
    t = ropeTables(c, positions, true);
    localCache.set(c, t);
  }
  return t;
}

/** Full-width tables [P, hd] (each frequency repeated for both members of its pair), cached per table. */
const wideCache = new WeakMap<Tensor, { cos: Tensor; sin: Tensor; sign: Tensor }>();
export function wideTables(
  c: LlmConfig,
  rope: { cos: Tensor; sin: Tensor },
): { cos: Tensor; sin: Tensor; sign: Tensor } {
  let w = wideCache.get(rope.cos);
  if (w) return w;
  const P = rope.cos.dims[0]!,
    half = c.headDim / 2,
    hd = c.headDim;
  const cos = new Float32Array(P * hd),
    sin = new Float32Array(P * hd),
    sign = new Float32Array(hd);
  for (let p = 0; p < P; p++) {
    for (let d = 0; d < hd; d++) {
      const f = c.ropeInterleaved ? d >> 1 : d % half;
      cos[p * hd + d] = (rope.cos.data as Float32Array)[p * half + f]!;
      sin[p * hd + d] = (rope.sin.data as Float32Array)[p * half + f]!;
    }
  }
  for (let d = 0; d < hd; d++) sign[d] = c.ropeInterleaved ? (d % 2 ? 1 : -1) : d < half ? -1 : 1;
  w = {
    cos: new Tensor('float32', cos, [P, hd]),
    sin: new Tensor('float32', sin, [P, hd]),
    sign: new Tensor('float32', sign, [hd]),
  };
  wideCache.set(rope.cos, w);
  return w;
}
