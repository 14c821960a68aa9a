// Binary (and variadic) arithmetic on the shared template: integer division by zero gives 0,
// Mod follows Python's sign rule unless fmod=1, Pow keeps an integer exponent in its own type.

import type { Node } from '../../../ir/graph.js';
import { isFloatW } from '../wgsl.js';
import { litW, registerElementwise } from './lib/elementwise.js';

registerElementwise({
  'nn.Add': ([a, b]) => `(${a!.code} + ${b!.code})`,
  'nn.Sub': ([a, b]) => `(${a!.code} - ${b!.code})`,
  'nn.Mul': ([a, b]) => `(${a!.code} * ${b!.code})`,
  'nn.Div': ([a, b], w) =>
    isFloatW(w)
      ? `(${a!.code} / ${b!.code})`
      : `select(${a!.code} / ${b!.code}, ${litW(w, 0)}, ${b!.code} == ${litW(w, 0)})`,
  'nn.Mod': ([a, b], w, attrs) => {
    if (isFloatW(w)) return `(${a!.code} % ${b!.code})`;
    const z = litW(w, 0);
    const r = `(${a!.code} % select(${b!.code}, ${litW(w, 1)}, ${b!.code} == ${z}))`;
    if (w === 'u32' || attrs.int('fmod', 0) === 1) return `select(${r}, ${z}, ${b!.code} == ${z})`;
    return `mod_py(${a!.code}, ${b!.code})`;
  },
  'nn.Pow': {
    gen: ([x, y], w) => {
      if (isFloatW(w))
        return w === 'f32' ? `pow_s(${x!.code}, f32(${y!.code}))` : `${w}(pow_s(f32(${x!.code}), f32(${y!.code})))`;
      if (isFloatW(y!.w)) return `${w}(pow_s(f32(${x!.code}), ${y!.code}))`;
      return `${w}(ipow(i32(${x!.code}), i32(${y!.code})))`;
    },
    own: [1],
    supports: (node: Node) =>
      node.inputs[1]?.type?.dtype === 'int64' ? 'int64 exponent: WGSL has no 64-bit integers' : true,
  },
  'nn.Max': (args) => args.slice(1).reduce((acc, a) => `max(${acc}, ${a.code})`, args[0]!.code),
  'nn.Min': (args) => args.slice(1).reduce((acc, a) => `min(${acc}, ${a.code})`, args[0]!.code),
  'nn.Sum': (args) => `(${args.map((a) => a.code).join(' + ')})`,
  'nn.Mean': (args, w) => `((${args.map((a) => a.code).join(' + ')}) / ${litW(w, args.length)})`,
});
