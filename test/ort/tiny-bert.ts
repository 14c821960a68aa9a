// A tiny BERT in the layout transformers.js loads (config.json, tokenizer.json,
// tokenizer_config.json, onnx/model.onnx), made here with seeded weights: the graph ONNX Runtime's
// transformer optimizer writes for BERT (EmbedLayerNormalization, Attention, SkipLayerNormalization,
// BiasGelu from com.microsoft), so transformers.js on switchyard/ort exercises the contrib ops.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { mulberry32 } from '../../src/util/rng.js';

const WORDS = [
  'the',
  'a',
  'cat',
  'dog',
  'sat',
  'on',
  'mat',
  'runs',
  'fast',
  'hello',
  'world',
  'switch',
  '##yard',
  'is',
  'here',
  '.',
  ',',
];
const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const H = 16,
  FF = 32,
  MAXPOS = 32;

export function writeTinyBert(dir: string): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const vocab = [...SPECIAL, ...WORDS];
  const V = vocab.length;
  const rnd = mulberry32(7);
  const w = (name: string, dims: number[], scale = 0.5) => ({
    name,
    dataType: 1,
    dims,
    rawData: new Uint8Array(
      Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => (rnd() * 2 - 1) * scale).buffer,
    ),
  });
  const ones = (name: string, n: number) => ({
    name,
    dataType: 1,
    dims: [n],
    rawData: new Uint8Array(Float32Array.from({ length: n }, () => 1 + (rnd() - 0.5) * 0.2).buffer),
  });
  const ms = 'com.microsoft';
  const attr = (name: string, v: number, float = false) => (float ? { name, type: 1, f: v } : { name, type: 2, i: v });
  const nodes = [
    { opType: 'Cast', input: ['input_ids'], output: ['ids32'], attribute: [attr('to', 6)] },
    { opType: 'Cast', input: ['token_type_ids'], output: ['tt32'], attribute: [attr('to', 6)] },
    { opType: 'Cast', input: ['attention_mask'], output: ['mask32'], attribute: [attr('to', 6)] },
    {
      opType: 'EmbedLayerNormalization',
      domain: ms,
      input: ['ids32', 'tt32', 'word', 'pos', 'seg', 'eg', 'eb', 'mask32'],
      output: ['emb', 'mask_index'],
      attribute: [attr('epsilon', 1e-12, true)],
    },
    {
      opType: 'Attention',
      domain: ms,
      input: ['emb', 'wqkv', 'bqkv', 'mask32'],
      output: ['attn'],
      attribute: [attr('num_heads', 2)],
    },
    { opType: 'MatMul', input: ['attn', 'wo'], output: ['o'] },
    {
      opType: 'SkipLayerNormalization',
      domain: ms,
      input: ['o', 'emb', 'g1', 'b1', 'bo'],
      output: ['h1'],
      attribute: [attr('epsilon', 1e-12, true)],
    },
    { opType: 'MatMul', input: ['h1', 'wf1'], output: ['f1'] },
    { opType: 'BiasGelu', domain: ms, input: ['f1', 'bf1'], output: ['gelu'] },
    { opType: 'MatMul', input: ['gelu', 'wf2'], output: ['f2'] },
    {
      opType: 'SkipLayerNormalization',
      domain: ms,
      input: ['f2', 'h1', 'g2', 'b2', 'bf2'],
      output: ['last_hidden_state'],
      attribute: [attr('epsilon', 1e-12, true)],
    },
  ];
  const io = (name: string, elem: number, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: elem,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'switchyard-test',
    opsetImport: [
      { domain: '', version: 17 },
      { domain: ms, version: 1 },
    ],
    graph: {
      name: 'tiny-bert',
      node: nodes,
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => io(n, 7, ['batch_size', 'sequence_length'])),
      output: [io('last_hidden_state', 1, ['batch_size', 'sequence_length', H])],
      initializer: [
        w('word', [V, H]),
        w('pos', [MAXPOS, H]),
        w('seg', [2, H]),
        ones('eg', H),
        w('eb', [H], 0.1),
        w('wqkv', [H, 3 * H]),
        w('bqkv', [3 * H], 0.1),
        w('wo', [H, H]),
        w('bo', [H], 0.1),
        ones('g1', H),
        w('b1', [H], 0.1),
        w('wf1', [H, FF]),
        w('bf1', [FF], 0.1),
        w('wf2', [FF, H]),
        w('bf2', [H], 0.1),
        ones('g2', H),
        w('b2', [H], 0.1),
      ],
    },
  });
  writeFileSync(join(dir, 'onnx/model.onnx'), onnx.ModelProto.encode(model).finish());
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify(
      {
        model_type: 'bert',
        architectures: ['BertModel'],
        hidden_size: H,
        num_attention_heads: 2,
        num_hidden_layers: 1,
        intermediate_size: FF,
        vocab_size: V,
        max_position_embeddings: MAXPOS,
        type_vocab_size: 2,
      },
      null,
      2,
    ),
  );
  writeTinyBertTokenizer(dir);
}

/** tokenizer.json and tokenizer_config.json of the tiny WordPiece vocabulary; returns its size. */
export function writeTinyBertTokenizer(dir: string): number {
  const vocab = [...SPECIAL, ...WORDS];
  const special = (t: string) => ({
    id: vocab.indexOf(t),
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tok = (t: string, type = 0) => ({ SpecialToken: { id: t, type_id: type } });
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIAL.map(special),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: true,
        strip_accents: null,
        lowercase: true,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [tok('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, tok('[SEP]')],
        pair: [
          tok('[CLS]'),
          { Sequence: { id: 'A', type_id: 0 } },
          tok('[SEP]'),
          { Sequence: { id: 'B', type_id: 1 } },
          tok('[SEP]', 1),
        ],
        special_tokens: Object.fromEntries(
          ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [vocab.indexOf(t)], tokens: [t] }]),
        ),
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
      },
    }),
  );
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: MAXPOS,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
    }),
  );
  return vocab.length;
}
