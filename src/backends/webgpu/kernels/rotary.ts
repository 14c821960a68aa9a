// WGSL kernel of the rotary family (src/ops/rotary.ts): nn.RotaryEmbedding in one dispatch, one
// thread per output element: the element and its partner (m, m + rot/2, or 2m, 2m + 1 when
// interleaved) rotated by the cos/sin cache row of the token's position; entries past
// rotary_embedding_dim are copied. 4-D [b, heads, seq, head] or 3-D [b, seq, heads * head].

import { registerKernels } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { ShaderBuilder } from '../wgsl.js';

registerKernels({
  ops: ['nn.RotaryEmbedding'],
  int64Inputs: [3],
  plan(a) {
    const [x, cos, sin, pos] = a.ins;
    const y = a.outs[0]!;
    const n = y.layout.numel;
    if (!n) return { dispatches: [] };
    const dims = x!.dims;
    const rank = dims.length;
    const H = rank === 4 ? dims[1]! : a.attrs.int('num_heads');
    const S = rank === 4 ? dims[2]! : dims[1]!;
    const D = rank === 4 ? dims[3]! : dims[2]! / H;
    const rot = a.attrs.int('rotary_embedding_dim', 0) || D;
    const half = rot / 2;
    const interleaved = a.attrs.int('interleaved', 0) === 1;
    const b = new ShaderBuilder().input('x', x!.layout).input('cs', cos!.layout).input('sn', sin!.layout);
    if (pos) b.input('pos', pos.layout);
    b.output('y', y.layout);
    // coordinates of element e, and the offset of another element d2 of the same head
    const coords =
      rank === 4
        ? `let d = e % ${D}u; let s = (e / ${D}u) % ${S}u; let b = e / ${D * S * H}u;`
        : `let d = e % ${D}u; let s = (e / ${D * H}u) % ${S}u; let b = e / ${D * H * S}u;`;
    const maxPos = cos!.dims[0]!;
    const row = pos
      ? `var p = pos(${pos.dims[0] === 1 ? '0u' : `b * ${pos.dims[1]}u`} + ${pos.dims[1] === 1 ? '0u' : 's'}); ` +
        `if (p < 0i) { p = p + ${maxPos}i; } let row = u32(p);`
      : `let row = ${cos!.dims[0] === 1 ? '0u' : `b * ${cos!.dims[1]}u`} + ${cos!.dims[1] === 1 ? '0u' : 's'};`;
    const pair = interleaved
      ? 'let m = d / 2u; let first = (d % 2u) == 0u; let d1 = 2u * m; let d2 = d1 + 1u;'
      : `let first = d < ${half}u; let m = select(d - ${half}u, d, first); let d1 = m; let d2 = m + ${half}u;`;
    const yw = y.layout.wtype;
    const code = `${b.header()}
@compute @workgroup_size(${a.ctx.wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * ${a.ctx.wg}u;
  if (e >= ${n}u) { return; }
  ${coords}
  _ = b;
  if (d >= ${rot}u) { y_set(e, x(e)); return; }
  ${row}
  ${pair}
  let head = e - d;
  let c = f32(cs(row * ${half}u + m));
  let si = f32(sn(row * ${half}u + m));
  let x1 = f32(x(head + d1));
  let x2 = f32(x(head + d2));
  y_set(e, ${yw}(select(si * x1 + c * x2, c * x1 - si * x2, first)));
}`;
    const tensors = [{ in: 0 }, { in: 1 }, { in: 2 }, ...(pos ? [{ in: 3 }] : []), { out: 0 }];
    return {
      dispatches: [
        {
          code,
          variant: { family: 'rotary', name: 'rotary', key: { ...bakedKey(a), wg: a.ctx.wg } },
          bindings: b.bindings,
          tensors,
          grid: a.ctx.grid(Math.ceil(n / a.ctx.wg)),
          label: 'nn.RotaryEmbedding:rotary',
        },
      ],
    };
  },
});
