// Det: the determinant of every square matrix in the last two dims ([..., M, M] -> [...]), by
// LU decomposition with partial pivoting in double precision, rounded once to the output type.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { checkDType, FLOATS, inType, numelOf } from './util.js';

/** Determinant of the n×n row-major matrix at a[off..], destroying nothing (works on a copy). */
export function determinant(a: Float64Array, off: number, n: number): number {
  const m = a.slice(off, off + n * n);
  let det = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[p * n + c]!)) p = r;
    const pivot = m[p * n + c]!;
    if (pivot === 0) return 0;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = m[c * n + k]!;
        m[c * n + k] = m[p * n + k]!;
        m[p * n + k] = t;
      }
      det = -det;
    }
    det *= pivot;
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / pivot;
      if (f === 0) continue;
      for (let k = c; k < n; k++) m[r * n + k] = m[r * n + k]! - f * m[c * n + k]!;
    }
  }
  return det;
}

const det: OpDef = {
  name: 'nn.Det',
  inputs: ['X'],
  outputs: ['Y'],
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    if (!x.shape) return [{ dtype: x.dtype }];
    const r = x.shape.length;
    if (r < 2) throw new Error(`X ${formatType(x)} must have rank >= 2`);
    const [a, b] = [x.shape[r - 2], x.shape[r - 1]];
    if (typeof a === 'number' && typeof b === 'number' && a !== b) {
      throw new Error(`X ${formatType(x)}: the last two dims must be equal (square matrices)`);
    }
    return [{ dtype: x.dtype, shape: x.shape.slice(0, -2) }];
  },
  run({ inputs: [xt] }) {
    const x = xt!;
    const r = x.dims.length;
    const n = x.dims[r - 1]!;
    if (x.dims[r - 2] !== n) throw new Error(`X [${x.dims.join(',')}]: the last two dims must be equal`);
    const v = toF64(x);
    const batch = x.dims.slice(0, -2);
    const count = batch.reduce((p, d) => p * d, 1);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = determinant(v, i * n * n, n);
    return [fromF64(x.type, batch, out)];
  },
  cost(ctx) {
    const t = ctx.types[0];
    const n = typeof t?.shape?.at(-1) === 'number' ? (t.shape.at(-1) as number) : 1;
    return { flops: (numelOf(t) * n * 2) / 3, bytes: numelOf(t) * 8 };
  },
  onnx: { type: 'Det', minOpset: 11 },
};

registerOps([det]);
