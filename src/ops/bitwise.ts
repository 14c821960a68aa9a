// Bit-level ops: BitShift (unsigned integers, LEFT or RIGHT, bits shifted past the width are
// lost), BitwiseAnd / Or / Xor (broadcast) and BitwiseNot on every integer type, and BitCast
// (opset 26: the same bits read as another type of the same width, little endian).

import { allocNumeric, type DType, dtypeFromOnnx, dtypePackedBits, isBig } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import {
  broadcastType,
  bytesOf,
  checkDType,
  elementwiseCost,
  INTS,
  inType,
  mapBroadcast,
  mapUnary,
  sameDType,
} from './util.js';

const UINTS: DType[] = ['uint8', 'uint16', 'uint32', 'uint64'];

const bitShift: OpDef = {
  name: 'nn.BitShift',
  inputs: ['X', 'Y'],
  outputs: ['Z'],
  attrs: { direction: { kind: 'string', required: true } },
  infer(ctx) {
    const x = inType(ctx, 0, 'X'),
      y = inType(ctx, 1, 'Y');
    checkDType(x, UINTS, 'X');
    sameDType(x, y, 'Y');
    const dir = ctx.attrs.string('direction');
    if (dir !== 'LEFT' && dir !== 'RIGHT') throw new Error(`direction '${dir}': LEFT or RIGHT expected`);
    return [broadcastType([x, y], x.dtype)];
  },
  run({ inputs: [x, y], attrs }) {
    const left = attrs.string('direction') === 'LEFT';
    const bits = BigInt(dtypePackedBits(x!.type));
    const mask = (1n << bits) - 1n;
    // bigint arithmetic for every width: a shift by the width or more leaves 0
    return [
      mapBroadcast([x!, y!], x!.type, (a, b) => {
        const v = BigInt(a),
          s = BigInt(b);
        const r = s >= bits ? 0n : left ? (v << s) & mask : v >> s;
        return isBig(x!.type) ? r : Number(r);
      }),
    ];
  },
  cost: elementwiseCost(1),
  onnx: { type: 'BitShift', minOpset: 11 },
};

type Big2 = (a: bigint, b: bigint) => bigint;
type Num2 = (a: number, b: number) => number;

function bitwiseBinary(type: 'And' | 'Or' | 'Xor', f: Big2, g: Num2): OpDef {
  return {
    name: `nn.Bitwise${type}`,
    inputs: ['A', 'B'],
    outputs: ['C'],
    infer(ctx) {
      const a = inType(ctx, 0, 'A'),
        b = inType(ctx, 1, 'B');
      checkDType(a, INTS, 'A');
      sameDType(a, b, 'B');
      return [broadcastType([a, b], a.dtype)];
    },
    // numbers up to 32 bits: JS bit operators act on the 32-bit pattern and the store wraps
    run: ({ inputs: [a, b] }) => [
      mapBroadcast([a!, b!], a!.type, (x, y) => (typeof x === 'bigint' ? f(x, y as bigint) : g(x, y as number))),
    ],
    cost: elementwiseCost(1),
    onnx: { type: `Bitwise${type}`, minOpset: 18 },
  };
}

const bitwiseNot: OpDef = {
  name: 'nn.BitwiseNot',
  inputs: ['X'],
  outputs: ['Y'],
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, INTS, 'X');
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run: ({ inputs: [x] }) => [mapUnary(x!, x!.type, (v) => (typeof v === 'bigint' ? ~v : ~v))],
  cost: elementwiseCost(1),
  onnx: { type: 'BitwiseNot', minOpset: 18 },
};

/** Same bits, another type: bytes copied; sub-byte values (one per byte here) masked and re-extended. */
export function bitCast(x: Tensor, to: DType): Tensor {
  const fromBits = dtypePackedBits(x.type),
    toBits = dtypePackedBits(to);
  if (fromBits !== toBits) {
    throw new Error(`BitCast from ${x.type} (${fromBits} bits) to ${to} (${toBits} bits): the widths must be equal`);
  }
  const out = allocNumeric(to, x.size);
  if (fromBits >= 8) {
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(x.bytes());
  } else {
    const mask = (1 << fromBits) - 1,
      shift = 32 - fromBits;
    const signed = to === 'int4' || to === 'int2';
    const src = x.data as Uint8Array,
      dst = out as Uint8Array;
    for (let i = 0; i < x.size; i++) {
      const v = src[i]! & mask;
      dst[i] = signed ? (v << shift) >> shift : v;
    }
  }
  return new Tensor(to, out, x.dims);
}

const bitCastOp: OpDef = {
  name: 'nn.BitCast',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { to: { kind: 'int', required: true } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    const to = dtypeFromOnnx(ctx.attrs.int('to'));
    if (dtypePackedBits(x.dtype) !== dtypePackedBits(to)) {
      throw new Error(
        `input ${formatType(x)} has ${dtypePackedBits(x.dtype)}-bit elements but 'to' (${to}) has ` +
          `${dtypePackedBits(to)}: BitCast needs equal widths`,
      );
    }
    return [{ dtype: to, shape: x.shape }];
  },
  run: ({ inputs: [x], attrs }) => [bitCast(x!, dtypeFromOnnx(attrs.int('to')))],
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) * 2 }),
  onnx: { type: 'BitCast', minOpset: 26 },
};

registerOps([
  bitShift,
  bitwiseBinary(
    'And',
    (a, b) => a & b,
    (a, b) => a & b,
  ),
  bitwiseBinary(
    'Or',
    (a, b) => a | b,
    (a, b) => a | b,
  ),
  bitwiseBinary(
    'Xor',
    (a, b) => a ^ b,
    (a, b) => a ^ b,
  ),
  bitwiseNot,
  bitCastOp,
]);
