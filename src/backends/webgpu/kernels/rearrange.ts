// DepthToSpace / SpaceToDepth: block rearrangements as gathers.

import { registerKernels } from '../kernel.js';
import type { Params } from '../variant.js';
import { gatherPlan } from './lib/copy.js';

// DepthToSpace / SpaceToDepth on NCHW: a gather whose source coordinates come from the output's
// (c0..c3) by the block arithmetic of the two ops
registerKernels({
  ops: ['nn.DepthToSpace', 'nn.SpaceToDepth'],
  plan(a) {
    const [, C] = a.ins[0]!.dims as [number, number];
    const b = a.attrs.int('blocksize');
    if (a.node.op === 'nn.DepthToSpace') {
      const co = C / (b * b);
      const crd = a.attrs.string('mode', 'DCR') === 'CRD';
      // depth index: (c, bh, bw) for CRD, (bh, bw, c) for DCR
      // the block size and channel count as uniforms: b in P, then co
      const src = (k: number, p: Params) => {
        if (k !== 1) return [`c0`, '', `c2 / ${p.u(b)}`, `c3 / ${p.u(b)}`][k]!;
        const B = p.u(b);
        return crd
          ? `(c1 * ${B} + c2 % ${B}) * ${B} + c3 % ${B}`
          : `((c2 % ${B}) * ${B} + c3 % ${B}) * ${p.u(co)} + c1`;
      };
      return gatherPlan(a, 'rearrange', src, { key: { crd } });
    }
    // output channel = (bh, bw, c)
    return gatherPlan(a, 'rearrange', (k, p) => {
      const B = p.u(b),
        Cp = p.u(C);
      return [`c0`, `c1 % ${Cp}`, `c2 * ${B} + c1 / (${Cp} * ${B})`, `c3 * ${B} + (c1 / ${Cp}) % ${B}`][k]!;
    });
  },
});
