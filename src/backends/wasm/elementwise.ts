// The broadcast geometry of a k.map: output dims collapsed to [outer…, len] with per-input byte
// strides, each input contiguous along the inner run or broadcast across it.

import type { InputMode } from './codegen.js';

export interface MapGeometry {
  rows: number;
  len: number;
  d1: number;
  d2: number;
  modes: InputMode[];
  /** per input: byte strides for the three outer dims [s0, s1, s2] */
  strides: [number, number, number][];
}

/** Collapse a broadcast to at most 3 outer dims + a contiguous (or broadcast) inner run; undefined if it needs more. */
export function mapGeometry(
  outDims: readonly number[],
  inDims: (readonly number[])[],
  bools: boolean[] = [],
): MapGeometry | undefined {
  const r = outDims.length;
  // element strides of each input in output space
  const st = inDims.map((d) => {
    const s = new Array<number>(r).fill(0);
    let acc = 1;
    for (let k = d.length - 1; k >= 0; k--) {
      const o = r - d.length + k;
      s[o] = d[k] === 1 && outDims[o] !== 1 ? 0 : acc;
      acc *= d[k]!;
    }
    return s;
  });
  let dims: number[] = [];
  let strides: number[][] = inDims.map(() => []);
  for (let k = 0; k < r; k++) {
    if (outDims[k] === 1) continue;
    const n = dims.length;
    if (n && st.every((s, i) => strides[i]![n - 1] === s[k]! * outDims[k]!)) {
      dims[n - 1]! *= outDims[k]!;
      st.forEach((s, i) => {
        strides[i]![n - 1] = s[k]!;
      });
    } else {
      dims.push(outDims[k]!);
      st.forEach((s, i) => strides[i]!.push(s[k]!));
    }
  }
  if (!dims.length) {
    dims = [1];
    strides = inDims.map(() => [0]);
  }
  // the inner run: each input must be contiguous (1) or constant (0) along it
  const inner = dims.length - 1;
  if (strides.some((s) => s[inner] !== 0 && s[inner] !== 1)) return undefined;
  const outer = dims.slice(0, inner);
  if (outer.length > 3) return undefined;
  while (outer.length < 3) outer.unshift(1);
  const pad = 3 - inner;
  return {
    rows: outer[0]! * outer[1]! * outer[2]!,
    len: dims[inner]!,
    d1: outer[1]!,
    d2: outer[2]!,
    modes: strides.map((s, i) => ((bools[i] ? 'b' : '') + (s[inner] === 1 ? 'v' : 's')) as InputMode),
    strides: strides.map((s, i) => {
      const o = [0, 0, 0] as [number, number, number];
      for (let k = 0; k < inner; k++) o[k + pad] = s[k]! * (bools[i] ? 1 : 4);
      return o;
    }),
  };
}
