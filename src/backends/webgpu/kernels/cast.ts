// Cast family on the shared elementwise template, with the IR's conversion rules. CastLike's
// second input only lends its type: never bound or read (its shape may not even broadcast to the
// output's, e.g. a scalar cast like a matrix).

import { convert, registerElementwise } from './lib/elementwise.js';

registerElementwise({
  'nn.Cast': { gen: ([x], w, _attrs, outDt) => convert(x!, outDt, w), own: 'all' },
  'nn.CastLike': { gen: ([x], w, _attrs, outDt) => convert(x!, outDt, w), own: 'all', typeOnly: [1] },
});
