// Attention: edge cases beyond the ONNX conformance data, checked against a naive computation
// written independently of src/ops/attention.ts (explicit head repetition, full score matrices).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import { type AttributeProto, onnx } from '../../src/frontend/onnx/proto.js';
import { toAttr } from '../../src/ir/attributes.js';
import type { DType } from '../../src/ir/dtype.js';
import { Node, type TensorType, Value } from '../../src/ir/graph.js';
import { inferNode } from '../../src/ir/infer.js';
import { lookupOp } from '../../src/ir/op-def.js';
import { Tensor } from '../../src/ir/tensor.js';
import { evalNode } from '../../src/ops/evaluate.js';

// ---------------------------------------------------------------------------------------------
// helpers

let seed = 12345;
function rand(): number {
  // xorshift32, deterministic across runs
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) / 0x100000000) * 2 - 1;
}
function randT(dims: number[], dtype: DType = 'float32'): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return Tensor.from(dtype, Array.from({ length: n }, rand), dims);
}

type Opt = Tensor | undefined;
interface Call {
  inputs: Opt[];
  attrs?: Record<string, unknown>;
  /** which of the 4 outputs to request (default: Y only) */
  outs?: number[];
  opset23?: boolean;
}

function node(c: Call, inputTypes?: (TensorType | undefined)[]): Node {
  const def = lookupOp('nn.Attention')!;
  const ins = (inputTypes ?? c.inputs.map((t) => (t ? { dtype: t.type, shape: [...t.dims] } : undefined))).map(
    (ty, i) => (ty ? new Value(`in${i}`, ty) : null),
  );
  while (ins.length && ins[ins.length - 1] === null) ins.pop();
  const attrs: Record<string, ReturnType<typeof toAttr>> = {};
  for (const [k, v] of Object.entries(c.attrs ?? {})) attrs[k] = toAttr(v, def.attrs![k]!.kind);
  if (c.opset23) attrs.pad_short_mask = { kind: 'int', value: 0 };
  const want = c.outs ?? [0];
  const outs = [0, 1, 2, 3].map((i) => (want.includes(i) ? new Value(`out${i}`) : null));
  while (outs.length && outs[outs.length - 1] === null) outs.pop();
  return new Node('nn.Attention', ins, outs, attrs, 'attn');
}

/** Infer and run one Attention node; results are indexed like the op's outputs. */
function attention(c: Call): Tensor[] {
  const n = node(c);
  const types = inferNode(n);
  const res = evalNode(n, c.inputs);
  for (const i of c.outs ?? [0]) {
    assert.deepEqual(types[i]!.shape, [...res[i]!.dims], `inferred shape of output ${i}`);
    assert.equal(types[i]!.dtype, res[i]!.type);
  }
  return res;
}

function inferTypes(
  types: (TensorType | undefined)[],
  attrs: Record<string, unknown> = {},
  outs = [0, 1, 2, 3],
): TensorType[] {
  return inferNode(node({ inputs: [], attrs, outs }, types));
}

function close(actual: number[], expected: number[], tol = 1e-6, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!,
      e = expected[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    if (a === e) continue;
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

// A naive reference: plain nested arrays in [b][h][s][d] form, written without the op's index math.
type A4 = number[][][][];
function to4(t: Tensor): A4 {
  const [B, H, S, D] = t.dims as number[];
  const v = t.toNumbers();
  return Array.from({ length: B! }, (_, b) =>
    Array.from({ length: H! }, (_, h) =>
      Array.from({ length: S! }, (_, s) => Array.from({ length: D! }, (_, d) => v[((b * H! + h) * S! + s) * D! + d]!)),
    ),
  );
}
/** [B, S, H*D] -> [B][H][S][D] */
function split3(t: Tensor, heads: number): A4 {
  const [B, S, HD] = t.dims as number[];
  const D = HD! / heads;
  const v = t.toNumbers();
  return Array.from({ length: B! }, (_, b) =>
    Array.from({ length: heads }, (_, h) =>
      Array.from({ length: S! }, (_, s) => Array.from({ length: D }, (_, d) => v[(b * S! + s) * HD! + h * D + d]!)),
    ),
  );
}
const flat4 = (a: A4) => a.flat(3);
/** [B][H][S][D] -> flat [B, S, H*D] */
const merge3 = (a: A4) => a.flatMap((bh) => bh[0]!.map((_, s) => bh.flatMap((h) => h[s]!))).flat();

interface NaiveOpts {
  mask?: (b: number, h: number, i: number, j: number) => number; // additive, -inf = masked
  causal?: boolean;
  scale?: number;
  softcap?: number;
  nonpad?: number[];
}
/** Attention with explicit KV-head repetition, past concatenation and a full score matrix. */
function naive(q: A4, k: A4, v: A4, pk: A4 | undefined, pv: A4 | undefined, o: NaiveOpts) {
  const B = q.length,
    Hq = q[0]!.length,
    Sq = q[0]![0]!.length,
    D = q[0]![0]![0]!.length;
  const Hkv = k[0]!.length;
  const keys = k.map((kb, b) => kb.map((kh, h) => [...(pk ? pk[b]![h]! : []), ...kh]));
  const vals = v.map((vb, b) => vb.map((vh, h) => [...(pv ? pv[b]![h]! : []), ...vh]));
  const past = pk ? pk[0]![0]!.length : 0;
  const rep = Hq / Hkv;
  const kRep = keys.map((kb) => Array.from({ length: Hq }, (_, h) => kb[Math.floor(h / rep)]!));
  const vRep = vals.map((vb) => Array.from({ length: Hq }, (_, h) => vb[Math.floor(h / rep)]!));
  const scale = o.scale ?? 1 / Math.sqrt(D);
  const y: A4 = [],
    probsAll: A4 = [];
  for (let b = 0; b < B; b++) {
    y.push([]);
    probsAll.push([]);
    for (let h = 0; h < Hq; h++) {
      y[b]!.push([]);
      probsAll[b]!.push([]);
      const K = kRep[b]![h]!,
        V = vRep[b]![h]!;
      for (let i = 0; i < Sq; i++) {
        const offset = o.nonpad && !pk ? o.nonpad[b]! - Sq : past;
        const scores = K.map((kj, j) => {
          let s = 0;
          kj.forEach((x, d) => {
            s += x * q[b]![h]![i]![d]!;
          });
          s *= scale;
          if (o.softcap) s = o.softcap * Math.tanh(s / o.softcap);
          let bias = o.mask ? o.mask(b, h, i, j) : 0;
          if (o.causal && j > i + offset) bias = -Infinity;
          if (o.nonpad && j >= o.nonpad[b]!) bias = -Infinity;
          return { s: s + bias, masked: bias === -Infinity };
        });
        let p: number[];
        if (scores.every((x) => x.masked)) p = scores.map(() => 0);
        else {
          const m = Math.max(...scores.map((x) => x.s));
          const e = scores.map((x) => Math.exp(x.s - m));
          const sum = e.reduce((a, x) => a + x, 0);
          p = e.map((x) => x / sum);
        }
        probsAll[b]![h]!.push(p);
        y[b]![h]!.push(V[0]!.map((_, d) => V.reduce((a, vj, j) => a + p[j]! * vj[d]!, 0)));
      }
    }
  }
  return { y, probs: probsAll, presentK: keys, presentV: vals };
}

// ---------------------------------------------------------------------------------------------
// correctness against the naive computation

test('GQA with past cache and causal mask (4-D) matches a naive computation', () => {
  const [B, Hq, Hkv, Sq, P, D, Dv] = [2, 6, 2, 3, 4, 5, 7];
  const Q = randT([B, Hq, Sq, D]),
    K = randT([B, Hkv, Sq, D]),
    V = randT([B, Hkv, Sq, Dv]);
  const PK = randT([B, Hkv, P, D]),
    PV = randT([B, Hkv, P, Dv]);
  const [y, pk, pv, qk] = attention({
    inputs: [Q, K, V, undefined, PK, PV],
    attrs: { is_causal: 1 },
    outs: [0, 1, 2, 3],
  });
  const ref = naive(to4(Q), to4(K), to4(V), to4(PK), to4(PV), { causal: true });
  close(y!.toNumbers(), flat4(ref.y), 1e-6, 'Y');
  assert.deepEqual(pk!.dims, [B, Hkv, P + Sq, D]);
  assert.deepEqual(pv!.dims, [B, Hkv, P + Sq, Dv]);
  assert.deepEqual(pk!.toNumbers(), flat4(ref.presentK));
  assert.deepEqual(pv!.toNumbers(), flat4(ref.presentV));
  // the causal frontier is offset by the past length: query i sees past + i + 1 keys
  const raw = qk!.toNumbers();
  assert.deepEqual(qk!.dims, [B, Hq, Sq, P + Sq]);
  assert.ok(raw.every(Number.isFinite), 'mode 0 output is the raw QK^T, not masked');
});

test('GQA with past cache and causal mask (3-D packed heads) matches a naive computation', () => {
  const [B, Hq, Hkv, Sq, P, D, Dv] = [2, 4, 2, 3, 2, 3, 5];
  const Q = randT([B, Sq, Hq * D]),
    K = randT([B, Sq, Hkv * D]),
    V = randT([B, Sq, Hkv * Dv]);
  const PK = randT([B, Hkv, P, D]),
    PV = randT([B, Hkv, P, Dv]);
  const mask = randT([Sq, P + Sq]);
  const [y, pk] = attention({
    inputs: [Q, K, V, mask, PK, PV],
    attrs: { is_causal: 1, q_num_heads: Hq, kv_num_heads: Hkv, scale: 0.7 },
    outs: [0, 1, 2],
  });
  const m = mask.toNumbers();
  const ref = naive(split3(Q, Hq), split3(K, Hkv), split3(V, Hkv), to4(PK), to4(PV), {
    causal: true,
    scale: 0.7,
    mask: (_b, _h, i, j) => m[i * (P + Sq) + j]!,
  });
  assert.deepEqual(y!.dims, [B, Sq, Hq * Dv]);
  close(y!.toNumbers(), merge3(ref.y), 1e-6, 'Y');
  close(pk!.toNumbers(), flat4(ref.presentK), 0, 'present_key');
});

test('MQA (kv_num_heads = 1) with a broadcast 3-D mask [heads, q, kv] and softcap', () => {
  const [B, Hq, Sq, Skv, D] = [2, 3, 2, 4, 4];
  const Q = randT([B, Hq, Sq, D]),
    K = randT([B, 1, Skv, D]),
    V = randT([B, 1, Skv, D]);
  const mask = randT([Hq, 1, Skv]);
  const [y] = attention({ inputs: [Q, K, V, mask], attrs: { softcap: 0.8 } });
  const m = mask.toNumbers();
  const ref = naive(to4(Q), to4(K), to4(V), undefined, undefined, {
    softcap: 0.8,
    mask: (_b, h, _i, j) => m[h * Skv + j]!,
  });
  close(y!.toNumbers(), flat4(ref.y), 1e-6, 'Y');
});

test('causal without cache and more queries than keys is top-left aligned', () => {
  const Q = randT([1, 1, 4, 3]),
    K = randT([1, 1, 2, 3]),
    V = randT([1, 1, 2, 3]);
  const [y] = attention({ inputs: [Q, K, V], attrs: { is_causal: 1 } });
  const ref = naive(to4(Q), to4(K), to4(V), undefined, undefined, { causal: true });
  close(y!.toNumbers(), flat4(ref.y), 1e-6, 'Y');
  // query 0 sees key 0 only
  close(y!.toNumbers().slice(0, 3), V.toNumbers().slice(0, 3), 1e-7, 'row 0');
});

test('nonpad_kv_seqlen: padding keys are ignored and causal is bottom-right per batch', () => {
  const [B, H, Sq, L, D] = [2, 2, 2, 5, 3];
  const Q = randT([B, H, Sq, D]),
    K = randT([B, H, L, D]),
    V = randT([B, H, L, D]);
  const nonpad = Tensor.from('int64', [5n, 3n], [2]);
  for (const causal of [0, 1]) {
    const [y] = attention({ inputs: [Q, K, V, undefined, undefined, undefined, nonpad], attrs: { is_causal: causal } });
    const ref = naive(to4(Q), to4(K), to4(V), undefined, undefined, { causal: !!causal, nonpad: [5, 3] });
    close(y!.toNumbers(), flat4(ref.y), 1e-6, `Y (is_causal=${causal})`);
  }
  // a sequence length of 0 masks every key: rows are zero, not NaN
  const [y0] = attention({ inputs: [Q, K, V, undefined, undefined, undefined, Tensor.from('int64', [0n, 5n], [2])] });
  assert.ok(
    y0!
      .toNumbers()
      .slice(0, H * Sq * D)
      .every((x) => x === 0),
  );
});

// ---------------------------------------------------------------------------------------------
// masks and fully masked rows

test('fully masked rows give zeros (bool mask, float -inf mask, causal + bool), never NaN', () => {
  const Q = randT([1, 2, 3, 4]),
    K = randT([1, 2, 3, 4]),
    V = randT([1, 2, 3, 4]);
  const bool = Tensor.from('bool', [true, true, false, false, false, false, true, false, true], [3, 3]);
  const [y, , , p] = attention({ inputs: [Q, K, V, bool], attrs: { qk_matmul_output_mode: 3 }, outs: [0, 3] });
  const yv = y!.toNumbers(),
    pv = p!.toNumbers();
  assert.ok(yv.every(Number.isFinite) && pv.every(Number.isFinite));
  for (let h = 0; h < 2; h++) {
    assert.deepEqual(yv.slice((h * 3 + 1) * 4, (h * 3 + 2) * 4), [0, 0, 0, 0], 'row 1 of Y');
    assert.deepEqual(pv.slice((h * 3 + 1) * 3, (h * 3 + 2) * 3), [0, 0, 0], 'row 1 of softmax');
    close([pv[h * 9]! + pv[h * 9 + 1]! + pv[h * 9 + 2]!], [1], 1e-6, 'row 0 sums to 1');
    assert.equal(pv[h * 9 + 2], 0, 'false mask entry gets no weight');
  }
  const float = Tensor.from('float32', [0, 0, 0, -Infinity, -Infinity, -Infinity, 0, 0, 0], [3, 3]);
  const [yf] = attention({ inputs: [Q, K, V, float] });
  assert.deepEqual(yf!.toNumbers().slice(4, 8), [0, 0, 0, 0]);
  assert.deepEqual(yf!.toNumbers().slice(16, 20), [0, 0, 0, 0]);
  // causal row 0 sees only key 0, which the mask forbids
  const m2 = Tensor.from('bool', [false, true, true, true, true, true, true, true, true], [3, 3]);
  const [yc] = attention({ inputs: [Q, K, V, m2], attrs: { is_causal: 1 } });
  assert.deepEqual(yc!.toNumbers().slice(0, 4), [0, 0, 0, 0]);
  assert.ok(yc!.toNumbers().every(Number.isFinite));
});

test('softcap is applied before the mask, so -inf keys stay excluded', () => {
  const Q = randT([1, 1, 2, 4]),
    K = randT([1, 1, 3, 4]),
    V = Tensor.from('float32', [1, 1, 2, 2, 1000, 1000], [1, 1, 3, 2]);
  const mask = Tensor.from('float32', [0, 0, -Infinity, 0, 0, -Infinity], [2, 3]);
  const [y] = attention({ inputs: [Q, K, V, mask], attrs: { softcap: 0.5 } });
  assert.ok(
    y!.toNumbers().every((x) => x >= 1 && x <= 2),
    `poisoned key leaked: ${y!.toNumbers()}`,
  );
});

test('qk_matmul_output modes: 0 raw, 1 softcapped, 2 softcapped + mask, 3 softmax', () => {
  const [Sq, T, D] = [2, 3, 4];
  const Q = randT([1, 1, Sq, D]),
    K = randT([1, 1, T, D]),
    V = randT([1, 1, T, D]);
  const maskV = [0.5, -1, -Infinity, 0, 2, 0.25];
  const mask = Tensor.from('float32', maskV, [Sq, T]);
  const q = to4(Q)[0]![0]!,
    k = to4(K)[0]![0]!;
  const raw = q.flatMap((qi) => k.map((kj) => Math.fround(qi.reduce((a, x, d) => a + x * kj[d]!, 0) / 2)));
  const capped = raw.map((s) => 1.5 * Math.tanh(s / 1.5));
  const got = (mode: number) =>
    attention({
      inputs: [Q, K, V, mask],
      attrs: { softcap: 1.5, qk_matmul_output_mode: mode },
      outs: [0, 3],
    })[3]!.toNumbers();
  close(got(0), raw, 1e-6, 'mode 0');
  close(got(1), capped, 1e-6, 'mode 1');
  close(
    got(2),
    capped.map((c, i) => c + maskV[i]!),
    1e-6,
    'mode 2',
  );
  const p = got(3);
  close([p[0]! + p[1]! + p[2]!, p[3]! + p[4]! + p[5]!], [1, 1], 1e-6, 'mode 3 rows');
  assert.equal(p[2], 0);
  // without softcap, mode 1 equals mode 0
  const m1 = attention({ inputs: [Q, K, V, mask], attrs: { qk_matmul_output_mode: 1 }, outs: [0, 3] })[3]!.toNumbers();
  close(m1, raw, 1e-6, 'mode 1 without softcap');
});

test('opset 24 pads a short mask with -inf; opset 23 broadcasts a last dim of 1 and rejects others', () => {
  const Q = randT([1, 1, 2, 3]),
    K = randT([1, 1, 4, 3]),
    V = randT([1, 1, 4, 3]);
  const short = Tensor.from('float32', [0.3, -0.2, 0.1, 0.4], [2, 2]);
  const [y24] = attention({ inputs: [Q, K, V, short] });
  const s = short.toNumbers();
  const ref = naive(to4(Q), to4(K), to4(V), undefined, undefined, {
    mask: (_b, _h, i, j) => (j < 2 ? s[i * 2 + j]! : -Infinity),
  });
  close(y24!.toNumbers(), flat4(ref.y), 1e-6, 'opset 24 padded');
  assert.throws(
    () => attention({ inputs: [Q, K, V, short], opset23: true }),
    /last dim 2 must be 1 or equal total_sequence_length/,
  );

  const col = Tensor.from('float32', [0.5, -0.5], [2, 1]);
  const [y23] = attention({ inputs: [Q, K, V, col], opset23: true });
  // adding a per-row constant does not change the softmax: same as no mask
  const [plain] = attention({ inputs: [Q, K, V] });
  close(y23!.toNumbers(), plain!.toNumbers(), 1e-6, 'opset 23 broadcast');
  const [y24col] = attention({ inputs: [Q, K, V, col] });
  // opset 24 pads it instead: only key 0 is visible
  close(y24col!.toNumbers(), [...V.toNumbers().slice(0, 3), ...V.toNumbers().slice(0, 3)], 1e-6, 'opset 24 pads [q,1]');
  // a bool mask pads with false
  const b = Tensor.from('bool', [true, true, false, true], [2, 2]);
  const [yb] = attention({ inputs: [Q, K, V, b] });
  const refb = naive(to4(Q), to4(K), to4(V), undefined, undefined, {
    mask: (_b, _h, i, j) => (j < 2 && [1, 1, 0, 1][i * 2 + j] ? 0 : -Infinity),
  });
  close(yb!.toNumbers(), flat4(refb.y), 1e-6, 'bool padded');
});

test('empty sequences: no keys gives zero rows; no queries gives an empty output', () => {
  const Q = randT([1, 2, 3, 4]);
  const [y] = attention({ inputs: [Q, randT([1, 2, 0, 4]), randT([1, 2, 0, 5])], attrs: { is_causal: 1 } });
  assert.deepEqual(y!.dims, [1, 2, 3, 5]);
  assert.ok(y!.toNumbers().every((x) => x === 0));
  const [e] = attention({ inputs: [randT([1, 2, 0, 4]), randT([1, 2, 3, 4]), randT([1, 2, 3, 4])] });
  assert.deepEqual(e!.dims, [1, 2, 0, 4]);
});

// ---------------------------------------------------------------------------------------------
// dtypes

test('float16 inputs are computed in float64 and rounded once', () => {
  const Q = randT([1, 2, 3, 8], 'float16'),
    K = randT([1, 1, 5, 8], 'float16'),
    V = randT([1, 1, 5, 8], 'float16');
  const mask = randT([3, 5], 'float16');
  const PK = randT([1, 1, 2, 8], 'float16'),
    PV = randT([1, 1, 2, 8], 'float16');
  const [y, pk] = attention({
    inputs: [Q, K, V, randT([3, 7], 'float16'), PK, PV],
    attrs: { is_causal: 1 },
    outs: [0, 1, 2],
  });
  assert.equal(y!.type, 'float16');
  assert.equal(pk!.type, 'float16');
  assert.deepEqual(pk!.toNumbers().slice(0, 16), PK.toNumbers());
  const [y2] = attention({ inputs: [Q, K, V, mask] });
  const m = mask.toNumbers();
  const ref = naive(to4(Q), to4(K), to4(V), undefined, undefined, { mask: (_b, _h, i, j) => m[i * 5 + j]! });
  close(y2!.toNumbers(), flat4(ref.y), 1e-3, 'float16 Y');
});

test('V may have its own float type (T2) and the mask may be an integer tensor', () => {
  const Q = randT([1, 1, 2, 4]),
    K = randT([1, 1, 3, 4]),
    V = randT([1, 1, 3, 2], 'float64');
  const mask = Tensor.from('int32', [0, -1, 0, 2, 0, -3], [2, 3]);
  const [y, , pv] = attention({
    inputs: [Q, K, V, mask, randT([1, 1, 1, 4]), randT([1, 1, 1, 2], 'float64')],
    outs: [0, 1, 2],
  });
  assert.equal(y!.type, 'float32');
  assert.equal(pv!.type, 'float64');
});

// ---------------------------------------------------------------------------------------------
// shape inference

test('infer: symbolic dims, total sequence length and 3-D hidden sizes', () => {
  const f = (shape: (number | string)[], dtype: DType = 'float32'): TensorType => ({ dtype, shape });
  const [y, pk, pv, qk] = inferTypes([
    f(['b', 8, 's', 64]),
    f(['b', 2, 't', 64]),
    f(['b', 2, 't', 32]),
    undefined,
    f(['b', 2, 'p', 64]),
    f(['b', 2, 'p', 32]),
  ]);
  assert.deepEqual(y!.shape, ['b', 8, 's', 32]);
  assert.equal(pk!.shape![0], 'b');
  assert.equal(pk!.shape![1], 2);
  assert.equal(typeof pk!.shape![2], 'string');
  assert.deepEqual(pv!.shape!.slice(3), [32]);
  assert.deepEqual(qk!.shape!.slice(0, 3), ['b', 8, 's']);
  // static past + kv gives an exact total
  const [, pk2] = inferTypes([
    f([1, 4, 1, 16]),
    f([1, 4, 1, 16]),
    f([1, 4, 1, 16]),
    undefined,
    f([1, 4, 9, 16]),
    f([1, 4, 9, 16]),
  ]);
  assert.deepEqual(pk2!.shape, [1, 4, 10, 16]);
  const [y3] = inferTypes(
    [f(['b', 's', 96]), f(['b', 't', 32]), f(['b', 't', 48])],
    { q_num_heads: 6, kv_num_heads: 2 },
    [0],
  );
  assert.deepEqual(y3!.shape, ['b', 's', 144]);
  // unknown rank: dtype only
  const [yu] = inferTypes([{ dtype: 'float32' }, f([1, 1, 1, 1]), f([1, 1, 1, 1])], {}, [0]);
  assert.equal(yu!.shape, undefined);
});

test('errors name the input, the dim and the rule', () => {
  const f = (shape: number[], dtype: DType = 'float32'): TensorType => ({ dtype, shape });
  const t =
    (types: (TensorType | undefined)[], attrs: Record<string, unknown> = {}) =>
    () =>
      inferTypes(types, attrs);
  assert.throws(
    t([f([1, 6, 2, 4]), f([1, 4, 2, 4]), f([1, 4, 2, 4])]),
    /q_num_heads \(6\) must be a multiple of kv_num_heads \(4\)/,
  );
  assert.throws(t([f([1, 2, 8]), f([1, 2, 8]), f([1, 2, 8])]), /need both q_num_heads and kv_num_heads/);
  assert.throws(
    t([f([1, 2, 9]), f([1, 2, 8]), f([1, 2, 8])], { q_num_heads: 2, kv_num_heads: 2 }),
    /Q hidden size 9 is not divisible by q_num_heads=2/,
  );
  assert.throws(
    t([f([1, 2, 8]), f([1, 2, 12]), f([1, 2, 8])], { q_num_heads: 2, kv_num_heads: 2 }),
    /Q and K head sizes differ/,
  );
  assert.throws(t([f([1, 2, 3, 4]), f([1, 2, 3, 5]), f([1, 2, 3, 4])]), /same head_size \(dim 3\)/);
  assert.throws(t([f([1, 2, 3, 4]), f([1, 2, 3, 4]), f([1, 2, 5, 4])]), /same kv_sequence_length \(dim 2\)/);
  assert.throws(t([f([2, 2, 3, 4]), f([1, 2, 3, 4]), f([1, 2, 3, 4])]), /batch sizes differ/);
  assert.throws(t([f([1, 2, 3, 4]), f([1, 2, 3, 4])]), /input V has no type/);
  assert.throws(t([f([1, 2, 3, 4]), f([1, 2, 3]), f([1, 2, 3, 4])]), /same rank/);
  assert.throws(t([f([1, 2, 3, 4]), f([1, 2, 3, 4], 'float16'), f([1, 2, 3, 4])]), /Q and K share type T1/);
  assert.throws(t([f([1, 2, 3, 4], 'int32'), f([1, 2, 3, 4], 'int32'), f([1, 2, 3, 4], 'int32')]), /Q has type/);
  const qkv = [f([1, 2, 3, 4]), f([1, 2, 3, 4]), f([1, 2, 3, 4])];
  assert.throws(t([...qkv, f([2, 3]), f([1, 2, 1, 4])]), /past_key and past_value must be given together/);
  assert.throws(
    t([...qkv, undefined, f([1, 2, 1, 4]), f([1, 2, 1, 4]), f([1], 'int64')]),
    /cannot be combined with past_key/,
  );
  assert.throws(
    t([...qkv, undefined, f([1, 3, 1, 4]), f([1, 3, 1, 4])]),
    /past_key has shape \[1,3,1,4\]; dim 1 must be kv_num_heads 2/,
  );
  assert.throws(t([...qkv, f([3, 3, 3])]), /attn_mask has shape \[3,3,3\]; dim 0 \(3\) must be 1 or q_num_heads \(2\)/);
  assert.throws(t([...qkv, f([3, 5])]), /last dim 5 must be at most total_sequence_length/);
  assert.throws(
    t([...qkv, undefined, undefined, undefined, f([2], 'int64')]),
    /nonpad_kv_seqlen has shape \[2\]; it must be \[batch_size\] = \[1\]/,
  );
  assert.throws(t(qkv, { qk_matmul_output_mode: 4 }), /qk_matmul_output_mode must be 0/);
  assert.throws(t(qkv, { softmax_precision: 7 }), /softmax_precision 7 is not a floating-point/);
  assert.throws(t(qkv, { q_num_heads: 3 }), /q_num_heads=3 contradicts Q/);
  assert.throws(t(qkv, { is_causal: 2 }), /is_causal must be 0 or 1/);
});

// ---------------------------------------------------------------------------------------------
// ONNX import: opset-specific forms

function model(
  opset: number,
  inputs: { name: string; elemType: number; dims: number[] }[],
  nodeInputs: string[],
  attrs: AttributeProto[] = [],
): Uint8Array {
  const vi = (name: string, elemType: number, dims: number[]) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const m = onnx.ModelProto.create({
    irVersion: 10,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ opType: 'Attention', input: nodeInputs, output: ['Y'], attribute: attrs }],
      input: inputs.map((i) => vi(i.name, i.elemType, i.dims)),
      output: [{ name: 'Y' }],
    },
  });
  return onnx.ModelProto.encode(m).finish();
}

test('import: opset 23 keeps broadcasting for a [q, 1] mask, opset 24 pads it', () => {
  const Q = randT([1, 1, 2, 3]),
    K = randT([1, 1, 3, 3]),
    V = randT([1, 1, 3, 3]);
  const mask = Tensor.from('float32', [1, 2], [2, 1]);
  const ins = [
    { name: 'Q', elemType: 1, dims: [1, 1, 2, 3] },
    { name: 'K', elemType: 1, dims: [1, 1, 3, 3] },
    { name: 'V', elemType: 1, dims: [1, 1, 3, 3] },
    { name: 'M', elemType: 1, dims: [2, 1] },
  ];
  const g23 = importOnnx(model(23, ins, ['Q', 'K', 'V', 'M']));
  const g24 = importOnnx(model(24, ins, ['Q', 'K', 'V', 'M']));
  const [y23] = interpret(g23, [Q, K, V, mask]);
  const [y24] = interpret(g24, [Q, K, V, mask]);
  const [plain] = attention({ inputs: [Q, K, V] });
  close(y23!.toNumbers(), plain!.toNumbers(), 1e-6, 'opset 23');
  const v0 = V.toNumbers().slice(0, 3);
  close(y24!.toNumbers(), [...v0, ...v0], 1e-6, 'opset 24');
});

test('import: nonpad_kv_seqlen is refused before opset 24, sliding-window attributes are refused', () => {
  const ins = [
    { name: 'Q', elemType: 1, dims: [1, 1, 2, 3] },
    { name: 'K', elemType: 1, dims: [1, 1, 3, 3] },
    { name: 'V', elemType: 1, dims: [1, 1, 3, 3] },
    { name: 'N', elemType: 7, dims: [1] },
  ];
  assert.throws(
    () => importOnnx(model(23, ins, ['Q', 'K', 'V', '', '', '', 'N'])),
    /nonpad_kv_seqlen needs Attention-24/,
  );
  importOnnx(model(24, ins, ['Q', 'K', 'V', '', '', '', 'N']));
  const win = { name: 'left_window_size', type: onnx.AttributeProto.AttributeType.INT, i: 2 };
  assert.throws(() => importOnnx(model(25, ins.slice(0, 3), ['Q', 'K', 'V'], [win])), /sliding-window/);
  const off = { name: 'left_window_size', type: onnx.AttributeProto.AttributeType.INT, i: -1 };
  importOnnx(model(25, ins.slice(0, 3), ['Q', 'K', 'V'], [off]));
  assert.throws(() => importOnnx(model(22, ins.slice(0, 3), ['Q', 'K', 'V'])), /does not exist before opset 23/);
});

test('a 12-head, 256-token GQA self-attention layer runs and keeps its shape', () => {
  const Q = randT([1, 12, 256, 64]),
    K = randT([1, 4, 256, 64]),
    V = randT([1, 4, 256, 64]);
  const [y] = attention({ inputs: [Q, K, V], attrs: { is_causal: 1 } });
  assert.deepEqual([...y!.dims], [1, 12, 256, 64]);
});
