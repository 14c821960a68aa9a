import assert from 'node:assert/strict';
import { test } from 'node:test';
import { f16ToF32, f32ToF16 } from '../../src/ir/float16.js';

test('float16 round-trips every finite bit pattern', () => {
  for (let h = 0; h < 0x10000; h++) {
    const e = (h >> 10) & 0x1f;
    if (e === 31 && h & 0x3ff) continue; // NaN payloads are not preserved
    assert.equal(f32ToF16(f16ToF32(h)), h, `pattern 0x${h.toString(16)}`);
  }
});

test('float16 rounds to nearest even and saturates to infinity', () => {
  assert.equal(f16ToF32(f32ToF16(1 + 2 ** -11)), 1); // tie -> even (down)
  assert.equal(f16ToF32(f32ToF16(1 + 3 * 2 ** -11)), 1 + 2 ** -9); // tie -> even (up)
  assert.equal(f16ToF32(f32ToF16(70000)), Infinity);
  assert.equal(f16ToF32(f32ToF16(2 ** -25)), 0);
  assert.ok(Number.isNaN(f16ToF32(f32ToF16(NaN))));
});
