// A tiny decoder in the layout transformers.js loads for a llama-type model (config.json,
// tokenizer files, onnx/model.onnx with input_ids, attention_mask, past_key_values.0.key/value ->
// logits, present.0.key/value), written the way ONNX Runtime GenAI / Optimum export quantised
// decoders: MatMulNBits 4-bit projections, GroupQueryAttention with rotary and a KV cache
// (seqlens_k and total_sequence_length computed from attention_mask in the graph),
// SimplifiedLayerNormalization and SkipSimplifiedLayerNormalization. Seeded weights.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { mulberry32 } from '../../src/util/rng.js';
import { writeTinyBertTokenizer } from './tiny-bert.js';

const H = 64,
  HEADS = 4,
  KV = 2,
  HD = 16,
  FF = 128,
  BS = 32,
  MAXPOS = 64;

export function writeTinyLlama(dir: string): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const V = writeTinyBertTokenizer(dir);
  const rnd = mulberry32(11);
  const inits: object[] = [];
  const f32 = (name: string, dims: number[], f: (i: number) => number) => {
    inits.push({
      name,
      dataType: 1,
      dims,
      rawData: new Uint8Array(Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => f(i)).buffer),
    });
    return name;
  };
  const i64 = (name: string, dims: number[], v: number[]) => {
    inits.push({ name, dataType: 7, dims, rawData: new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer) });
    return name;
  };
  const nodes: object[] = [];
  const ms = 'com.microsoft';
  const A = (name: string, v: number | number[] | string, kind?: 'f') =>
    typeof v === 'string'
      ? { name, type: 3, s: new TextEncoder().encode(v) }
      : Array.isArray(v)
        ? { name, type: 7, ints: v }
        : kind === 'f'
          ? { name, type: 1, f: v }
          : { name, type: 2, i: v };
  let k = 0;
  const node = (opType: string, input: string[], output: string[], attribute: object[] = [], domain = '') => {
    nodes.push({ name: `n${k++}`, opType, input, output, attribute, domain });
    return output[0]!;
  };
  /** y = x · Wᵀ with W [N, K] quantised to 4 bits (random codes, small scales, packed zero points). */
  const nbits = (x: string, K: number, N: number, out: string) => {
    const kb = K / BS,
      tag = `w${k}`;
    inits.push({
      name: `${tag}.q`,
      dataType: 2,
      dims: [N, kb, BS / 2],
      rawData: Uint8Array.from({ length: (N * kb * BS) / 2 }, () => Math.floor(rnd() * 256)),
    });
    f32(`${tag}.s`, [N * kb], () => (0.02 + rnd() * 0.03) / Math.sqrt(K / 64));
    inits.push({
      name: `${tag}.z`,
      dataType: 2,
      dims: [N * Math.ceil(kb / 2)],
      rawData: Uint8Array.from({ length: N * Math.ceil(kb / 2) }, () => 0x77 + Math.floor(rnd() * 3) * 0x11),
    });
    return node(
      'MatMulNBits',
      [x, `${tag}.q`, `${tag}.s`, `${tag}.z`],
      [out],
      [A('K', K), A('N', N), A('bits', 4), A('block_size', BS)],
      ms,
    );
  };
  const cos: number[] = [],
    sin: number[] = [];
  for (let p = 0; p < MAXPOS; p++)
    for (let m = 0; m < HD / 2; m++) {
      const a = p / 10000 ** (m / (HD / 2));
      cos.push(Math.cos(a));
      sin.push(Math.sin(a));
    }
  f32('cos', [MAXPOS, HD / 2], (i) => cos[i]!);
  f32('sin', [MAXPOS, HD / 2], (i) => sin[i]!);
  f32('embed', [V, H], () => rnd() * 2 - 1);
  node('Gather', ['embed', 'input_ids'], ['x'], [A('axis', 0)]);
  f32('g1', [H], () => 1 + (rnd() - 0.5) * 0.2);
  node('SimplifiedLayerNormalization', ['x', 'g1'], ['xn'], [A('axis', -1), A('epsilon', 1e-6, 'f')]);
  nbits('xn', H, HEADS * HD, 'q');
  nbits('xn', H, KV * HD, 'k');
  nbits('xn', H, KV * HD, 'v');
  // seqlens_k = sum(attention_mask) - 1, total_sequence_length = attention_mask.shape[1]
  i64('one', [], [1]);
  i64('axis1', [1], [1]);
  i64('idx1', [], [1]);
  node('ReduceSum', ['attention_mask', 'axis1'], ['msum'], [A('keepdims', 0)]);
  node('Sub', ['msum', 'one'], ['msum1']);
  node('Cast', ['msum1'], ['seqlens_k'], [A('to', 6)]);
  node('Shape', ['attention_mask'], ['mshape']);
  node('Gather', ['mshape', 'idx1'], ['tlen'], [A('axis', 0)]);
  node('Cast', ['tlen'], ['total_len'], [A('to', 6)]);
  node(
    'GroupQueryAttention',
    ['q', 'k', 'v', 'past_key_values.0.key', 'past_key_values.0.value', 'seqlens_k', 'total_len', 'cos', 'sin'],
    ['attn', 'present.0.key', 'present.0.value'],
    [A('num_heads', HEADS), A('kv_num_heads', KV), A('do_rotary', 1)],
    ms,
  );
  nbits('attn', HEADS * HD, H, 'o');
  f32('g2', [H], () => 1 + (rnd() - 0.5) * 0.2);
  node('SkipSimplifiedLayerNormalization', ['o', 'x', 'g2'], ['hn', '', '', 'h'], [A('epsilon', 1e-6, 'f')], ms);
  nbits('hn', H, FF, 'up');
  node('QuickGelu', ['up'], ['act'], [], ms);
  nbits('act', FF, H, 'down');
  node('Add', ['down', 'h'], ['h2']);
  f32('g3', [H], () => 1 + (rnd() - 0.5) * 0.2);
  node('SimplifiedLayerNormalization', ['h2', 'g3'], ['hf'], [A('axis', -1), A('epsilon', 1e-6, 'f')]);
  // the vocabulary is not a multiple of 32: the head is a plain MatMul
  f32('lm_head', [H, V], () => (rnd() * 2 - 1) * 0.5);
  node('MatMul', ['hf', 'lm_head'], ['logits']);
  const io = (name: string, elem: number, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: elem,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const kv = (n: string, len: string) => io(n, 1, ['batch_size', KV, len, HD]);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'switchyard-test',
    opsetImport: [
      { domain: '', version: 17 },
      { domain: ms, version: 1 },
    ],
    graph: {
      name: 'tiny-llama',
      node: nodes,
      initializer: inits,
      input: [
        io('input_ids', 7, ['batch_size', 'sequence_length']),
        io('attention_mask', 7, ['batch_size', 'total_sequence_length']),
        kv('past_key_values.0.key', 'past_sequence_length'),
        kv('past_key_values.0.value', 'past_sequence_length'),
      ],
      output: [
        io('logits', 1, ['batch_size', 'sequence_length', V]),
        kv('present.0.key', 'total_sequence_length'),
        kv('present.0.value', 'total_sequence_length'),
      ],
    },
  });
  writeFileSync(join(dir, 'onnx/model.onnx'), onnx.ModelProto.encode(model).finish());
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify(
      {
        model_type: 'llama',
        architectures: ['LlamaForCausalLM'],
        hidden_size: H,
        num_attention_heads: HEADS,
        num_key_value_heads: KV,
        head_dim: HD,
        num_hidden_layers: 1,
        intermediate_size: FF,
        vocab_size: V,
        max_position_embeddings: MAXPOS,
        bos_token_id: 2,
        eos_token_id: 3,
        pad_token_id: 0,
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'generation_config.json'),
    JSON.stringify({ bos_token_id: 2, eos_token_id: 3, pad_token_id: 0 }),
  );
}
