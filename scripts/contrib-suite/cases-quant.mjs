// Cases: MatMulNBits (bits 2/4/8, packed and float zero points, g_idx, bias, K off the block grid)
// and GatherBlockQuantized.
import { randint, randn, rng, tensor } from './build.mjs';
import { seedOf } from './cases-activation.mjs';

function nbits(
  r,
  { M = [3], K, N, bits = 4, bs, zp = 'none', bias = false, gidx = false, type = 'float32', scales2d = false, acc = 0 },
) {
  const kb = Math.ceil(K / bs),
    blob = (bs * bits) / 8;
  const inits = {
    B: randint(r, 'uint8', [N, kb, blob], 0, 256),
    scales: randn(r, type, scales2d ? [N, kb] : [N * kb], 0.01, 0.1),
  };
  const ins = ['A', 'B', 'scales'];
  if (zp === 'packed') {
    inits.zp = randint(r, 'uint8', [N * Math.ceil((kb * bits) / 8)], 0, 256);
    ins.push('zp');
  } else if (zp === 'float') {
    inits.zp = randn(r, type, [N * kb], -0.05, 0.05);
    ins.push('zp');
  } else if (gidx || bias) ins.push('');
  if (gidx) {
    inits.g = tensor(
      'int32',
      [K],
      Array.from({ length: K }, () => Math.floor(r() * kb)),
    );
    ins.push('g');
  } else if (bias) ins.push('');
  if (bias) {
    inits.bias = randn(r, type, [N]);
    ins.push('bias');
  }
  return {
    nodes: [['MatMulNBits', ins, ['Y'], { K, N, bits, block_size: bs, accuracy_level: acc }]],
    inputs: { A: randn(r, type, [...M, K]) },
    inits,
    outputs: { Y: [type] },
  };
}

export function quantCases() {
  const cases = [];
  const add = (name, f) => {
    const r = rng(seedOf(name));
    cases.push({ name, ...f(r) });
  };
  const grid = [
    ['k32_n8_b32', { K: 32, N: 8, bs: 32 }],
    ['k64_n16_b32', { K: 64, N: 16, bs: 32 }],
    ['k64_n5_b16', { K: 64, N: 5, bs: 16 }],
    ['k128_n12_b64', { K: 128, N: 12, bs: 64 }],
    ['k256_n4_b128', { K: 256, N: 4, bs: 128 }],
    ['k48_n6_b32_ragged', { K: 48, N: 6, bs: 32 }],
    ['k100_n3_b16_ragged', { K: 100, N: 3, bs: 16 }],
    ['k64_n8_b32_rank3', { M: [2, 3], K: 64, N: 8, bs: 32 }],
    ['k64_n8_b32_m1', { M: [1], K: 64, N: 8, bs: 32 }],
    ['k32_n4_b32_rank1', { M: [], K: 32, N: 4, bs: 32 }],
  ];
  for (const [name, o] of grid) {
    add(`matmulnbits_${name}`, (r) => nbits(r, o));
    add(`matmulnbits_${name}_zp`, (r) => nbits(r, { ...o, zp: 'packed' }));
  }
  add('matmulnbits_bias', (r) => nbits(r, { K: 64, N: 8, bs: 32, bias: true }));
  add('matmulnbits_zp_bias', (r) => nbits(r, { K: 64, N: 8, bs: 32, zp: 'packed', bias: true }));
  add('matmulnbits_zp_odd_blocks', (r) => nbits(r, { K: 96, N: 4, bs: 32, zp: 'packed' }));
  add('matmulnbits_float_zp', (r) => nbits(r, { K: 64, N: 8, bs: 32, zp: 'float' }));
  add('matmulnbits_scales_2d', (r) => nbits(r, { K: 64, N: 8, bs: 32, scales2d: true, zp: 'packed' }));
  add('matmulnbits_gidx_float_zp', (r) => nbits(r, { K: 64, N: 8, bs: 32, zp: 'float', gidx: true }));
  add('matmulnbits_gidx_bias', (r) => nbits(r, { K: 64, N: 8, bs: 32, gidx: true, bias: true }));
  add('matmulnbits_gidx_no_zp', (r) => nbits(r, { K: 64, N: 4, bs: 16, gidx: true }));
  add('matmulnbits_bits8', (r) => nbits(r, { K: 64, N: 8, bs: 32, bits: 8 }));
  add('matmulnbits_bits8_zp', (r) => nbits(r, { K: 64, N: 8, bs: 32, bits: 8, zp: 'packed' }));
  add('matmulnbits_bits2', (r) => nbits(r, { K: 64, N: 8, bs: 32, bits: 2 }));
  add('matmulnbits_bits2_zp', (r) => nbits(r, { K: 64, N: 8, bs: 32, bits: 2, zp: 'packed' }));
  add('matmulnbits_float16', (r) => nbits(r, { K: 32, N: 4, bs: 32, type: 'float16' }));

  // GatherBlockQuantized over uint8 data holding two 4-bit codes per byte (or one 8-bit code)
  const gbq = (r, { V = 10, Kp = 16, bs = 16, bits = 4, idx = [3], itype = 'int64', zp = false }) => {
    const K = Kp * (8 / bits),
      nb = Math.ceil(K / bs);
    const inits = { data: randint(r, 'uint8', [V, Kp], 0, 256), scales: randn(r, 'float32', [V, nb], 0.01, 0.2) };
    const ins = ['data', 'idx', 'scales'];
    if (zp) {
      inits.zp = randint(r, 'uint8', [V, bits === 4 ? Math.ceil(nb / 2) : nb], 0, 256);
      ins.push('zp');
    }
    const n = idx.reduce((a, d) => a * d, 1);
    return {
      nodes: [['GatherBlockQuantized', ins, ['y'], { gather_axis: 0, quantize_axis: 1, block_size: bs, bits }]],
      inputs: {
        idx: tensor(
          itype,
          idx,
          Array.from({ length: n }, () => Math.floor(r() * V)),
        ),
      },
      inits,
      outputs: { y: ['float32'] },
    };
  };
  add('gatherblockquantized_basic', (r) => gbq(r, {}));
  add('gatherblockquantized_zp', (r) => gbq(r, { zp: true, Kp: 32 }));
  add('gatherblockquantized_int32_indices', (r) => gbq(r, { itype: 'int32' }));
  add('gatherblockquantized_2d_indices', (r) => gbq(r, { idx: [2, 3], Kp: 32, bs: 32 }));
  add('gatherblockquantized_block32', (r) => gbq(r, { Kp: 64, bs: 32, zp: true }));
  add('gatherblockquantized_bits8', (r) => gbq(r, { bits: 8, Kp: 32, bs: 16 }));
  add('gatherblockquantized_bits8_zp', (r) => gbq(r, { bits: 8, Kp: 32, bs: 16, zp: true }));
  add('gatherblockquantized_scalar_rows', (r) => gbq(r, { idx: [5], V: 6, Kp: 8, bs: 16 }));
  return cases;
}
