// xfer.copy: a value crossing from one device to another (through the host), inserted after
// placement so the placed IR shows where data moves and how many bytes (`switchyard compile
// --print-after place`). Its semantics are the identity; its cost is the bytes it moves.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { bytesOf, inType } from './util.js';

const copy: OpDef = {
  name: 'xfer.copy',
  inputs: ['x'],
  outputs: ['y'],
  attrs: {
    from: { kind: 'string' },
    to: { kind: 'string' },
    bytes: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'x');
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [x] }) {
    return [x!];
  },
  cost({ types }) {
    return { flops: 0, bytes: 2 * bytesOf(types[0]) };
  },
};

registerOps([copy]);
