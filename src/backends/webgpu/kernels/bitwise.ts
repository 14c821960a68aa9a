// Bitwise family on the shared elementwise template: bit ops on the 32-bit compute value; the
// store rule wraps 8- and 16-bit results.

import { registerElementwise } from './lib/elementwise.js';

registerElementwise({
  'nn.BitwiseNot': ([x]) => `(~${x!.code})`,
  'nn.BitwiseAnd': ([a, b]) => `(${a!.code} & ${b!.code})`,
  'nn.BitwiseOr': ([a, b]) => `(${a!.code} | ${b!.code})`,
  'nn.BitwiseXor': ([a, b]) => `(${a!.code} ^ ${b!.code})`,
  // WGSL takes the shift amount modulo 32: a shift by 32 or more gives 0 explicitly
  'nn.BitShift': ([a, b], _w, attrs) =>
    `select(0u, ${a!.code} ${attrs.string('direction') === 'LEFT' ? '<<' : '>>'} ${b!.code}, ${b!.code} < 32u)`,
});
