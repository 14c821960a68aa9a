// PNG for ImageDecoder, through fast-png: palettes expanded, alpha dropped, gray repeated to RGB,
// 16-bit samples to their high byte. Registered by the package entry (src/index.ts), so that
// src/ops/ itself imports no npm package and loads unbundled in a browser page.

import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import { registerImageCodec } from '../ops/image-decoder.js';

registerImageCodec({
  name: 'PNG',
  matches: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47,
  decode(bytes) {
    const img = decodePng(bytes);
    const { width, height } = img;
    let src: ArrayLike<number> = img.data;
    let channels = img.channels;
    if (img.palette) {
      src = convertIndexedToRgb(img);
      channels = img.palette[0]?.length ?? 3;
    }
    const shift = img.depth === 16 && !img.palette ? 8 : 0;
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = src[p * channels + (channels >= 3 ? c : 0)]! >> shift;
    }
    return { width, height, rgb };
  },
});
