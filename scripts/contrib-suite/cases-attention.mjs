// Cases: RotaryEmbedding (com.microsoft), MultiHeadAttention, Attention, GroupQueryAttention.
import { F, randn, rng, tensor } from './build.mjs';
import { seedOf } from './cases-activation.mjs';

/** cos/sin caches [maxPos, half] for base 10000. */
function caches(maxPos, half, type = 'float32') {
  const c = [],
    s = [];
  for (let p = 0; p < maxPos; p++)
    for (let m = 0; m < half; m++) {
      const a = p / 10000 ** (m / half);
      c.push(Math.cos(a));
      s.push(Math.sin(a));
    }
  return { cos: tensor(type, [maxPos, half], c), sin: tensor(type, [maxPos, half], s) };
}
const ids = (B, S, f) =>
  tensor(
    'int64',
    [B, S],
    Array.from({ length: B * S }, (_, k) => f(Math.floor(k / S), k % S)),
  );
const i32 = (dims, v) => tensor('int32', dims, v);

export function attentionCases() {
  const cases = [];
  const add = (name, f) => {
    const r = rng(seedOf(name));
    cases.push({ name, ...f(r) });
  };

  // RotaryEmbedding [input dims, num_heads, rotary_dim, interleaved, position ids]
  const rope = [
    ['3d', [2, 4, 32], 0, 0, 0, 'ids'],
    ['3d_interleaved', [2, 4, 32], 0, 0, 1, 'ids'],
    ['3d_heads', [1, 3, 64], 4, 0, 0, 'ids'],
    ['3d_heads_interleaved', [1, 3, 64], 4, 0, 1, 'ids'],
    ['3d_partial', [2, 3, 64], 4, 8, 0, 'ids'],
    ['3d_partial_interleaved', [2, 3, 64], 4, 8, 1, 'ids'],
    ['4d', [2, 2, 3, 16], 0, 0, 0, 'ids'],
    ['4d_interleaved', [1, 4, 5, 8], 0, 0, 1, 'ids'],
    ['offset', [2, 3, 16], 0, 0, 0, 'offset'],
    ['offset_interleaved', [1, 5, 16], 0, 0, 1, 'offset'],
  ];
  for (const [name, dims, heads, rot, inter, posKind] of rope) {
    add(`rotary_${name}`, (r) => {
      const B = dims[0],
        S = dims.length === 4 ? dims[2] : dims[1];
      const head = dims.length === 4 ? dims[3] : heads ? dims[2] / heads : 16;
      const half = (rot || head) / 2;
      const attrs = { interleaved: inter };
      if (heads) attrs.num_heads = heads;
      if (rot) attrs.rotary_embedding_dim = rot;
      const pos = posKind === 'offset' ? tensor('int64', [1], [3]) : ids(B, S, (b, s) => (b * 2 + s * 3) % 12);
      return {
        nodes: [['RotaryEmbedding', ['x', 'pos', 'cos', 'sin'], ['y'], attrs]],
        inputs: { x: randn(r, 'float32', dims), pos },
        inits: caches(16, half),
        outputs: { y: ['float32'] },
      };
    });
  }

  // MultiHeadAttention
  const mha = (
    r,
    {
      B = 2,
      S = 3,
      L = S,
      N = 2,
      H = 8,
      bias = false,
      kpm,
      ab = false,
      past = 0,
      uni = 0,
      scale,
      kv4 = false,
      packed = false,
      qk = false,
    },
  ) => {
    const D = N * H;
    const inputs = {};
    const ins = [];
    if (packed) {
      inputs.q = randn(r, 'float32', [B, S, N, 3, H]);
      ins.push('q', '', '');
    } else {
      inputs.q = randn(r, 'float32', [B, S, D]);
      inputs.k = randn(r, 'float32', kv4 ? [B, N, L, H] : [B, L, D]);
      inputs.v = randn(r, 'float32', kv4 ? [B, N, L, H] : [B, L, D]);
      ins.push('q', 'k', 'v');
    }
    const inits = {};
    if (bias) {
      inits.bias = randn(r, 'float32', [3 * D]);
      ins.push('bias');
    } else ins.push('');
    const T = past + L;
    if (kpm === '2d')
      inputs.kpm = i32(
        [B, T],
        Array.from({ length: B * T }, (_, k) => (k % T < T - ((k / T) | 0) ? 1 : 0)),
      );
    else if (kpm === '1d')
      inputs.kpm = i32(
        [B],
        Array.from({ length: B }, (_, b) => T - b),
      );
    ins.push(kpm ? 'kpm' : '');
    if (ab) {
      inputs.ab = randn(r, 'float32', [1, N, S, T]);
      ins.push('ab');
    } else ins.push('');
    const outs = { y: ['float32'] };
    const o = ['y'];
    if (past) {
      inputs.pk = randn(r, 'float32', [B, N, past, H]);
      inputs.pv = randn(r, 'float32', [B, N, past, H]);
      ins.push('pk', 'pv');
      o.push('prk', 'prv');
      outs.prk = ['float32'];
      outs.prv = ['float32'];
    }
    while (ins.at(-1) === '') ins.pop();
    const attrs = { num_heads: N, unidirectional: uni };
    if (scale) attrs.scale = F(scale);
    if (qk) {
      o.push('', '', 'qk');
      outs.qk = ['float32'];
    }
    return { nodes: [['MultiHeadAttention', ins, o, attrs]], inputs, inits, outputs: outs };
  };
  const mhaCases = [
    ['basic', {}],
    ['cross', { L: 5 }],
    ['bias', { bias: true }],
    ['heads4', { N: 4, H: 4, S: 4 }],
    ['mask_2d', { kpm: '2d' }],
    ['mask_1d', { kpm: '1d', L: 4 }],
    ['attention_bias', { ab: true }],
    ['past', { past: 3, S: 1, L: 1 }],
    ['past_prompt', { past: 2, S: 2, L: 2 }],
    ['past_bias', { past: 2, S: 1, L: 1, bias: true }],
    ['unidirectional', { uni: 1, S: 4 }],
    ['unidirectional_past', { uni: 1, past: 2, S: 3 }],
    ['scale', { scale: 0.2 }],
    ['kv_4d', { kv4: true, L: 4 }],
    ['packed_qkv', { packed: true }],
  ];
  for (const [name, o] of mhaCases) add(`mha_${name}`, (r) => mha(r, o));
  // onnxruntime-node has no CPU kernel for packed QKV: the oracle unpacks it and runs the 3-input form
  const last = cases.at(-1);
  last.oracle = {
    nodes: [
      ['Split', ['q'], ['q1', 'k1', 'v1'], { axis: 3, num_outputs: 3 }, ''],
      ['Reshape', ['q1', 'shape'], ['q2'], {}, ''],
      ['Reshape', ['k1', 'shape'], ['k2'], {}, ''],
      ['Reshape', ['v1', 'shape'], ['v2'], {}, ''],
      ['MultiHeadAttention', ['q2', 'k2', 'v2'], ['y'], { num_heads: 2 }],
    ],
    inits: { shape: tensor('int64', [3], [2, 3, 16]) },
  };

  // Attention (BERT style: one QKV projection)
  const attn = (r, { B = 2, S = 3, Din = 12, N = 2, sizes, mask, past = 0, uni = 0, ab = false, bias = true }) => {
    const [dq, dk, dv] = sizes ?? [16, 16, 16];
    const inputs = { x: randn(r, 'float32', [B, S, Din]) };
    const inits = { w: randn(r, 'float32', [Din, dq + dk + dv], -0.5, 0.5) };
    const ins = ['x', 'w'];
    if (bias) {
      inits.b = randn(r, 'float32', [dq + dk + dv]);
      ins.push('b');
    } else ins.push('');
    const T = past + S;
    if (mask === '2d')
      inputs.m = i32(
        [B, T],
        Array.from({ length: B * T }, (_, k) => (k % T < T - ((k / T) | 0) ? 1 : 0)),
      );
    else if (mask === '1d')
      inputs.m = i32(
        [B],
        Array.from({ length: B }, (_, b) => T - b),
      );
    else if (mask === '3d')
      inputs.m = i32(
        [B, S, T],
        Array.from({ length: B * S * T }, (_, k) => (k % 3 === 2 ? 0 : 1)),
      );
    ins.push(mask ? 'm' : '');
    const outs = { y: ['float32'] },
      o = ['y'];
    if (past) {
      inputs.p = randn(r, 'float32', [2, B, N, past, dk / N]);
      ins.push('p');
      o.push('present');
      outs.present = ['float32'];
    } else ins.push('');
    if (ab) {
      inputs.ab = randn(r, 'float32', [B, N, S, T]);
      ins.push('ab');
    }
    while (ins.at(-1) === '') ins.pop();
    const attrs = { num_heads: N, unidirectional: uni };
    if (sizes) attrs.qkv_hidden_sizes = sizes;
    return { nodes: [['Attention', ins, o, attrs]], inputs, inits, outputs: outs };
  };
  const attnCases = [
    ['basic', {}],
    ['no_bias', { bias: false }],
    ['heads4', { N: 4, S: 4 }],
    ['mask_2d', { mask: '2d' }],
    ['mask_1d', { mask: '1d' }],
    ['mask_3d', { mask: '3d' }],
    ['past', { past: 3, S: 1 }],
    ['past_prompt', { past: 2, S: 3 }],
    ['unidirectional', { uni: 1, S: 4 }],
    ['unidirectional_past', { uni: 1, past: 2, S: 2 }],
    ['qkv_hidden_sizes', { sizes: [16, 16, 8] }],
    ['attention_bias', { ab: true }],
  ];
  for (const [name, o] of attnCases) add(`attention_${name}`, (r) => attn(r, o));
  // onnxruntime-node 1.30 crashes on Attention without bias: the oracle passes a zero bias
  const noBias = cases.find((c) => c.name === 'attention_no_bias');
  noBias.oracle = {
    nodes: [['Attention', ['x', 'w', 'zero'], ['y'], { num_heads: 2, unidirectional: 0 }]],
    inits: { ...noBias.inits, zero: tensor('float32', [48], new Array(48).fill(0)) },
  };

  // GroupQueryAttention: [B, S, N, KvN, H], past length, per-batch totals, rotary, window, ...
  const gqa = (
    r,
    {
      B = 2,
      S = 3,
      N = 4,
      KvN = 2,
      H = 8,
      P = 0,
      totals,
      rotary = false,
      inter = 0,
      win = -1,
      softcap = 0,
      smooth = 0,
      packed = false,
      scale,
    },
  ) => {
    const tot = totals ?? Array(B).fill(P + S);
    const total = Math.max(...tot);
    const inputs = {};
    const ins = [];
    if (packed) {
      inputs.q = randn(r, 'float32', [B, S, (N + 2 * KvN) * H]);
      ins.push('q', '', '');
    } else {
      inputs.q = randn(r, 'float32', [B, S, N * H]);
      inputs.k = randn(r, 'float32', [B, S, KvN * H]);
      inputs.v = randn(r, 'float32', [B, S, KvN * H]);
      ins.push('q', 'k', 'v');
    }
    if (P) {
      inputs.pk = randn(r, 'float32', [B, KvN, P, H]);
      inputs.pv = randn(r, 'float32', [B, KvN, P, H]);
      ins.push('pk', 'pv');
    } else ins.push('', '');
    inputs.sl = i32(
      [B],
      tot.map((t) => t - 1),
    );
    inputs.tl = i32([], [total]);
    ins.push('sl', 'tl');
    const inits = {};
    if (rotary) {
      Object.assign(inits, caches(32, H / 2));
      ins.push('cos', 'sin');
    }
    const attrs = {
      num_heads: N,
      kv_num_heads: KvN,
      do_rotary: rotary ? 1 : 0,
      rotary_interleaved: inter,
      local_window_size: win,
      smooth_softmax: smooth,
    };
    if (softcap) attrs.softcap = F(softcap);
    if (scale) attrs.scale = F(scale);
    return {
      nodes: [['GroupQueryAttention', ins, ['y', 'pk_out', 'pv_out'], attrs]],
      inputs,
      inits,
      outputs: { y: ['float32'], pk_out: ['float32'], pv_out: ['float32'] },
    };
  };
  const gqaCases = [
    ['prompt', {}],
    ['prompt_mqa', { KvN: 1 }],
    ['prompt_mha', { KvN: 4 }],
    ['prompt_padded', { S: 4, totals: [4, 2] }],
    ['decode', { S: 1, P: 4 }],
    ['decode_mqa', { S: 1, P: 5, KvN: 1 }],
    ['decode_b1', { B: 1, S: 1, P: 6 }],
    ['continue_prompt', { B: 1, S: 2, P: 3 }],
    ['prompt_rotary', { rotary: true, H: 16 }],
    ['prompt_rotary_interleaved', { rotary: true, inter: 1, H: 16 }],
    ['decode_rotary', { S: 1, P: 4, rotary: true, H: 16 }],
    ['local_window', { S: 6, win: 2 }],
    ['decode_local_window', { S: 1, P: 6, win: 3 }],
    ['softcap', { softcap: 2.5 }],
    ['smooth_softmax', { smooth: 1 }],
    ['packed_qkv', { packed: true }],
    ['packed_decode_rotary', { packed: true, S: 1, P: 3, rotary: true, H: 16 }],
    ['scale', { scale: 0.5 }],
  ];
  for (const [name, o] of gqaCases) add(`gqa_${name}`, (r) => gqa(r, o));
  return cases;
}
