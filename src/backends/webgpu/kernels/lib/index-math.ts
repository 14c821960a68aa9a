// Index arithmetic over uniform parameters: the WGSL that splits a flat index into coordinates and
// joins coordinates into a flat offset, with the sizes and strides read from P (see variant.ts)
// instead of baked in, so one program serves every shape of a rank.

import type { Params } from '../../variant.js';
import { strides } from '../../wgsl.js';

/** `let {prefix}k` coordinates of flat index `src` over `dims` (u32), strides from P. */
export function unflattenParams(src: string, dims: readonly number[], prefix: string, p: Params): string {
  const st = strides(dims);
  const lines: string[] = [`var ${prefix}r = ${src};`];
  dims.forEach((_, k) => {
    if (k === dims.length - 1) {
      lines.push(`let ${prefix}${k} = ${prefix}r;`);
      return;
    }
    const s = p.u(st[k]!);
    lines.push(`let ${prefix}${k} = ${prefix}r / ${s}; ${prefix}r = ${prefix}r - ${prefix}${k} * ${s};`);
  });
  if (!dims.length) lines.push(`_ = ${prefix}r;`);
  return lines.join(' ');
}

/** Flat offset into a tensor broadcast to `outDims` from coordinates `{prefix}k`,
 * strides from P (0 where broadcast). */
export function broadcastParams(
  inDims: readonly number[],
  outDims: readonly number[],
  prefix: string,
  p: Params,
): string {
  const off = outDims.length - inDims.length;
  if (off < 0)
    throw new Error(
      `an input of shape [${inDims.join(',')}] does not broadcast to the output's [${outDims.join(',')}]`,
    );
  const st = strides(inDims);
  const terms = inDims.map((d, k) => `${prefix}${k + off} * ${p.u(d === 1 ? 0 : st[k]!)}`);
  return terms.length ? terms.join(' + ') : '0u';
}

/** Flat offset from per-axis coordinate expressions, strides from P. */
export function offsetParams(coords: string[], st: readonly number[], p: Params): string {
  return coords.map((c, k) => `(${c}) * ${p.u(st[k]!)}`).join(' + ') || '0u';
}
