// MatMulNBits with constant codes for GPU kernels: ms.MatMulNBits -> k.matmul_nbits, the uint8
// codes reinterpreted as uint32 words (the same bytes: a 4-bit matrix stays 4 bits a weight on the
// GPU, never widened to floats) and packed zero points unpacked to one float per block. Runs
// before decompose-contrib, which would otherwise dequantise the weights to a float32 matmul.
// The words are made once per codes tensor, so every graph of a model shares one GPU copy.

import '../ops/kernel/matmul-nbits.js';
import { AttrReader } from '../ir/attributes.js';
import { type Graph, Node, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { nbitsGeometry, unpack } from '../ops/contrib-math.js';
import { codesToWords } from '../ops/kernel/matmul-nbits.js';
import type { Pass } from './pass.js';

const words = new WeakMap<Tensor, Tensor>();
const zeros = new WeakMap<Tensor, Tensor>();

/** Why a MatMulNBits node stays as it is (undefined: it becomes k.matmul_nbits). */
export function nbitsGpuBlocker(n: Node): string | undefined {
  const [A, B, S, Z, G, bias] = n.inputs;
  let g: ReturnType<typeof nbitsGeometry>;
  try {
    g = nbitsGeometry(new AttrReader(n.attrs, n.describe()));
  } catch (e) {
    return (e as Error).message;
  }
  if (g.bits !== 4 && g.bits !== 8) return `${g.bits}-bit codes`;
  if (G) return 'g_idx';
  if (!B?.const) return 'codes that are not constant';
  if (Z && !Z.const) return 'zero points that are not constant';
  if (A?.type?.dtype !== 'float32' || S?.type?.dtype !== 'float32') return 'A or scales not float32';
  if (bias && bias.type?.dtype !== 'float32') return 'a bias that is not float32';
  if (g.K % g.blockSize || g.blobSize % 4) return `K=${g.K} in blocks of ${g.blockSize}`;
  return undefined;
}

function zeroPointsOf(z: Tensor, g: ReturnType<typeof nbitsGeometry>): Tensor {
  let f = zeros.get(z);
  if (!f) {
    const out = new Float32Array(g.N * g.kBlocks);
    if (z.type === 'uint8') {
      const row = Math.ceil((g.kBlocks * g.bits) / 8);
      const bytes = z.data as Uint8Array;
      for (let r = 0; r < g.N; r++)
        for (let b = 0; b < g.kBlocks; b++) out[r * g.kBlocks + b] = unpack(bytes, r * row, b, g.bits);
    } else out.set(z.data as Float32Array);
    f = new Tensor('float32', out, [g.N * g.kBlocks]);
    zeros.set(z, f);
  }
  return f;
}

function constValue(name: string, t: Tensor): Value {
  const v = new Value(name, { dtype: t.type, shape: [...t.dims] });
  v.const = t;
  return v;
}

export const packNbits: Pass = {
  name: 'pack-nbits',
  description: 'MatMulNBits with constant codes -> k.matmul_nbits over uint32 words (GPU kernels, not widened)',
  run(g: Graph) {
    let count = 0;
    g.nodes = g.nodes.map((n) => {
      if (n.op !== 'ms.MatMulNBits' || nbitsGpuBlocker(n)) return n;
      const [A, B, S, Z, , bias] = n.inputs;
      const geo = nbitsGeometry(new AttrReader(n.attrs, n.describe()));
      let w = words.get(B!.const!);
      if (!w) {
        w = codesToWords(B!.const!, geo.N);
        words.set(B!.const!, w);
      }
      const zp = Z?.const ? constValue(`${Z.name}.float`, zeroPointsOf(Z.const, geo)) : null;
      count++;
      const attrs = { K: n.attrs.K!, N: n.attrs.N!, bits: n.attrs.bits ?? { kind: 'int', value: 4 } };
      return new Node(
        'k.matmul_nbits',
        [A!, constValue(`${B!.name}.words`, w), S!, zp, bias ?? null],
        n.outputs,
        { ...attrs, block_size: n.attrs.block_size! },
        n.name,
      );
    });
    return { changed: count > 0, summary: `${count} MatMulNBits kept packed for the GPU` };
  },
};
