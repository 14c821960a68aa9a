// Pieces shared by the printer and the parser of the text form.

import { type DType, dtypeFromShort, dtypeShort } from './dtype.js';
import type { TensorType } from './graph.js';

/** Tensors up to this many elements print inline; larger ones go to a base64 blob at the end. */
export const INLINE_LIMIT = 16;

const IDENT = /^[A-Za-z_][A-Za-z0-9_.$-]*$/;
const NUMERIC_NAME = /^[0-9][A-Za-z0-9_.$-]*$/;

/** `%x`, `%12`, or `%"a/b:0"` when the name is not a plain identifier. */
export function valueRef(name: string): string {
  return IDENT.test(name) || NUMERIC_NAME.test(name) ? `%${name}` : `%${JSON.stringify(name)}`;
}

export function formatType(t: TensorType | undefined): string {
  if (!t) return '?';
  const dt = dtypeShort(t.dtype);
  let s = t.shape ? `${dt}[${t.shape.join(',')}]` : `${dt}[*]`;
  // sequences and optionals wrap the tensor type: opt<seq<f32[2]>>
  for (const w of [...(t.wrap ?? [])].reverse()) s = `${w === 'sequence' ? 'seq' : 'opt'}<${s}>`;
  return s;
}

export function dtypeOfShort(s: string, where: string): DType {
  const d = dtypeFromShort(s);
  if (!d) throw new Error(`${where}: unknown element type '${s}'`);
  return d;
}

const f32buf = new Float32Array(1);
/** Shortest decimal that reads back to the same float32. */
export function formatF32(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0.0';
  f32buf[0] = v;
  const x = f32buf[0]!;
  let s = String(x);
  for (let p = 1; p <= 9; p++) {
    const c = x.toPrecision(p);
    if (Math.fround(Number(c)) === x) {
      s = String(Number(c));
      break;
    }
  }
  return /[.eE]/.test(s) || /inf|nan/.test(s) ? s : `${s}.0`;
}

/** Decimal that reads back to the same float64, always marked as a float. */
export function formatF64(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

export function parseFloatToken(s: string): number {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
