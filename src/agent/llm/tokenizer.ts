// Text <-> token ids through @huggingface/tokenizers (tokenizer.json, the format every Hugging Face
// model ships), plus what the runtime needs around it: special ids, a chat prompt format,
// incremental detokenization for streaming, tokenizer.json from GGUF metadata, and a small
// byte-level BPE trainer so tests and examples can make a real tokenizer without downloads.

import { Tokenizer } from '@huggingface/tokenizers';
import type { GgufValue } from '../../frontend/weights/gguf.js';
import { ChatTemplate, type RenderOptions, type ToolCallMessage } from './chat-template.js';
import { byteToChar, tokenBytesTable } from './token-bytes.js';
import { OPENERS, type ToolFormat, toolFormatOf } from './tool-calls.js';
import { Utf8Table } from './utf8-guard.js';

export { byteToChar };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  name?: string;
  tool_calls?: ToolCallMessage[];
  tool_call_id?: string;
}

/** Markers that end a turn in the chat formats of common families (stop ids when the vocabulary has them). */
const END_OF_TURN = ['<|im_end|>', '<|eot_id|>', '<|eom_id|>', '<end_of_turn>', '<|end|>', '<|endoftext|>'];
/** Special tokens that tool-call parsing must see in the decoded text (they are skipped otherwise). */
const TOOL_MARKERS = ['[TOOL_CALLS]', '[ARGS]', '[CALL_ID]', '<|python_tag|>'];

export class TextTokenizer {
  private readonly tok: Tokenizer;
  readonly vocabSize: number;
  readonly eosId?: number;
  readonly bosId?: number;
  /** ids that end generation (eos and the chat end-of-turn marker when the vocabulary has one) */
  readonly stopIds: Set<number>;
  /** The model's chat template (tokenizer_config.json's chat_template), when it has one. */
  readonly template?: ChatTemplate;
  /** How this model writes tool calls. */
  readonly toolFormat: ToolFormat;
  /** Special-token ids kept in decoded text (tool-call markers). */
  private readonly keepIds: Set<number>;

  constructor(
    readonly json: Record<string, unknown>,
    readonly config: Record<string, unknown> = {},
    ids: { eos?: number; bos?: number; stop?: number[] } = {},
  ) {
    try {
      this.tok = new Tokenizer(json, config);
    } catch (e) {
      throw new Error(`tokenizer.json could not be loaded: ${(e as Error).message}`);
    }
    const vocab = this.tok.get_vocab(true);
    let top = -1;
    for (const id of vocab.values()) if (id > top) top = id; // a spread overflows the stack on 150k-token vocabularies
    this.vocabSize = top + 1;
    const idOf = (k: string): number | undefined => {
      const v = config[k];
      const s = typeof v === 'string' ? v : (v as { content?: string } | undefined)?.content;
      return s === undefined ? undefined : this.tok.token_to_id(s);
    };
    this.eosId = ids.eos ?? idOf('eos_token') ?? this.tok.token_to_id('<|endoftext|>') ?? this.tok.token_to_id('</s>');
    this.bosId = ids.bos ?? idOf('bos_token');
    const eot = END_OF_TURN.map((t) => this.tok.token_to_id(t));
    this.stopIds = new Set(
      [this.eosId, idOf('eos_token'), ...eot, ...(ids.stop ?? [])].filter((x): x is number => x !== undefined),
    );
    const chat = new ChatTemplate(config);
    if (chat.present) this.template = chat;
    this.toolFormat = toolFormatOf(chat.text(true), (t) => this.tok.token_to_id(t) !== undefined);
    this.keepIds = new Set(
      [...TOOL_MARKERS, OPENERS[this.toolFormat]]
        .map((t) => this.tok.token_to_id(t))
        .filter((x): x is number => x !== undefined),
    );
  }

  encode(text: string, addSpecial = false): number[] {
    return this.tok.encode(text, { add_special_tokens: addSpecial }).ids;
  }

  /** Text of ids; special tokens are skipped except the tool-call markers, which parsing needs. */
  decode(ids: number[], skipSpecial = true): string {
    if (!skipSpecial || !this.keepIds.size || !ids.some((i) => this.keepIds.has(i)))
      return this.tok.decode(ids, { skip_special_tokens: skipSpecial });
    let out = '',
      run: number[] = [];
    for (const id of ids) {
      if (!this.keepIds.has(id)) {
        run.push(id);
        continue;
      }
      out +=
        this.tok.decode(run, { skip_special_tokens: true }) + this.tok.decode([id], { skip_special_tokens: false });
      run = [];
    }
    return out + this.tok.decode(run, { skip_special_tokens: true });
  }

  tokenToId(s: string): number | undefined {
    return this.tok.token_to_id(s);
  }

  /** plainText as one function object for the tokenizer's life (constrained decoding caches indexes by it). */
  readonly plain = (id: number): string => this.plainText(id);
  private specials?: Set<number>;
  /** Text of a token for constrained decoding: special tokens (markers, end of turn) have none. */
  plainText(id: number): string {
    this.specials ??= new Set(
      ((this.json.added_tokens ?? []) as { id: number; special?: boolean }[]).filter((a) => a.special).map((a) => a.id),
    );
    return this.specials.has(id) ? '' : this.tokenText(id);
  }

  private texts?: (string | undefined)[];
  /** The text one token decodes to, special tokens included (cached: constrained decoding asks for each). */
  tokenText(id: number): string {
    const t = (this.texts ??= new Array<string | undefined>(this.vocabSize));
    return (t[id] ??= this.tok.decode([id], { skip_special_tokens: false }));
  }

  /**
   * The prompt for a conversation: the model's chat template when it has one; else ChatML
   * (<|im_start|>role\n…<|im_end|>) when the vocabulary has its markers, else plain "role: text" lines.
   */
  formatChat(messages: ChatMessage[], o: RenderOptions = {}): string {
    if (this.template) return this.template.render(messages, o);
    const chatml = this.tok.token_to_id('<|im_start|>') !== undefined;
    const parts = messages.map((m) =>
      chatml ? `<|im_start|>${m.role}\n${m.content}<|im_end|>\n` : `${m.role}: ${m.content}\n`,
    );
    return parts.join('') + (chatml ? '<|im_start|>assistant\n' : 'assistant:');
  }

  private bytes?: Uint8Array[];
  /** The raw bytes a token stands for (its text alone is U+FFFD when it holds part of a character). */
  tokenBytes(id: number): Uint8Array {
    this.bytes ??= tokenBytesTable(this.json, this.vocabSize);
    return this.bytes[id] ?? new Uint8Array(0);
  }

  private utf8?: Utf8Table;
  /** Each token's effect on UTF-8 validity (built once, on first use by the UTF-8 guard). */
  utf8Table(): Utf8Table {
    this.bytes ??= tokenBytesTable(this.json, this.vocabSize);
    return (this.utf8 ??= new Utf8Table(this.bytes));
  }

  /** A streaming decoder: feed ids one at a time, get the new text (held back inside a UTF-8 sequence). */
  streamDecoder(): { push(id: number): string; text(): string } {
    const ids: number[] = [];
    let emitted = '';
    return {
      push: (id: number) => {
        ids.push(id);
        const full = this.decode(ids);
        if (full.endsWith('\uFFFD')) return '';
        const delta = full.startsWith(emitted) ? full.slice(emitted.length) : full;
        emitted = full;
        return delta;
      },
      text: () => this.decode(ids),
    };
  }
}

// ---------------------------------------------------------------------------------------------
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface BpeTrainOptions {
  vocabSize: number;
  /** Added special tokens, given the first ids. Default: <|endoftext|>, <|im_start|>, <|im_end|>. */
  specialTokens?: string[];
}

/** Train a byte-level BPE (GPT-2 style) on a corpus and return its tokenizer.json object. */
export function trainBpe(corpus: string[], opts: BpeTrainOptions): Record<string, unknown> {
  const specials = opts.specialTokens ?? ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const b2c = byteToChar();
  const vocab = new Map<string, number>();
  specials.forEach((s) => vocab.set(s, vocab.size));
  for (let b = 0; b < 256; b++) vocab.set(b2c[b]!, vocab.size);
  if (opts.vocabSize < vocab.size)
    throw new Error(`vocabSize ${opts.vocabSize} is below the ${vocab.size} byte and special tokens`);
  // words as symbol sequences with counts
  const enc = new TextEncoder();
  const counts = new Map<string, number>();
  for (const text of corpus) {
    for (const w of text.match(GPT2_SPLIT) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const words = [...counts].map(([w, n]) => ({ syms: [...enc.encode(w)].map((b) => b2c[b]!), n }));
  const merges: string[] = [];
  while (vocab.size < opts.vocabSize) {
    const pairs = new Map<string, number>();
    for (const { syms, n } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = `${syms[i]} ${syms[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + n);
      }
    }
    let best = '',
      bestN = 1;
    for (const [k, n] of pairs)
      if (n > bestN || (n === bestN && best && k < best)) {
        best = k;
        bestN = n;
      }
    if (!best) break; // nothing occurs twice: the vocabulary cannot grow further
    const [a, b] = best.split(' ') as [string, string];
    const merged = a + b;
    merges.push(best);
    vocab.set(merged, vocab.size);
    for (const w of words) {
      const s = w.syms;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i]!);
      }
      w.syms = out;
    }
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges,
    },
  };
}

/** tokenizer.json for a GGUF file whose tokenizer.ggml.model is 'gpt2' (byte-level BPE). */
export function tokenizerJsonFromGguf(meta: Map<string, GgufValue>, source = 'gguf'): Record<string, unknown> {
  const model = meta.get('tokenizer.ggml.model');
  const tokens = meta.get('tokenizer.ggml.tokens') as string[] | undefined;
  if (!tokens) throw new Error(`${source}: no tokenizer.ggml.tokens; give a tokenizer.json`);
  if (model !== 'gpt2')
    throw new Error(
      `${source}: tokenizer.ggml.model '${String(model)}' cannot be converted (only 'gpt2' byte-level BPE); ` +
        `give a tokenizer.json`,
    );
  const merges = (meta.get('tokenizer.ggml.merges') as string[] | undefined) ?? [];
  const types = (meta.get('tokenizer.ggml.token_type') as number[] | undefined) ?? [];
  const added = tokens
    .map((content, id) => ({ id, content, t: types[id] }))
    .filter((x) => x.t === 3 || x.t === 4)
    .map(({ id, content, t }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t === 3,
    }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(tokens.map((t, i) => [t, i])),
      merges,
    },
  };
}

/** GGUF tokenizer metadata from a byte-level BPE tokenizer.json (the inverse of the above). */
export function ggufTokenizerMetadata(
  json: Record<string, unknown>,
  ids: { eos?: number; bos?: number } = {},
): Record<string, GgufValue> {
  const model = json.model as { vocab: Record<string, number>; merges: (string | [string, string])[] };
  const tokens: string[] = [];
  for (const [t, i] of Object.entries(model.vocab)) tokens[i] = t;
  const specials = new Set(
    ((json.added_tokens ?? []) as { id: number; special: boolean }[]).filter((a) => a.special).map((a) => a.id),
  );
  const meta: Record<string, GgufValue> = {
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': tokens.map((_, i) => (specials.has(i) ? 3 : 1)),
    'tokenizer.ggml.merges': model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m)),
  };
  if (ids.eos !== undefined) meta['tokenizer.ggml.eos_token_id'] = ids.eos;
  if (ids.bos !== undefined) meta['tokenizer.ggml.bos_token_id'] = ids.bos;
  return meta;
}
