// The conformance comparison rule (shared/conformance/README.md): same count, dtype and shape;
// floats within atol + rtol·|expected| (NaN matches NaN, infinities only themselves; float16
// widened first); integers and bool exactly.

import { isFloat } from '../ir/dtype.js';
import { getter, type Tensor } from '../ir/tensor.js';

export interface Tolerance { rtol: number; atol: number }
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-5 };

export interface Mismatch { message: string; maxAbsErr?: number }

/** undefined when `actual` matches `expected`, else the first problem with its largest error. */
export function compareTensors(actual: Tensor, expected: Tensor, tol: Tolerance, label: string): Mismatch | undefined {
  if (actual.type !== expected.type) return { message: `${label}: dtype ${actual.type}, expected ${expected.type}` };
  if (actual.dims.length !== expected.dims.length || actual.dims.some((d, i) => d !== expected.dims[i])) {
    return { message: `${label}: shape [${actual.dims.join(',')}], expected [${expected.dims.join(',')}]` };
  }
  const ga = getter(actual);
  const ge = getter(expected);
  let maxAbsErr = 0;
  let bad = -1;
  let nBad = 0;
  const float = isFloat(actual.type);
  for (let i = 0; i < actual.size; i++) {
    const a = ga(i), e = ge(i);
    if (!float) {
      if (a !== e) { nBad++; if (bad < 0) bad = i; const d = Math.abs(Number(a) - Number(e)); if (d > maxAbsErr) maxAbsErr = d; }
      continue;
    }
    const x = Number(a), y = Number(e);
    if (Number.isNaN(y)) { if (!Number.isNaN(x)) { nBad++; if (bad < 0) bad = i; maxAbsErr = Infinity; } continue; }
    if (!Number.isFinite(y)) { if (x !== y) { nBad++; if (bad < 0) bad = i; maxAbsErr = Infinity; } continue; }
    const d = Math.abs(x - y);
    if (!(d <= tol.atol + tol.rtol * Math.abs(y))) { nBad++; if (bad < 0) bad = i; }
    if (!(d <= maxAbsErr)) maxAbsErr = Number.isNaN(d) ? Infinity : d;
  }
  if (nBad === 0) return undefined;
  return {
    message: `${label}: ${nBad} of ${actual.size} values differ (first at flat index ${bad}: got ${Number(ga(bad))}, expected ${Number(ge(bad))}); max abs error ${maxAbsErr}`,
    maxAbsErr,
  };
}
