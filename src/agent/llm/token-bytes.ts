// The raw bytes each token stands for, read from tokenizer.json. A token's decoded text alone
// loses them: a byte-level BPE token holding half of a multi-byte character decodes to U+FFFD.
// OpenAI's logprobs carry these bytes, and the UTF-8 guard (utf8-guard.ts) walks them.

interface TokenizerJson {
  model?: { type?: string; vocab?: unknown; byte_fallback?: boolean };
  decoder?: { type?: string; decoders?: { type?: string }[] } | null;
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

// GPT-2 byte-level alphabet: every byte maps to a printable character so BPE works on strings.

let BYTE_TO_CHAR: string[] | undefined;
export function byteToChar(): string[] {
  if (BYTE_TO_CHAR) return BYTE_TO_CHAR;
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  const out = new Array<string>(256);
  bs.forEach((b, i) => {
    out[b] = String.fromCodePoint(cs[i]!);
  });
  return (BYTE_TO_CHAR = out);
}

const utf8 = new TextEncoder();
const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

function decoderTypes(d: TokenizerJson['decoder']): string[] {
  if (!d) return [];
  return d.type === 'Sequence' ? (d.decoders ?? []).map((x) => x.type ?? '') : [d.type ?? ''];
}

/** token string -> id of the model's vocabulary (BPE/WordPiece maps, Unigram's [piece, score] list). */
function vocabEntries(model: TokenizerJson['model']): [string, number][] {
  const v = model?.vocab;
  if (Array.isArray(v)) return v.map((e, i) => [String((e as [string, number])[0]), i]);
  if (v && typeof v === 'object') return Object.entries(v as Record<string, number>);
  return [];
}

/**
 * Bytes of every id below vocabSize: byte-level tokens mapped back through GPT-2's alphabet,
 * `<0xNN>` byte-fallback pieces as their byte, SentencePiece's ▁ as a space, special added tokens
 * as no bytes (they are markers, not text), other added tokens as their UTF-8.
 */
export function tokenBytesTable(json: Record<string, unknown>, vocabSize: number): Uint8Array[] {
  const j = json as TokenizerJson;
  const types = decoderTypes(j.decoder);
  const byteLevel = types.includes('ByteLevel');
  const byteFallback = types.includes('ByteFallback') || j.model?.byte_fallback === true;
  const metaspace = types.includes('Metaspace') || types.includes('Replace');
  const charToByte = new Map<string, number>();
  if (byteLevel) byteToChar().forEach((c, b) => charToByte.set(c, b));
  const bytesOf = (piece: string): Uint8Array => {
    if (byteFallback) {
      const m = BYTE_FALLBACK.exec(piece);
      if (m) return Uint8Array.of(Number.parseInt(m[1]!, 16));
    }
    if (byteLevel) {
      const out: number[] = [];
      for (const ch of piece) {
        const b = charToByte.get(ch);
        if (b !== undefined) out.push(b);
        else out.push(...utf8.encode(ch));
      }
      return Uint8Array.from(out);
    }
    return utf8.encode(metaspace ? piece.replaceAll('▁', ' ') : piece);
  };
  const table = new Array<Uint8Array>(vocabSize).fill(new Uint8Array(0));
  for (const [piece, id] of vocabEntries(j.model)) if (id >= 0 && id < vocabSize) table[id] = bytesOf(piece);
  for (const a of j.added_tokens ?? []) {
    if (a.id < 0 || a.id >= vocabSize) continue;
    table[a.id] = a.special ? new Uint8Array(0) : utf8.encode(a.content);
  }
  return table;
}
