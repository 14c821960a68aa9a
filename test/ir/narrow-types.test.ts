import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { readTensorFile, writeTensorFile } from '../../src/frontend/onnx/tensor-proto.js';
import { dtypeFromOnnx, dtypeFromShort, dtypeShort, dtypeToOnnx } from '../../src/ir/dtype.js';
import { bf16ToF32, e8m0ToF32, f32ToBf16, f32ToE8m0, miniDecoder, miniEncode } from '../../src/ir/minifloat.js';
import { packSubByte, unpackSubByte } from '../../src/ir/narrow.js';
import { Tensor } from '../../src/ir/tensor.js';
import { castTensor } from '../../src/ops/cast.js';

test('narrow dtypes have ONNX codes and text-form names that round-trip', () => {
  const codes: [string, number, string][] = [
    ['bfloat16', 16, 'bf16'],
    ['float8e4m3fn', 17, 'f8e4m3fn'],
    ['float8e4m3fnuz', 18, 'f8e4m3fnuz'],
    ['float8e5m2', 19, 'f8e5m2'],
    ['float8e5m2fnuz', 20, 'f8e5m2fnuz'],
    ['uint4', 21, 'u4'],
    ['int4', 22, 'i4'],
    ['float4e2m1', 23, 'f4e2m1'],
    ['float8e8m0', 24, 'f8e8m0'],
    ['uint2', 25, 'u2'],
    ['int2', 26, 'i2'],
  ];
  for (const [d, code, short] of codes) {
    assert.equal(dtypeFromOnnx(code), d);
    assert.equal(dtypeToOnnx(dtypeFromOnnx(code)), code);
    assert.equal(dtypeShort(dtypeFromOnnx(code)), short);
    assert.equal(dtypeFromShort(short), d);
  }
});

test('bfloat16 keeps the top 16 bits of float32, rounding to nearest even', () => {
  assert.equal(f32ToBf16(1), 0x3f80);
  assert.equal(f32ToBf16(-2), 0xc000);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to the even pattern 0x3f80
  assert.equal(f32ToBf16(1 + 2 ** -8), 0x3f80);
  assert.equal(f32ToBf16(1 + 3 * 2 ** -8), 0x3f82);
  assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(NaN))));
  assert.equal(bf16ToF32(f32ToBf16(Infinity)), Infinity);
  assert.equal(bf16ToF32(0x4049), 3.140625);
});

test('float8 formats: decode tables and the ONNX saturation table', () => {
  // largest finite values from the OCP FP8 / ONNX specs
  const max = (n: Parameters<typeof miniDecoder>[0]) => Math.max(...[...miniDecoder(n)].filter(Number.isFinite));
  assert.equal(max('float8e4m3fn'), 448);
  assert.equal(max('float8e4m3fnuz'), 240);
  assert.equal(max('float8e5m2'), 57344);
  assert.equal(max('float8e5m2fnuz'), 57344);
  assert.equal(max('float4e2m1'), 6);
  // smallest subnormals
  assert.equal(miniDecoder('float8e4m3fn')[1], 2 ** -9);
  assert.equal(miniDecoder('float8e5m2')[1], 2 ** -16);
  assert.equal(miniDecoder('float8e4m3fnuz')[1], 2 ** -10);
  // NaN patterns: fn has only S.1111.111, fnuz uses the negative zero
  assert.ok(Number.isNaN(miniDecoder('float8e4m3fn')[0x7f]!));
  assert.equal(miniDecoder('float8e4m3fn')[0x78], 256);
  assert.ok(Number.isNaN(miniDecoder('float8e4m3fnuz')[0x80]!));
  assert.equal(miniDecoder('float8e5m2')[0x7c], Infinity);
  // saturate: overflow and infinity clamp; without: NaN or infinity
  assert.equal(miniEncode('float8e4m3fn', 1e6), 0x7e);
  assert.equal(miniEncode('float8e4m3fn', -Infinity), 0xfe);
  assert.equal(miniEncode('float8e4m3fn', 1e6, false), 0x7f);
  assert.equal(miniEncode('float8e5m2', 1e6, false), 0x7c);
  assert.equal(miniEncode('float8e5m2', -1e6, false), 0xfc);
  assert.equal(miniEncode('float8e5m2fnuz', 1e6, false), 0x80);
  // values just past the largest finite value round down to it
  assert.equal(miniEncode('float8e4m3fn', 460, false), 0x7e);
  // round to nearest even: 1.0625 is halfway between 1 and 1.125 (3-bit mantissa) -> 1
  assert.equal(miniDecoder('float8e4m3fn')[miniEncode('float8e4m3fn', 1.0625)], 1);
  assert.equal(miniDecoder('float8e4m3fn')[miniEncode('float8e4m3fn', 1.1875)], 1.25);
  // fnuz has no negative zero
  assert.equal(miniEncode('float8e4m3fnuz', -0), 0);
  assert.equal(miniDecoder('float8e4m3fnuz')[miniEncode('float8e4m3fnuz', -208.4)], -208);
  assert.equal(miniDecoder('float8e5m2fnuz')[miniEncode('float8e5m2fnuz', -3)], -3);
  assert.equal(miniEncode('float8e4m3fn', -0), 0x80);
  // float4e2m1 has no NaN or infinity: NaN -> 0, overflow -> ±6
  assert.equal(miniEncode('float4e2m1', NaN), 0);
  assert.equal(miniDecoder('float4e2m1')[miniEncode('float4e2m1', -100)], -6);
  assert.equal(miniDecoder('float4e2m1')[miniEncode('float4e2m1', 2.5)], 2);
});

test('float8e8m0 rounds a power of two up, down or to nearest', () => {
  assert.equal(e8m0ToF32(127), 1);
  assert.equal(f32ToE8m0(3, true, 'up'), 129);
  assert.equal(f32ToE8m0(3, true, 'down'), 128);
  assert.equal(f32ToE8m0(2.9, true, 'nearest'), 128);
  assert.equal(f32ToE8m0(3.1, true, 'nearest'), 129);
  assert.equal(f32ToE8m0(Infinity, true), 0xfe);
  assert.equal(f32ToE8m0(Infinity, false), 0xff);
  assert.ok(Number.isNaN(e8m0ToF32(0xff)));
});

test('sub-byte types pack as ONNX does (first element in the low bits) and round-trip through TensorProto', () => {
  const i4 = new Tensor('int4', Int8Array.from([-8, 7, -1]), [3]);
  assert.deepEqual([...packSubByte('int4', i4.data)], [0x78, 0x0f]);
  const u2 = Uint8Array.from([1, 2, 3, 0, 3]);
  const packed = packSubByte('uint2', u2);
  assert.deepEqual([...packed], [0b00111001, 0b11]);
  const back = new Uint8Array(5);
  unpackSubByte('uint2', packed, 5, back);
  assert.deepEqual([...back], [...u2]);
  const rt = readTensorFile(writeTensorFile(i4), 'i4.pb');
  assert.deepEqual([rt.type, ...rt.toNumbers()], ['int4', -8, 7, -1]);
  // int32_data may hold the packed bytes too
  const pb = onnx.TensorProto.encode({ dims: [3], dataType: 22, int32Data: [0x78, 0x0f] }).finish();
  assert.deepEqual(readTensorFile(pb, 'x.pb').toNumbers(), [-8, 7, -1]);
  const bad = onnx.TensorProto.encode({ dims: [3], dataType: 22, rawData: new Uint8Array(3) }).finish();
  assert.throws(() => readTensorFile(bad, 'b.pb'), /raw_data has 3 bytes but packed int4\[3\] needs 2/);
  const f8 = readTensorFile(writeTensorFile(Tensor.from('float8e5m2', [1.5, -57344, 0.25])), 'f8.pb');
  assert.deepEqual(f8.toNumbers(), [1.5, -57344, 0.25]);
});

test('Cast to and from narrow types follows saturate; sub-byte integers wrap', () => {
  const x = Tensor.from('float32', [1e6, -3, 0.3, 9]);
  assert.deepEqual(castTensor(x, 'float8e4m3fn').toNumbers(), [448, -3, 0.3125, 9]);
  const ns = castTensor(x, 'float8e4m3fn', { saturate: false }).toNumbers();
  assert.ok(Number.isNaN(ns[0]!));
  assert.deepEqual(castTensor(x, 'int4').toNumbers(), [0, -3, 0, -7]);
  assert.deepEqual(castTensor(Tensor.from('int4', [-8, 7]), 'float32').toNumbers(), [-8, 7]);
  assert.deepEqual(castTensor(Tensor.from('bfloat16', [1.5, -2]), 'float16').toNumbers(), [1.5, -2]);
});

test('narrow types print and parse in the text form, and on WASM run on the reference path, recorded', async () => {
  const { GraphBuilder } = await import('../../src/ir/builder.js');
  const { printGraph } = await import('../../src/ir/printer.js');
  const { parseGraph } = await import('../../src/ir/parser.js');
  const { Session } = await import('../../src/runtime/session.js');
  const g = new GraphBuilder();
  const x = g.input('x', 'int4', [3]);
  const y = g.op('CastLike', [x, g.constant(Tensor.from('float8e4m3fn', [1.5, -448, 0.25]), 'c')]);
  g.output(g.op('Mul', [g.op('Cast', [y], { to: 16 }), g.constant(Tensor.from('bfloat16', [2, 3, 4]), 'd')]), 'y');
  const model = g.build();
  const text = printGraph(model);
  assert.match(text, /%c = const dense<\[1.5, -448, 0.25\]> : f8e4m3fn\[3\]/);
  assert.match(text, /\(%x: i4\[3\]\) -> \(bf16\[3\]\)/);
  assert.equal(printGraph(parseGraph(text)), text);
  const s = await Session.create(model, { backend: 'wasm', threads: 1 });
  try {
    const out = (await s.run({ x: Tensor.from('int4', [-8, 7, 3]) })).y!;
    assert.deepEqual([out.type, ...out.toNumbers()], ['bfloat16', -16, 21, 12]);
    assert.ok(
      [...s.fallbacks.values()].some((why) => /no WASM kernels take (int4|float8e4m3fn|bfloat16)/.test(why)),
      [...s.fallbacks.values()].join('; '),
    );
  } finally {
    await s.release();
  }
});
