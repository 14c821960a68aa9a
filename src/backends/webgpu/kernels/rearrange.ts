// DepthToSpace / SpaceToDepth: block rearrangements as gathers.

import { registerKernels } from '../kernel.js';
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
      const ch = crd
        ? `(c1 * ${b}u + c2 % ${b}u) * ${b}u + c3 % ${b}u`
        : `((c2 % ${b}u) * ${b}u + c3 % ${b}u) * ${co}u + c1`;
      return gatherPlan(a, (k) => [`c0`, ch, `c2 / ${b}u`, `c3 / ${b}u`][k]!);
    }
    // output channel = (bh, bw, c)
    return gatherPlan(
      a,
      (k) => [`c0`, `c1 % ${C}u`, `c2 * ${b}u + c1 / ${C * b}u`, `c3 * ${b}u + (c1 / ${C}u) % ${b}u`][k]!,
    );
  },
});
