// RotaryEmbedding: edge cases beyond the ONNX conformance data, checked against independent
// formulations (complex multiplication, the relative-position property of RoPE).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import type { DType } from '../../src/ir/dtype.js';
import { Node, type TensorType, Value } from '../../src/ir/graph.js';
import { inferNode } from '../../src/ir/infer.js';
import { Tensor } from '../../src/ir/tensor.js';
import { evalNode } from '../../src/ops/evaluate.js';

let seed = 777;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) / 0x100000000) * 2 - 1;
}
function randT(dims: number[], dtype: DType = 'float32'): Tensor {
  return Tensor.from(dtype, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, rand), dims);
}

function node(types: (TensorType | undefined)[], attrs: Record<string, number> = {}): Node {
  const ins = types.map((t, i) => (t ? new Value(`in${i}`, t) : null));
  while (ins.length && ins[ins.length - 1] === null) ins.pop();
  const a: Node['attrs'] = {};
  for (const [k, v] of Object.entries(attrs)) a[k] = { kind: 'int', value: v };
  return new Node('nn.RotaryEmbedding', ins, [new Value('y')], a, 'rope');
}

function rope(inputs: (Tensor | undefined)[], attrs: Record<string, number> = {}): Tensor {
  const n = node(
    inputs.map((t) => (t ? { dtype: t.type, shape: [...t.dims] } : undefined)),
    attrs,
  );
  const [ty] = inferNode(n);
  const [y] = evalNode(n, inputs);
  assert.deepEqual(ty!.shape, [...y!.dims]);
  assert.equal(ty!.dtype, y!.type);
  return y!;
}

/** Standard RoPE caches: angle(pos, m) = pos * base^(-2m/rot). */
function caches(maxPos: number, half: number, dtype: DType = 'float32'): [Tensor, Tensor] {
  const ang = (p: number, m: number) => p * 10000 ** (-m / half);
  const cos: number[] = [],
    sin: number[] = [];
  for (let p = 0; p < maxPos; p++)
    for (let m = 0; m < half; m++) {
      cos.push(Math.cos(ang(p, m)));
      sin.push(Math.sin(ang(p, m)));
    }
  return [Tensor.from(dtype, cos, [maxPos, half]), Tensor.from(dtype, sin, [maxPos, half])];
}

function close(actual: number[], expected: number[], tol = 1e-6, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) =>
    assert.ok(
      Math.abs(a - expected[i]!) <= tol * (1 + Math.abs(expected[i]!)),
      `${what}[${i}]: got ${a}, expected ${expected[i]}`,
    ),
  );
}

test('4-D, full rotation: each (m, m + D/2) pair is multiplied by e^(i angle) as a complex number', () => {
  const [B, H, S, D] = [2, 3, 4, 8];
  const x = randT([B, H, S, D]);
  const [cos, sin] = caches(16, D / 2);
  const pos = Tensor.from('int64', [3n, 0n, 7n, 15n, 1n, 1n, 2n, 9n], [B, S]);
  const y = rope([x, cos, sin, pos]).toNumbers();
  const xv = x.toNumbers(),
    c = cos.toNumbers(),
    s = sin.toNumbers(),
    p = pos.toNumbers();
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < S; t++) {
        const base = ((b * H + h) * S + t) * D;
        for (let m = 0; m < D / 2; m++) {
          const re = xv[base + m]!,
            im = xv[base + m + D / 2]!;
          const cr = c[p[b * S + t]! * (D / 2) + m]!,
            ci = s[p[b * S + t]! * (D / 2) + m]!;
          close(
            [y[base + m]!, y[base + m + D / 2]!],
            [re * cr - im * ci, re * ci + im * cr],
            1e-6,
            `b${b} h${h} t${t} m${m}`,
          );
        }
      }
});

test('RoPE relative-position property: <rope(q, m), rope(k, n)> depends only on m - n', () => {
  const D = 16;
  const [cos, sin] = caches(40, D / 2, 'float32');
  const q = randT([1, 1, 1, D]),
    k = randT([1, 1, 1, D]);
  const at = (x: Tensor, p: number) => rope([x, cos, sin, Tensor.from('int64', [BigInt(p)], [1, 1])], {}).toNumbers();
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  for (const interleaved of [0, 1]) {
    const r = (x: Tensor, p: number) =>
      rope([x, cos, sin, Tensor.from('int64', [BigInt(p)], [1, 1])], { interleaved }).toNumbers();
    close([dot(r(q, 10), r(k, 7))], [dot(r(q, 23), r(k, 20))], 1e-5, `interleaved=${interleaved}`);
  }
  // position 0 is the identity
  close(at(q, 0), q.toNumbers(), 0, 'position 0');
});

test('interleaved rotates (2m, 2m+1) pairs; partial rotation passes the tail through', () => {
  const [B, H, S, D, rot] = [1, 2, 3, 10, 6];
  const x = randT([B, H, S, D]);
  const [cos, sin] = caches(8, rot / 2);
  const pos = Tensor.from('int64', [5n, 2n, 7n], [1, 3]);
  const y = rope([x, cos, sin, pos], { interleaved: 1, rotary_embedding_dim: rot }).toNumbers();
  const xv = x.toNumbers(),
    c = cos.toNumbers(),
    s = sin.toNumbers();
  for (let h = 0; h < H; h++)
    for (let t = 0; t < S; t++) {
      const base = (h * S + t) * D,
        row = Number(pos.data[t]) * (rot / 2);
      for (let m = 0; m < rot / 2; m++) {
        const a = xv[base + 2 * m]!,
          b = xv[base + 2 * m + 1]!;
        close(
          [y[base + 2 * m]!, y[base + 2 * m + 1]!],
          [a * c[row + m]! - b * s[row + m]!, a * s[row + m]! + b * c[row + m]!],
          1e-6,
        );
      }
      assert.deepEqual(y.slice(base + rot, base + D), xv.slice(base + rot, base + D), 'tail unchanged');
    }
});

test('3-D input with num_heads equals the 4-D op on the transposed tensor', () => {
  const [B, S, H, D] = [2, 3, 4, 6];
  const x3 = randT([B, S, H * D]);
  const v = x3.toNumbers();
  const x4 = Tensor.from(
    'float32',
    Array.from({ length: v.length }, (_, n) => {
      const d = n % D,
        t = Math.floor(n / D) % S,
        h = Math.floor(n / (D * S)) % H,
        b = Math.floor(n / (D * S * H));
      return v[(b * S + t) * H * D + h * D + d]!;
    }),
    [B, H, S, D],
  );
  const [cos, sin] = caches(10, 2);
  const pos = Tensor.from('int64', [1n, 2n, 3n, 9n, 0n, 4n], [B, S]);
  for (const interleaved of [0, 1]) {
    const y3 = rope([x3, cos, sin, pos], { num_heads: H, rotary_embedding_dim: 4, interleaved }).toNumbers();
    const y4 = rope([x4, cos, sin, pos], { rotary_embedding_dim: 4, interleaved }).toNumbers();
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < S; t++)
          for (let d = 0; d < D; d++) {
            assert.equal(y3[(b * S + t) * H * D + h * D + d], y4[((b * H + h) * S + t) * D + d]);
          }
  }
});

test('without position_ids the caches are [batch, seq, rot/2] and may broadcast over batch', () => {
  const [B, H, S, D] = [3, 2, 4, 4];
  const x = randT([B, H, S, D]);
  const [cos2, sin2] = caches(S, D / 2);
  const cos = cos2.reshape([1, S, D / 2]),
    sin = sin2.reshape([1, S, D / 2]);
  const ids = Tensor.from(
    'int64',
    Array.from({ length: B * S }, (_, n) => BigInt(n % S)),
    [B, S],
  );
  close(rope([x, cos, sin]).toNumbers(), rope([x, cos2, sin2, ids]).toNumbers(), 0, 'same as position_ids = 0..S-1');
});

test('negative position_ids index from the end (as Gather); out-of-range ids are an error', () => {
  const x = randT([1, 1, 2, 4]);
  const [cos, sin] = caches(6, 2);
  close(
    rope([x, cos, sin, Tensor.from('int64', [-1n, -6n], [1, 2])]).toNumbers(),
    rope([x, cos, sin, Tensor.from('int64', [5n, 0n], [1, 2])]).toNumbers(),
    0,
  );
  assert.throws(
    () => rope([x, cos, sin, Tensor.from('int64', [6n, 0n], [1, 2])]),
    /position_ids\[0,0\] = 6 is out of range for caches with 6 positions/,
  );
});

test('float16 is computed in float64 and rounded once', () => {
  const x = randT([1, 2, 3, 8], 'float16');
  const [cos, sin] = caches(5, 4, 'float16');
  const pos = Tensor.from('int64', [0n, 2n, 4n], [1, 3]);
  const y = rope([x, cos, sin, pos]);
  assert.equal(y.type, 'float16');
  const x32 = Tensor.from('float32', x.toNumbers(), x.dims);
  const c32 = Tensor.from('float32', cos.toNumbers(), cos.dims),
    s32 = Tensor.from('float32', sin.toNumbers(), sin.dims);
  close(y.toNumbers(), rope([x32, c32, s32, pos]).toNumbers(), 1e-3, 'fp16 vs fp32');
});

test('errors name the input, the dim and the rule', () => {
  const f = (shape: (number | string)[], dtype: DType = 'float32'): TensorType => ({ dtype, shape });
  const t =
    (types: (TensorType | undefined)[], attrs: Record<string, number> = {}) =>
    () =>
      inferNode(node(types, attrs));
  const pos = f([2, 3], 'int64');
  assert.throws(t([f([2, 3, 32]), f([50, 4]), f([50, 4]), pos]), /3-D input needs the num_heads attribute/);
  assert.throws(
    t([f([2, 3, 30]), f([50, 4]), f([50, 4]), pos], { num_heads: 4 }),
    /hidden size 30 is not divisible by num_heads=4/,
  );
  assert.throws(
    t([f([2, 4, 3, 8]), f([50, 3]), f([50, 3]), pos]),
    /cos_cache has shape \[50,3\]; its last dim 3 must be rotary_dim\/2 = 4/,
  );
  assert.throws(
    t([f([2, 4, 3, 8]), f([50, 2]), f([50, 2]), pos], { rotary_embedding_dim: 3 }),
    /rotary_embedding_dim 3 must be even/,
  );
  assert.throws(t([f([2, 4, 3, 8]), f([50, 5]), f([50, 5]), pos], { rotary_embedding_dim: 10 }), /exceeds head_size 8/);
  assert.throws(t([f([2, 4, 3, 7]), f([50, 3]), f([50, 3]), pos]), /head_size 7 must be even/);
  assert.throws(
    t([f([2, 4, 3, 8]), f([2, 3, 4]), f([2, 3, 4]), pos]),
    /cos_cache has shape \[2,3,4\]; it must be \[max_position_id_plus_1/,
  );
  assert.throws(
    t([f([2, 4, 3, 8]), f([50, 4]), f([50, 4])]),
    /it must be \[batch, seq, rotary_dim\/2\] \(no position_ids\)/,
  );
  assert.throws(t([f([2, 4, 3, 8]), f([2, 5, 4]), f([2, 5, 4])]), /dim 1 \(5\) must be sequence_length \(3\) or 1/);
  assert.throws(
    t([f([2, 4, 3, 8]), f([50, 4]), f([50, 4]), f([3, 3], 'int64')]),
    /position_ids has shape \[3,3\]; dim 0 \(3\) must be batch_size \(2\)/,
  );
  assert.throws(
    t([f([2, 4, 3, 8]), f([50, 4]), f([50, 4]), f([2, 3], 'int32')]),
    /position_ids has type .*int64 expected/,
  );
  assert.throws(
    t([f([2, 4, 3, 8]), f([50, 4], 'float16'), f([50, 4]), pos]),
    /cos_cache has type .* must match the input type float32/,
  );
  assert.throws(t([f([2, 4, 8]), f([50, 4]), f([50, 4]), pos], { num_heads: 0 }), /num_heads must be positive/);
  assert.throws(t([f([8]), f([50, 4]), f([50, 4]), pos]), /needs rank 4/);
  // symbolic dims pass through
  const [y] = inferNode(node([f(['b', 'h', 's', 64]), f(['p', 32]), f(['p', 32]), f(['b', 's'], 'int64')]));
  assert.deepEqual(y!.shape, ['b', 'h', 's', 64]);
});
