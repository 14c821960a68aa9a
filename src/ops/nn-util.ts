// Helpers shared by the nn families (conv, pool, normalization, resize): float64 working copies
// of tensors, storing results back with the rounding of the output dtype, and the spatial
// geometry (output size and padding) of sliding-window ops.

import type { DType } from '../ir/dtype.js';
import { intRange, isBig, isFloat } from '../ir/dtype.js';
import { f16ToF32, f32ToF16 } from '../ir/float16.js';
import { narrowDecoder, narrowEncoder } from '../ir/narrow.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';

/** The tensor's values as float64 (float16 widened, 64-bit integers converted). */
export function toF64(t: Tensor): Float64Array {
  const n = t.size;
  const out = new Float64Array(n);
  const d = t.data;
  if (t.type === 'float16') {
    const u = d as Uint16Array;
    for (let i = 0; i < n; i++) out[i] = f16ToF32(u[i]);
  } else if (isBig(t.type)) {
    for (let i = 0; i < n; i++) out[i] = Number(d[i]);
  } else if (narrowDecoder(t.type) && isFloat(t.type)) {
    const dec = narrowDecoder(t.type)!;
    for (let i = 0; i < n; i++) out[i] = dec(d[i] as number);
  } else {
    const a = d as Float64Array;
    for (let i = 0; i < n; i++) out[i] = a[i];
  }
  return out;
}

/**
 * A tensor of `type` from float64 values. Floats round to nearest (float16 via its bit pattern);
 * integers are rounded half to even and saturated to the type's range, as a reference kernel
 * computing in float and storing an integer result would (`round`, then clamp).
 */
export function fromF64(type: DType, dims: readonly number[], v: Float64Array, saturateFloat16 = false): Tensor {
  const n = v.length;
  const out = Tensor.zeros(type, dims);
  const d = out.data;
  const narrow = isFloat(type) ? narrowEncoder(type) : undefined;
  if (narrow) {
    for (let i = 0; i < n; i++) (d as Uint8Array)[i] = narrow(v[i]);
    return out;
  }
  switch (type) {
    case 'float64':
      (d as Float64Array).set(v);
      break;
    case 'float32':
      (d as Float32Array).set(v);
      break;
    case 'float16': {
      const u = d as Uint16Array;
      for (let i = 0; i < n; i++) {
        let x = v[i];
        if (saturateFloat16) x = x > 65504 ? 65504 : x < -65504 ? -65504 : x;
        u[i] = f32ToF16(x);
      }
      break;
    }
    case 'bool': {
      const u = d as Uint8Array;
      for (let i = 0; i < n; i++) u[i] = v[i] !== 0 && !Number.isNaN(v[i]) ? 1 : 0;
      break;
    }
    case 'int64':
    case 'uint64': {
      const b = d as BigInt64Array | BigUint64Array;
      const lo = type === 'int64' ? -(2 ** 63) : 0;
      const hi = type === 'int64' ? 2 ** 63 - 1024 : 2 ** 64 - 2048;
      for (let i = 0; i < n; i++) {
        let x = roundHalfEven(v[i]);
        if (Number.isNaN(x)) x = 0;
        x = x < lo ? lo : x > hi ? hi : x;
        b[i] = BigInt(x);
      }
      break;
    }
    default: {
      const [lo, hi] = intRange(type);
      const a = d as Int32Array;
      for (let i = 0; i < n; i++) {
        let x = roundHalfEven(v[i]);
        if (Number.isNaN(x)) x = 0;
        a[i] = x < lo ? lo : x > hi ? hi : x;
      }
    }
  }
  return out;
}

/** Round half to even (numpy's `round`). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export function checkAutoPad(s: string): AutoPad {
  if (s === 'NOTSET' || s === 'SAME_UPPER' || s === 'SAME_LOWER' || s === 'VALID') return s;
  throw new Error(`auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '${s}'`);
}

/** Spatial settings of a sliding-window op (Conv, pooling), all of length `nSpatial`. */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Explicit pads [x1_begin, x2_begin, …, x1_end, x2_end, …], or undefined for all zero. */
  pads?: number[];
  autoPad: AutoPad;
  ceilMode: boolean;
}

/** Where windows sit along one axis: output length and the padding before and after. */
export interface AxisGeometry {
  out: number;
  padBegin: number;
  padEnd: number;
}

/**
 * Output length and padding of one spatial axis of input length `len`, following the ONNX
 * pooling/convolution rules: SAME_* keeps ceil(len / stride) outputs and splits the padding
 * (the odd element at the end for SAME_UPPER, at the start for SAME_LOWER); explicit pads use
 * floor (or ceil with ceil_mode, dropping a last window that would start in the end padding).
 */
export function axisGeometry(len: number, w: Window, i: number, what = 'X'): AxisGeometry {
  const k = w.kernel[i],
    s = w.strides[i],
    d = w.dilations[i];
  const span = (k - 1) * d + 1;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    const out = Math.ceil(len / s);
    const total = Math.max(0, (out - 1) * s + span - len);
    const small = Math.floor(total / 2);
    const padBegin = w.autoPad === 'SAME_UPPER' ? small : total - small;
    return { out, padBegin, padEnd: total - padBegin };
  }
  const n = w.kernel.length;
  const padBegin = w.autoPad === 'VALID' ? 0 : (w.pads?.[i] ?? 0);
  const padEnd = w.autoPad === 'VALID' ? 0 : (w.pads?.[i + n] ?? 0);
  const room = len + padBegin + padEnd - span;
  if (room < 0) {
    throw new Error(
      `input ${what} has spatial size ${len} on axis ${i + 2}, smaller than the window ${span} (kernel ${k}, ` +
        `dilation ${d}) plus padding ${padBegin}+${padEnd}`,
    );
  }
  let out: number;
  if (w.ceilMode) {
    out = Math.ceil(room / s) + 1;
    if ((out - 1) * s >= len + padBegin) out--;
  } else {
    out = Math.floor(room / s) + 1;
  }
  return { out, padBegin, padEnd };
}

/** Output spatial dims for shape inference: exact where the input dim is known, else a fresh symbol. */
export function spatialDims(dims: readonly Dim[], w: Window, what = 'X'): Dim[] {
  return dims.map((d, i) => (typeof d === 'number' ? axisGeometry(d, w, i, what).out : freshDim('sp')));
}

/** Read and check the window attributes of a conv/pool node for `nSpatial` spatial axes. */
export function readWindow(
  a: {
    ints(n: string, d?: number[]): number[];
    string(n: string, d?: string): string;
    int(n: string, d?: number): number;
    has(n: string): boolean;
  },
  nSpatial: number,
  kernel: number[] | undefined,
  opts: { ceil?: boolean } = {},
): Window {
  const strides = a.ints('strides', []);
  const dilations = a.ints('dilations', []);
  const pads = a.has('pads') ? a.ints('pads') : undefined;
  const autoPad = checkAutoPad(a.string('auto_pad', 'NOTSET'));
  const ceilMode = opts.ceil ? a.int('ceil_mode', 0) !== 0 : false;
  if (!kernel) throw new Error('kernel_shape is required');
  if (kernel.length !== nSpatial)
    throw new Error(`kernel_shape has ${kernel.length} values; the input has ${nSpatial} spatial axes`);
  const fill = (v: number[], name: string) => {
    if (v.length === 0) return new Array<number>(nSpatial).fill(1);
    if (v.length !== nSpatial)
      throw new Error(`${name} has ${v.length} values; the input has ${nSpatial} spatial axes`);
    if (v.some((x) => !Number.isInteger(x) || x < 1))
      throw new Error(`${name} [${v.join(',')}] must be positive integers`);
    return v;
  };
  if (kernel.some((x) => !Number.isInteger(x) || x < 1))
    throw new Error(`kernel_shape [${kernel.join(',')}] must be positive integers`);
  if (pads) {
    if (pads.length !== 2 * nSpatial)
      throw new Error(`pads has ${pads.length} values; ${2 * nSpatial} (begin and end per spatial axis) expected`);
    if (pads.some((x) => !Number.isInteger(x) || x < 0))
      throw new Error(`pads [${pads.join(',')}] must be non-negative integers`);
  }
  return {
    kernel,
    strides: fill(strides, 'strides'),
    dilations: fill(dilations, 'dilations'),
    pads,
    autoPad,
    ceilMode,
  };
}

/** Geometry of every spatial axis at run time. */
export function geometry(spatial: readonly number[], w: Window, what = 'X'): AxisGeometry[] {
  return spatial.map((len, i) => axisGeometry(len, w, i, what));
}

/** Pad a list of per-axis values to three spatial axes by prepending `fill` (for 3-D kernels). */
export function to3(v: readonly number[], fill: number): [number, number, number] {
  const r = [fill, fill, fill, ...v].slice(-3);
  return [r[0], r[1], r[2]];
}
