// Tensor framing: safetensors layout, every dtype, alignment, streamed reads in any chunking, and
// malformed frames refused with clear errors.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DTYPES } from '../../src/ir/dtype.js';
import { Tensor } from '../../src/ir/tensor.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { decodeFrame, encodeFrame, frameBytes } from '../../src/protocol/framing.js';

function sample(): [string, Tensor][] {
  // the wire carries numeric tensors: strings stay on the host (checked below)
  return DTYPES.filter((d) => d !== 'string').map((d, i) => {
    const n = 3 + i;
    const t = Tensor.zeros(d, [n]);
    const bytes = t.bytes();
    for (let k = 0; k < bytes.length; k++) bytes[k] = (k * 31 + i) & 0xff;
    if (d === 'bool') for (let k = 0; k < bytes.length; k++) bytes[k] = k & 1;
    return [`t_${d}`, t];
  });
}

async function* chunks(b: Uint8Array, size: number) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

test('round trip of every dtype, whole and streamed in odd chunk sizes', async () => {
  const ts = sample();
  ts.push(['empty', Tensor.zeros('float32', [0, 4])], ['scalar', Tensor.from('int64', [-5n], [])]);
  const f = encodeFrame(ts, { switchyard: '{"a":1}' });
  const b = frameBytes(f);
  assert.equal(b.length, f.byteLength);
  for (const src of [b, chunks(b, 1), chunks(b, 7), chunks(b, 4096)]) {
    const out = await decodeFrame(src);
    assert.equal(out.meta.switchyard, '{"a":1}');
    assert.equal(out.tensors.size, ts.length);
    for (const [name, t] of ts) {
      const got = out.tensors.get(name)!;
      assert.equal(got.type, t.type, name);
      assert.deepEqual(got.dims, t.dims, name);
      assert.deepEqual([...got.bytes()], [...t.bytes()], name);
    }
  }
});

test('safetensors layout: u64 header length, JSON header, 8-byte aligned data, offsets without holes', () => {
  const f = frameBytes(
    encodeFrame([
      ['a', Tensor.from('uint8', [1, 2, 3])],
      ['b', Tensor.from('float64', [1.5])],
      ['c', Tensor.from('float32', [2])],
    ]),
  );
  const n = Number(new DataView(f.buffer, f.byteOffset).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const h = JSON.parse(new TextDecoder().decode(f.subarray(8, 8 + n)));
  assert.deepEqual(h.b, { dtype: 'F64', shape: [1], data_offsets: [0, 8] });
  assert.deepEqual(h.c, { dtype: 'F32', shape: [1], data_offsets: [8, 12] });
  assert.deepEqual(h.a, { dtype: 'U8', shape: [3], data_offsets: [12, 15] });
  assert.equal(f.length, 8 + n + 15);
});

test('a whole body is viewed, not copied, when aligned', async () => {
  const f = frameBytes(encodeFrame([['x', Tensor.from('float32', [1, 2, 3, 4])]]));
  const out = await decodeFrame(f);
  assert.equal(out.tensors.get('x')!.bytes().buffer, f.buffer);
});

function rawFrame(header: unknown, data: Uint8Array, lenOverride?: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const b = new Uint8Array(8 + h.length + data.length);
  new DataView(b.buffer).setBigUint64(0, BigInt(lenOverride ?? h.length), true);
  b.set(h, 8);
  b.set(data, 8 + h.length);
  return b;
}

test('malformed frames are refused as bad_framing or payload_too_large, whole or streamed', async () => {
  const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const cases: [string, Uint8Array, string][] = [
    ['short prefix', new Uint8Array(5), 'shorter than|ends after'],
    ['header past end', rawFrame(ok, new Uint8Array(8), 9999), 'past the end|ends after'],
    ['huge header length', rawFrame(ok, new Uint8Array(8), 2 ** 40), 'larger than the limit'],
    [
      'not JSON',
      (() => {
        const b = rawFrame(ok, new Uint8Array(8));
        b[8] = 0x7b;
        b[9] = 0x7b;
        return b;
      })(),
      'not valid UTF-8 JSON',
    ],
    ['array header', rawFrame([1, 2], new Uint8Array(0)), 'must be a JSON object'],
    [
      'bad dtype',
      rawFrame({ x: { dtype: 'F8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)),
      'dtype \\"F8\\"',
    ],
    [
      'negative dim',
      rawFrame({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)),
      'non-negative',
    ],
    [
      'size mismatch',
      rawFrame({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
      'span 8 bytes',
    ],
    ['hole', rawFrame({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), 'without holes'],
    [
      'overlap',
      rawFrame(
        {
          x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        new Uint8Array(8),
      ),
      'without holes',
    ],
    ['truncated data', rawFrame(ok, new Uint8Array(5)), 'ends after'],
    ['trailing bytes', rawFrame(ok, new Uint8Array(12)), 'trailing bytes'],
    ['metadata not strings', rawFrame({ __metadata__: { a: 1 } }, new Uint8Array(0)), 'must be a string'],
    [
      'overflowing shape',
      rawFrame({ x: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }, new Uint8Array(4)),
      'too many elements',
    ],
  ];
  for (const [name, bytes, msg] of cases) {
    for (const src of [() => bytes, () => chunks(bytes, 3)]) {
      await assert.rejects(
        decodeFrame(src()),
        (e: unknown) => {
          assert.ok(e instanceof ProtocolError, `${name}: ${String(e)}`);
          assert.ok(['bad_framing', 'payload_too_large'].includes(e.code), name);
          assert.match(e.message, new RegExp(msg), name);
          return true;
        },
        name,
      );
    }
  }
});

test('body limits: declared length and streamed bytes past the limit are refused before allocation', async () => {
  const f = frameBytes(encodeFrame([['x', Tensor.zeros('float32', [1000])]]));
  await assert.rejects(decodeFrame(chunks(f, 100), { maxBodyBytes: 1000 }), /larger than the limit/);
  await assert.rejects(decodeFrame(chunks(f, 100), { maxBodyBytes: 1 << 20 }, f.length + 1), /the body is/);
  await assert.rejects(
    decodeFrame(f, { maxBodyBytes: 100 }),
    (e: unknown) => e instanceof ProtocolError && e.code === 'payload_too_large',
  );
});

test('a string tensor is refused with an error that says why', () => {
  assert.throws(
    () => encodeFrame([['s', new Tensor('string', ['a', 'b'], [2])]]),
    /'s' is a string tensor; the wire format carries numeric tensors only/,
  );
});
