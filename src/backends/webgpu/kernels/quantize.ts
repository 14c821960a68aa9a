// Quantize family on the copy template: QuantizeLinear / DequantizeLinear (per tensor, per axis,
// blocked; int8/uint8/int16/uint16 with saturation and round-half-to-even).

import { intRange } from '../../../ir/dtype.js';
import { normAxis } from '../../../ir/shape.js';
import { type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { lit, strides, unflatten } from '../wgsl.js';
import { copyKernel } from './lib/copy.js';
import { storeRule } from './lib/elementwise.js';

/** Offset into a scale/zero-point tensor for the element at coords c* of x. */
function paramOffset(xDims: number[], pDims: number[], axis: number, block: number): string {
  const n = pDims.reduce((a, b) => a * b, 1);
  if (n === 1) return '0u';
  if (pDims.length === xDims.length) {
    const st = strides(pDims);
    return xDims.map((_, d) => `${d === axis && block ? `(c${d} / ${block}u)` : `c${d}`} * ${st[d]}u`).join(' + ');
  }
  return `c${axis}`;
}

function planQuant(a: PlanArgs, dequant: boolean) {
  const x = a.ins[0]!,
    sc = a.ins[1]!,
    zp = a.ins[2],
    y = a.outs[0]!;
  const n = y.layout.numel;
  if (n === 0) return { dispatches: [] };
  // the axis only matters for per-axis and blocked parameters
  const axis = sc.layout.numel > 1 ? normAxis(a.attrs.int('axis', 1), x.dims.length) : 0;
  const block = a.attrs.int('block_size', 0);
  const off = paramOffset(x.dims, sc.dims, axis, block);
  const ins: { name: string; layout: typeof x.layout; ref: TRef }[] = [
    { name: 'x', layout: x.layout, ref: { in: 0 } },
    { name: 'sc', layout: sc.layout, ref: { in: 1 } },
  ];
  if (zp && zp.layout.numel) ins.push({ name: 'zp', layout: zp.layout, ref: { in: 2 } });
  const z = zp && zp.layout.numel ? `f32(zp(${off}))` : '0.0';
  const yw = y.layout.wtype;
  let v: string;
  if (dequant) {
    v = `(f32(x(i)) - ${z}) * f32(sc(${off}))`;
    v = storeRule(yw === 'f32' ? v : `${yw}(${v})`, y.dtype, yw);
  } else {
    const [lo, hi] = intRange(y.dtype);
    const q = `clamp(round(f32(x(i)) / f32(sc(${off}))) + ${z}, ${lit(lo, 'f32')}, ${lit(hi, 'f32')})`;
    v = `${yw}(${q})`;
  }
  const body = `    ${x.dims.length ? unflatten('i', x.dims, 'c') : ''}\n    y_set(i, ${v});`;
  return {
    dispatches: [
      copyKernel(a.ctx, `${a.node.op}:quantize`, n, ins, { name: 'y', layout: y.layout, ref: { out: 0 } }, body, {
        family: 'quantize',
        name: a.node.op.replace('nn.', ''),
        key: bakedKey(a),
      }),
    ],
  };
}

registerKernels({ ops: ['nn.DequantizeLinear'], plan: (a) => planQuant(a, true) });
registerKernels({
  ops: ['nn.QuantizeLinear'],
  supports(node) {
    const t = node.outputs[0]?.type?.dtype;
    return t && ['int8', 'uint8', 'int16', 'uint16'].includes(t) ? true : `quantizing to ${t ?? 'an unknown type'}`;
  },
  plan: (a) => planQuant(a, false),
});
