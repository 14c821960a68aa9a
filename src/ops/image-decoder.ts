// ImageDecoder (opset 20): decode an encoded image (a 1-D uint8 tensor holding the file) to
// uint8 [H, W, 3] in RGB or BGR order, or [H, W, 1] for Grayscale.
//
// Formats: uncompressed BMP (24/32-bit, bottom-up or top-down) and binary PNM (P5 gray, P6 RGB,
// maxval 255) here, PNG through a registered codec (src/frontend/png-codec.ts, fast-png). JPEG and JPEG 2000 are
// refused with an error naming the format. Grayscale from
// colour uses the ITU-R 601-2 luma weights in PIL's fixed-point form, as the ONNX reference does.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { bytesOf, checkDType, inType } from './util.js';

/** Decoded pixels: width x height RGB triples, row-major. */
interface Rgb {
  width: number;
  height: number;
  rgb: Uint8Array;
}

const FORMATS = ['RGB', 'BGR', 'Grayscale'];

/** A decoder for one more format, recognised by its first bytes (see registerImageCodec). */
export interface ImageCodec {
  name: string;
  matches(b: Uint8Array): boolean;
  decode(b: Uint8Array): Rgb;
}
export type { Rgb as DecodedRgb };

const CODECS: ImageCodec[] = [];

/**
 * Add a format. PNG registers from src/frontend/png-codec.ts (it needs fast-png, and this file
 * stays free of package imports so the ops load unbundled in a browser page).
 */
export function registerImageCodec(codec: ImageCodec): void {
  CODECS.push(codec);
}

function bmp(b: Uint8Array): Rgb {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const offset = dv.getUint32(10, true);
  const width = dv.getInt32(18, true);
  const rawHeight = dv.getInt32(22, true);
  const bpp = dv.getUint16(28, true);
  const compression = dv.getUint32(30, true);
  if ((bpp !== 24 && bpp !== 32) || (compression !== 0 && compression !== 3)) {
    throw new Error(
      `BMP with ${bpp} bits per pixel and compression ${compression}; only 24/32-bit uncompressed is decoded`,
    );
  }
  const height = Math.abs(rawHeight);
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = offset + (rawHeight > 0 ? height - 1 - y : y) * rowBytes; // positive height: bottom-up
    for (let x = 0; x < width; x++) {
      const at = row + (x * bpp) / 8;
      rgb[(y * width + x) * 3] = b[at + 2]!;
      rgb[(y * width + x) * 3 + 1] = b[at + 1]!;
      rgb[(y * width + x) * 3 + 2] = b[at]!;
    }
  }
  return { width, height, rgb };
}

function pnm(b: Uint8Array): Rgb {
  // header: magic, width, height, maxval as whitespace-separated tokens (comments start with #)
  const tokens: string[] = [];
  let i = 0;
  while (tokens.length < 4 && i < b.length) {
    const ch = String.fromCharCode(b[i]!);
    if (ch === '#') {
      while (i < b.length && b[i] !== 10) i++;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    let t = '';
    while (i < b.length && !/\s/.test(String.fromCharCode(b[i]!))) t += String.fromCharCode(b[i++]!);
    tokens.push(t);
  }
  i++; // the single whitespace byte after maxval
  const [magic, w, h, max] = tokens;
  const width = Number(w),
    height = Number(h);
  if ((magic !== 'P6' && magic !== 'P5') || Number(max) !== 255) {
    throw new Error(`PNM ${magic} with maxval ${max}; only binary P5/P6 with maxval 255 is decoded`);
  }
  const channels = magic === 'P6' ? 3 : 1;
  if (b.length < i + width * height * channels) throw new Error('PNM data is shorter than its header says');
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = b[i + p * channels + (channels === 3 ? c : 0)]!;
  }
  return { width, height, rgb };
}

function decode(b: Uint8Array): Rgb {
  const starts = (...sig: number[]) => sig.every((v, k) => b[k] === v);
  const codec = CODECS.find((c) => c.matches(b));
  if (codec) return codec.decode(b);
  if (starts(0x89, 0x50, 0x4e, 0x47))
    throw new Error("PNG decoding is not registered here (import switchyard's entry point)");
  if (starts(0x42, 0x4d)) return bmp(b);
  if (starts(0x50) && (b[1] === 0x35 || b[1] === 0x36)) return pnm(b);
  if (starts(0xff, 0xd8)) throw new Error('JPEG images are not decoded yet (PNG, BMP and PNM are)');
  if (starts(0, 0, 0, 12, 0x6a, 0x50) || starts(0xff, 0x4f, 0xff, 0x51)) {
    throw new Error('JPEG 2000 images are not decoded (PNG, BMP and PNM are)');
  }
  throw new Error(`unrecognised image format (first bytes ${Array.from(b.subarray(0, 4)).join(',')})`);
}

const imageDecoder: OpDef = {
  name: 'nn.ImageDecoder',
  inputs: ['encoded_stream'],
  outputs: ['image'],
  attrs: { pixel_format: { kind: 'string', default: 'RGB' } },
  infer(ctx) {
    checkDType(inType(ctx, 0, 'encoded_stream'), ['uint8'], 'encoded_stream');
    const fmt = ctx.attrs.string('pixel_format', 'RGB');
    if (!FORMATS.includes(fmt)) throw new Error(`pixel_format '${fmt}' must be one of ${FORMATS.join(', ')}`);
    return [{ dtype: 'uint8', shape: [freshDim('height'), freshDim('width'), fmt === 'Grayscale' ? 1 : 3] }];
  },
  run({ inputs: [enc], attrs }) {
    const { width, height, rgb } = decode(enc!.data as Uint8Array);
    const fmt = attrs.string('pixel_format', 'RGB');
    const n = width * height;
    if (fmt === 'Grayscale') {
      const g = new Uint8Array(n);
      for (let p = 0; p < n; p++) {
        g[p] = (rgb[3 * p]! * 19595 + rgb[3 * p + 1]! * 38470 + rgb[3 * p + 2]! * 7471 + 0x8000) >> 16;
      }
      return [new Tensor('uint8', g, [height, width, 1])];
    }
    if (fmt === 'BGR') for (let p = 0; p < n; p++) [rgb[3 * p], rgb[3 * p + 2]] = [rgb[3 * p + 2]!, rgb[3 * p]!];
    return [new Tensor('uint8', rgb, [height, width, 3])];
  },
  // the decoded size is unknown before running; the encoded bytes are what the cost model sees
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) * 4 }),
  onnx: { type: 'ImageDecoder', minOpset: 20 },
};

registerOps([imageDecoder]);
