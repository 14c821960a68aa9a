// Logical family on the shared elementwise template: comparisons and boolean logic read their
// inputs in their own type and store bool as 0/1; Where selects by its condition.

import { type Gen, registerElementwise } from './lib/elementwise.js';

const cmp =
  (op: string): Gen =>
  ([a, b]) =>
    `select(0u, 1u, ${a!.code} ${op} ${b!.code})`;
const logic =
  (op: string): Gen =>
  ([a, b]) =>
    `select(0u, 1u, (${a!.code} != 0u) ${op} (${b!.code} != 0u))`;

const own = (gen: Gen) => ({ gen, own: 'all' as const });

registerElementwise({
  'nn.Equal': own(cmp('==')),
  'nn.Greater': own(cmp('>')),
  'nn.Less': own(cmp('<')),
  'nn.GreaterOrEqual': own(cmp('>=')),
  'nn.LessOrEqual': own(cmp('<=')),
  'nn.And': own(logic('&&')),
  'nn.Or': own(logic('||')),
  'nn.Xor': own(logic('!=')),
  'nn.Not': own(([x]) => `select(1u, 0u, ${x!.code} != 0u)`),
  'nn.Where': { gen: ([c, x, y]) => `select(${y!.code}, ${x!.code}, ${c!.code} != 0u)`, own: [0] },
  'nn.IsInf': own((args, _w, attrs) => {
    const x = `f32(${args[0]!.code})`;
    const neg = attrs.int('detect_negative', 1) === 1,
      pos = attrs.int('detect_positive', 1) === 1;
    const conds = [pos ? `(is_inf(${x}) && ${x} > 0.0)` : '', neg ? `(is_inf(${x}) && ${x} < 0.0)` : ''];
    const any = conds.filter(Boolean);
    return any.length ? `select(0u, 1u, ${any.join(' || ')})` : '0u';
  }),
});
