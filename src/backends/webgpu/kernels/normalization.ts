// Normalization family (shaders/normalization.wgsl): layer, RMS and instance normalization, one
// workgroup per row; inference BatchNormalization as a per-channel affine copy; k.layernorm.

import { normAxis } from '../../../ir/shape.js';
import { registerKernels, type TRef } from '../kernel.js';
import { bakedKey, Params, typesKey } from '../variant.js';
import { fillTemplate, lit, ShaderBuilder } from '../wgsl.js';
import { copyKernel } from './lib/copy.js';
import { delegate } from './lib/expr.js';
import { broadcastParams, unflattenParams } from './lib/index-math.js';
import { rowWg } from './lib/rows.js';

/** How scale/bias are read: absent, per channel, one value, the row's index, or broadcast over the row. */
function affineMode(inDims: number[] | undefined, normDims: number[], perChannel?: number): string {
  if (!inDims) return 'none';
  if (perChannel !== undefined) return 'channel';
  const n = inDims.reduce((p, q) => p * q, 1);
  if (n === 1) return 'scalar';
  const sameAsRow = inDims.length <= normDims.length && n === normDims.reduce((p, q) => p * q, 1);
  return sameAsRow ? 'row' : `bcast${inDims.length}`;
}

/** Scale/bias reader broadcast over the normalized dims (or per channel for instance norm), sizes in P. */
function affine(name: string, inDims: number[] | undefined, normDims: number[], p: Params, perChannel?: number) {
  const mode = affineMode(inDims, normDims, perChannel);
  if (mode === 'none') return `_ = o; _ = r; return ${name === 'sc' ? '1.0' : '0.0'};`;
  if (mode === 'channel') return `_ = r; return f32(${name}(o % ${p.u(perChannel!)}));`;
  if (mode === 'scalar') return `_ = o; _ = r; return f32(${name}(0u));`;
  if (mode === 'row') return `_ = o; return f32(${name}(r));`;
  const unflat = unflattenParams('r', normDims, 'n', p);
  return `_ = o; ${unflat} return f32(${name}(${broadcastParams(inDims!, normDims, 'n', p)}));`;
}

registerKernels({
  ops: ['nn.LayerNormalization', 'nn.RMSNormalization', 'nn.InstanceNormalization'],
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    if (y.layout.numel === 0) return { dispatches: [] };
    const dims = x.dims;
    const inst = a.node.op === 'nn.InstanceNormalization';
    const ax = inst ? 2 : normAxis(a.attrs.int('axis', -1), dims.length);
    const R = dims.slice(ax).reduce((p, q) => p * q, 1);
    const nout = dims.slice(0, ax).reduce((p, q) => p * q, 1);
    const normDims = dims.slice(ax);
    const sc = a.ins[1],
      bi = a.ins[2];
    const p = new Params();
    p.u(R);
    p.u(nout);
    const b = new ShaderBuilder().uniform().input('x', x.layout);
    const tensors: TRef[] = [{ in: 0 }];
    if (sc) {
      b.input('sc', sc.layout);
      tensors.push({ in: 1 });
    }
    if (bi) {
      b.input('bi', bi.layout);
      tensors.push({ in: 2 });
    }
    b.output('y', y.layout);
    tensors.push({ out: 0 });
    const stats: string[] = [];
    a.outs.slice(1).forEach((o, k) => {
      if (!a.node.outputs[k + 1]) return;
      b.output(k === 0 ? 'mo' : 'io', o.layout);
      tensors.push({ out: k + 1 });
      stats.push(k === 0 ? `mo_set(o, ${o.layout.wtype}(mean));` : `io_set(o, ${o.layout.wtype}(inv));`);
    });
    const yw = y.layout.wtype;
    const ch = inst ? dims[1]! : undefined;
    const wg = rowWg(a.ctx, R);
    const scale = affine('sc', sc?.dims, normDims, p, ch);
    const bias = affine('bi', bi?.dims, normDims, p, ch);
    const eps = lit(a.attrs.float('epsilon', 1e-5), 'f32');
    const code = fillTemplate('normalization', {
      BINDINGS: `${p.struct()}\n${b.header()}`,
      WG: wg,
      RMS: a.node.op === 'nn.RMSNormalization' ? 'true' : 'false',
      SCALE: scale,
      BIAS: bias,
      EPS: eps,
      OUT: yw,
      STORE: y.dtype === 'float16' && yw === 'f32' ? 'f16round(v)' : 'v',
      STATS: stats.join(' '),
    });
    const variant = {
      family: 'normalization',
      name: a.node.op.replace('nn.', ''),
      key: {
        types: typesKey(a.ins, a.outs),
        bindings: b.bindings.length,
        wg,
        scale: affineMode(sc?.dims, normDims, ch),
        bias: affineMode(bi?.dims, normDims, ch),
        normRank: normDims.length,
        eps,
        stats: stats.length,
        params: p.vec4s,
      },
    };
    return {
      dispatches: [
        {
          code,
          variant,
          params: p.data(),
          bindings: b.bindings,
          tensors,
          grid: a.ctx.grid(nout),
          label: `${a.node.op}:norm`,
        },
      ],
    };
  },
});

registerKernels({
  ops: ['nn.BatchNormalization'],
  supports(node, attrs) {
    if (attrs.int('training_mode', 0) === 1 || (node.outputs.length > 1 && node.outputs.slice(1).some(Boolean)))
      return 'training mode (running statistics outputs)';
    return true;
  },
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    const n = y.layout.numel;
    if (n === 0) return { dispatches: [] };
    const C = x.dims[1] ?? 1;
    const spatial = x.dims.slice(2).reduce((p, q) => p * q, 1);
    const eps = lit(a.attrs.float('epsilon', 1e-5), 'f32');
    const yw = y.layout.wtype;
    const v = `(f32(x(i)) - f32(mn(c))) * inverseSqrt(f32(vr(c)) + ${eps}) * f32(sc(c)) + f32(bi(c))`;
    const rounded = y.dtype === 'float16' && yw === 'f32' ? `f16round(${v})` : v;
    const body = `    let c = (i / ${spatial}u) % ${C}u;\n    y_set(i, ${yw}(${rounded}));`;
    const ins = [
      ['x', 0],
      ['sc', 1],
      ['bi', 2],
      ['mn', 3],
      ['vr', 4],
    ].map(([name, i]) => ({
      name: name as string,
      layout: a.ins[i as number]!.layout,
      ref: { in: i as number } as TRef,
    }));
    return {
      dispatches: [
        copyKernel(
          a.ctx,
          'nn.BatchNormalization:norm',
          n,
          ins,
          { name: 'y', layout: y.layout, ref: { out: 0 } },
          body,
          {
            family: 'normalization',
            name: 'BatchNormalization',
            key: bakedKey(a),
          },
        ),
      ],
    };
  },
});

registerKernels({
  ops: ['k.layernorm'],
  plan: (a) =>
    delegate(a.attrs.int('rms', 0) ? 'nn.RMSNormalization' : 'nn.LayerNormalization', (x) => ({
      axis: { kind: 'int', value: x.int('axis') },
      epsilon: { kind: 'float', value: x.float('epsilon', 1e-5) },
    }))(a),
});
