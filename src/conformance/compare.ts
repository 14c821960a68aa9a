// The conformance comparison rule (shared/conformance/README.md): same count, dtype and shape;
// floats within atol + rtol·|expected| (NaN matches NaN, infinities only themselves; float16
// widened first); integers and bool exactly.

import { isFloat } from '../ir/dtype.js';
import { getter, Tensor } from '../ir/tensor.js';
import { describeRunValue, OptionalValue, type RunValue, TensorSequence } from '../ir/values.js';

export interface Tolerance {
  rtol: number;
  atol: number;
}
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-5 };

export interface Mismatch {
  message: string;
  maxAbsErr?: number;
}

/** compareTensors for any run-time value: sequences element by element, optionals by presence. */
export function compareValues(
  actual: RunValue,
  expected: RunValue,
  tol: Tolerance,
  label: string,
): Mismatch | undefined {
  if (expected instanceof Tensor) {
    return actual instanceof Tensor
      ? compareTensors(actual, expected, tol, label)
      : { message: `${label}: got ${describeRunValue(actual)}, expected a tensor` };
  }
  if (expected instanceof TensorSequence) {
    if (!(actual instanceof TensorSequence))
      return { message: `${label}: got ${describeRunValue(actual)}, expected ${describeRunValue(expected)}` };
    if (actual.length !== expected.length)
      return { message: `${label}: sequence of ${actual.length} tensors, expected ${expected.length}` };
    for (let i = 0; i < actual.length; i++) {
      const m = compareTensors(actual.items[i]!, expected.items[i]!, tol, `${label} element #${i}`);
      if (m) return m;
    }
    return undefined;
  }
  if (!(actual instanceof OptionalValue))
    return { message: `${label}: got ${describeRunValue(actual)}, expected ${describeRunValue(expected)}` };
  if (!expected.value || !actual.value) {
    return !expected.value === !actual.value
      ? undefined
      : { message: `${label}: got ${describeRunValue(actual)}, expected ${describeRunValue(expected)}` };
  }
  return compareValues(actual.value, expected.value, tol, `${label} (optional)`);
}

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
    const a = ga(i),
      e = ge(i);
    if (typeof e === 'string') {
      if (a !== e) {
        nBad++;
        if (bad < 0) bad = i;
      }
      continue;
    }
    if (!float) {
      if (a !== e) {
        nBad++;
        if (bad < 0) bad = i;
        const d = Math.abs(Number(a) - Number(e));
        if (d > maxAbsErr) maxAbsErr = d;
      }
      continue;
    }
    const x = Number(a),
      y = Number(e);
    if (Number.isNaN(y)) {
      if (!Number.isNaN(x)) {
        nBad++;
        if (bad < 0) bad = i;
        maxAbsErr = Infinity;
      }
      continue;
    }
    if (!Number.isFinite(y)) {
      if (x !== y) {
        nBad++;
        if (bad < 0) bad = i;
        maxAbsErr = Infinity;
      }
      continue;
    }
    const d = Math.abs(x - y);
    if (!(d <= tol.atol + tol.rtol * Math.abs(y))) {
      nBad++;
      if (bad < 0) bad = i;
    }
    if (!(d <= maxAbsErr)) maxAbsErr = Number.isNaN(d) ? Infinity : d;
  }
  if (nBad === 0) return undefined;
  return {
    message:
      actual.type === 'string'
        ? `${label}: ${nBad} of ${actual.size} strings differ (first at flat index ${bad}: got ` +
          `${JSON.stringify(ga(bad))}, expected ${JSON.stringify(ge(bad))})`
        : `${label}: ${nBad} of ${actual.size} values differ (first at flat index ${bad}: got ` +
          `${Number(ga(bad))}, expected ${Number(ge(bad))}); max abs error ${maxAbsErr}`,
    maxAbsErr,
  };
}
