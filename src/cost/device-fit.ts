// A device's steady-state curve, re-fit from what ran on it: measured unit times against their
// roofline estimates (the estimate already follows the calibrated per-size compute curve), fit by
// least squares as   measured = fixed + slope x roofline.   `fixed` is what a unit really costs
// beyond its kernels on this machine (the executor's await, the pool's wake-up, a submit and wait
// under load), which a best-of-N calibration reads as a few microseconds; `slope` is how far the
// calibrated throughput is from what the units sustain. Relative errors are minimised (weights
// 1/measured²), so a 0.1 ms unit counts as much as a 100 ms one.

export interface FitPoint {
  rooflineMs: number;
  measuredMs: number;
}

export interface DeviceFit {
  fixedMs: number;
  slope: number;
  points: number;
  /** Geometric mean of |fit / measured - 1| over the points (how well the line explains them). */
  meanError: number;
}

/** Weighted least squares of measured = a + b x roofline; undefined with fewer than 2 distinct sizes. */
export function fitDevice(points: FitPoint[]): DeviceFit | undefined {
  const ps = points.filter((p) => p.rooflineMs > 0 && p.measuredMs > 0 && Number.isFinite(p.measuredMs));
  if (ps.length < 2) return undefined;
  const lo = Math.min(...ps.map((p) => p.rooflineMs)),
    hi = Math.max(...ps.map((p) => p.rooflineMs));
  // one size only: the intercept cannot be told from the slope
  if (hi < lo * 1.5) return undefined;
  let sw = 0,
    sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (const p of ps) {
    const w = 1 / (p.measuredMs * p.measuredMs);
    sw += w;
    sx += w * p.rooflineMs;
    sy += w * p.measuredMs;
    sxx += w * p.rooflineMs ** 2;
    sxy += w * p.rooflineMs * p.measuredMs;
  }
  const det = sw * sxx - sx * sx;
  if (!(Math.abs(det) > 0)) return undefined;
  let slope = (sw * sxy - sx * sy) / det;
  let fixed = (sy - slope * sx) / sw;
  // a negative intercept or slope is noise on a few points: constrain it to zero and fit the other
  if (fixed < 0) {
    fixed = 0;
    slope = sxy / sxx;
  }
  // a time that falls with size says nothing about larger units: no fit
  if (!(slope > 0 && fixed >= 0)) return undefined;
  const err = ps.reduce((a, p) => a + Math.abs((fixed + slope * p.rooflineMs) / p.measuredMs - 1), 0) / ps.length;
  return { fixedMs: fixed, slope, points: ps.length, meanError: err };
}

/** The fit's prediction for a unit whose roofline estimate (kernels only) is `rooflineMs`. */
export function predictFit(f: DeviceFit, rooflineMs: number): number {
  return f.fixedMs + f.slope * rooflineMs;
}
