// Window geometry shared by convolution and pooling: one window position as WGSL.

import { strides, unflatten } from '../../wgsl.js';

export interface Geo {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padBegin: number[];
  padEnd: number[];
}

/** WGSL for one window position: `q*` kernel coords from kk, `s*` input coords, `inb` in bounds, `off` offset. */
export function windowCode(inSp: number[], outCoord: (d: number) => string, g: Geo): string {
  const ist = strides(inSp);
  const lines = [unflatten('kk', g.kernel, 'q')];
  inSp.forEach((_n, d) => {
    lines.push(
      `let s${d} = i32(${outCoord(d)}) * ${g.strides[d]}i - ${g.padBegin[d]}i + i32(q${d}) * ${g.dilations[d]}i;`,
    );
  });
  lines.push(`let inb = ${inSp.map((n, d) => `s${d} >= 0 && s${d} < ${n}i`).join(' && ') || 'true'};`);
  lines.push(`let off = ${inSp.map((_, d) => `u32(max(s${d}, 0i)) * ${ist[d]}u`).join(' + ') || '0u'};`);
  return lines.join(' ');
}
