// The scaled dot-product core shared by the com.microsoft attention ops (Attention,
// MultiHeadAttention, GroupQueryAttention). Each op resolves its own input layouts, bias and mask
// rules into this one shape: Q as [B, Hq, Sq, D], K and V (cache included) as [B, Hkv, T, D|Dv],
// an additive bias per score, and which keys a query row may see at all.

export interface AttendSpec {
  B: number;
  Hq: number;
  Hkv: number;
  Sq: number;
  T: number;
  D: number;
  Dv: number;
  q: Float64Array; // [B, Hq, Sq, D]
  k: Float64Array; // [B, Hkv, T, D]
  v: Float64Array; // [B, Hkv, T, Dv]
  scale: number;
  /** Keys [lo, hi) a row attends (default all T); scores outside get probability 0. */
  window?: (b: number, i: number) => [number, number];
  /** Additive term for score (b, h, i, j): masks and attention bias. */
  bias?: (b: number, h: number, i: number, j: number) => number;
  softcap?: number;
  /** Softmax with an extra zero logit in the denominator (GQA smooth_softmax). */
  smooth?: boolean;
  /** Receives the scaled (and softcapped) QKᵀ row, before bias and softmax. */
  onScores?: (b: number, h: number, i: number, row: Float64Array) => void;
}

/** Y as [B, Sq, Hq · Dv] (the 3-D layout every contrib attention op returns). */
export function attend(s: AttendSpec): Float64Array {
  const { B, Hq, Hkv, Sq, T, D, Dv, q, k, v, scale } = s;
  const group = Hq / Hkv;
  const y = new Float64Array(B * Sq * Hq * Dv);
  const logits = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvh = Math.floor(h / group);
      for (let i = 0; i < Sq; i++) {
        const [lo, hi] = s.window ? s.window(b, i) : [0, T];
        const qBase = ((b * Hq + h) * Sq + i) * D;
        logits.fill(0);
        for (let j = 0; j < T; j++) {
          const kBase = ((b * Hkv + kvh) * T + j) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qBase + d]! * k[kBase + d]!;
          let x = dot * scale;
          if (s.softcap) x = s.softcap * Math.tanh(x / s.softcap);
          logits[j] = x;
        }
        if (s.onScores) s.onScores(b, h, i, logits);
        let m = s.smooth ? 0 : -Infinity;
        for (let j = lo; j < hi; j++) {
          logits[j] = logits[j]! + (s.bias ? s.bias(b, h, i, j) : 0);
          m = Math.max(m, logits[j]!);
        }
        let sum = s.smooth ? Math.exp(-m) : 0;
        const probs = logits;
        for (let j = 0; j < T; j++) {
          if (j < lo || j >= hi || m === -Infinity) {
            probs[j] = 0;
            continue;
          }
          probs[j] = Math.exp(logits[j]! - m);
          sum += probs[j]!;
        }
        const yBase = ((b * Sq + i) * Hq + h) * Dv;
        for (let j = lo; j < hi; j++) {
          const p = sum > 0 ? probs[j]! / sum : 0;
          if (p === 0) continue;
          const vBase = ((b * Hkv + kvh) * T + j) * Dv;
          for (let d = 0; d < Dv; d++) y[yBase + d] = y[yBase + d]! + p * v[vBase + d]!;
        }
      }
    }
  }
  return y;
}

/** [B, S, H·Dh] (3-D hidden layout) -> [B, H, S, Dh]. */
export function splitHeads(
  x: Float64Array,
  B: number,
  S: number,
  H: number,
  Dh: number,
  rowStride = H * Dh,
  offset = 0,
): Float64Array {
  const out = new Float64Array(B * H * S * Dh);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let h = 0; h < H; h++) {
        const src = (b * S + s) * rowStride + offset + h * Dh,
          dst = ((b * H + h) * S + s) * Dh;
        for (let d = 0; d < Dh; d++) out[dst + d] = x[src + d]!;
      }
    }
  }
  return out;
}

/** Cache ([B, H, P, Dh], or none) followed by the new [B, H, S, Dh]: [B, H, P + S, Dh]. */
export function concatCache(
  past: Float64Array | undefined,
  P: number,
  cur: Float64Array,
  B: number,
  H: number,
  S: number,
  Dh: number,
): Float64Array {
  const T = P + S;
  const out = new Float64Array(B * H * T * Dh);
  for (let bh = 0; bh < B * H; bh++) {
    if (past && P) out.set(past.subarray(bh * P * Dh, (bh + 1) * P * Dh), bh * T * Dh);
    out.set(cur.subarray(bh * S * Dh, (bh + 1) * S * Dh), (bh * T + P) * Dh);
  }
  return out;
}

/** Reader of a [B|1, H|1, S, T] additive attention bias. */
export function biasReader(
  t: { dims: readonly number[] },
  values: Float64Array,
): (b: number, h: number, i: number, j: number) => number {
  const [d0, d1, S, T] = t.dims as [number, number, number, number];
  return (b, h, i, j) => values[(((d0 === 1 ? 0 : b) * d1 + (d1 === 1 ? 0 : h)) * S + i) * T + j]!;
}
