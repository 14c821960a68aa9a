// The graph builder of the decoder models: one constant per weight tensor, linear layers (float,
// int8 DequantizeLinear or MatMulNBits weights), norms, head reshapes, the MLP and embeddings.

import { GraphBuilder } from '../../ir/builder.js';
import type { Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import type { LlmConfig } from './config.js';
import { isQ8, type Linear, type ModelWeights, type Norm } from './weights.js';

export class Builder {
  readonly g: GraphBuilder;
  private readonly consts = new Map<Tensor, Value>();
  constructor(
    readonly c: LlmConfig,
    readonly w: ModelWeights,
    name: string,
  ) {
    this.g = new GraphBuilder(name, 24);
  }
  /** One graph value per weight tensor, named for errors and ONNX export. */
  k(t: Tensor, name: string): Value {
    let v = this.consts.get(t);
    if (!v) {
      v = this.g.constant(t, name);
      this.consts.set(t, v);
    }
    return v;
  }
  i64(values: number[], dims?: number[]): Value {
    return this.g.constant(Tensor.from('int64', values.map(BigInt), dims));
  }
  linear(x: Value, l: Linear, name: string): Value {
    let w: Value;
    if (isQ8(l.w) && l.w.nbits) {
      const { K, N, bits, blockSize } = l.w.nbits;
      const y = this.g.op(
        'ms.MatMulNBits',
        [x, this.k(l.w.values, `${name}.qweight`), this.k(l.w.scales, `${name}.scales`)],
        // accuracy_level 4: int8 activations allowed (the integer-dot kernels), as llama.cpp computes
        { K, N, bits, block_size: blockSize, accuracy_level: 4 },
      );
      return l.b ? this.g.add(y, this.k(l.b, `${name}.bias`)) : y;
    }
    if (isQ8(l.w)) {
      w = this.g.op('DequantizeLinear', [this.k(l.w.values, `${name}.qweight`), this.k(l.w.scales, `${name}.scales`)], {
        axis: 0,
        block_size: 32,
      });
    } else {
      w = this.k(l.w, `${name}.weight`);
    }
    const y = this.g.matmul(x, w);
    return l.b ? this.g.add(y, this.k(l.b, `${name}.bias`)) : y;
  }
  /** cap * tanh(x / cap) */
  softcap(x: Value, cap: number): Value {
    return this.g.mul(this.g.op('Tanh', [this.g.mul(x, this.g.scalar(1 / cap))]), this.g.scalar(cap));
  }
  /** RMSNorm of each head's vector ([1, heads, n, hd], over hd). */
  headNorm(x: Value, n: Norm | undefined, name: string): Value {
    return n
      ? this.g.op('RMSNormalization', [x, this.k(n.w, `${name}.weight`)], { epsilon: this.c.normEps, axis: -1 })
      : x;
  }
  /** nn.Attention's attributes for the config's scale and soft-capping. */
  attnAttrs(): Record<string, number> {
    return {
      ...(this.c.attnScale !== undefined ? { scale: this.c.attnScale } : {}),
      ...(this.c.attnSoftcap ? { softcap: this.c.attnSoftcap } : {}),
    };
  }
  /**
   * The attention output (and the MLP output) into the residual stream, through the sandwich norm when there
   * is one.
   */
  residual(x: Value, y: Value, n: Norm | undefined, name: string): Value {
    return this.g.add(x, n ? this.norm(y, n, name) : y);
  }
  norm(x: Value, n: Norm, name: string): Value {
    if (this.c.arch === 'gpt2')
      return this.g.layerNorm(x, this.k(n.w, `${name}.weight`), n.b && this.k(n.b, `${name}.bias`), this.c.normEps);
    return this.g.op('RMSNormalization', [x, this.k(n.w, `${name}.weight`)], { epsilon: this.c.normEps, axis: -1 });
  }
  /** [1, n, heads*hd] -> [1, heads, n, hd] */
  heads(x: Value, n: number, heads: number): Value {
    return this.g.transpose(this.g.reshape(x, [1, n, heads, this.c.headDim]), [0, 2, 1, 3]);
  }
  /** [1, heads, n, hd] -> [1, n, heads*hd] */
  merge(x: Value, n: number): Value {
    return this.g.reshape(this.g.transpose(x, [0, 2, 1, 3]), [1, n, this.c.numHeads * this.c.headDim]);
  }
  mlp(x: Value, l: ModelWeights['layers'][number], i: number): Value {
    const g = this.g;
    if (this.c.arch === 'gpt2') {
      return this.linear(g.gelu(this.linear(x, l.up, `layers.${i}.mlp.up`), 'tanh'), l.down, `layers.${i}.mlp.down`);
    }
    const gate = this.linear(x, l.gate!, `layers.${i}.mlp.gate`);
    const act = this.c.hiddenAct === 'gelu_tanh' ? g.gelu(gate, 'tanh') : g.mul(gate, g.sigmoid(gate));
    return this.linear(g.mul(act, this.linear(x, l.up, `layers.${i}.mlp.up`)), l.down, `layers.${i}.mlp.down`);
  }
  /** Token (and for GPT-2, position) embeddings: [1, n, H]. */
  embed(ids: Value, positions: Value): Value {
    let x = this.g.op('Gather', [this.k(this.w.embed, 'embed_tokens'), ids], { axis: 0 });
    if (this.c.embedScale) x = this.g.mul(x, this.g.scalar(Math.fround(this.c.embedScale)));
    if (this.w.posEmbed)
      return this.g.add(x, this.g.op('Gather', [this.k(this.w.posEmbed, 'embed_positions'), positions], { axis: 0 }));
    return x;
  }
}
