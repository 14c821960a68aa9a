// Tokens of the IR text form (parser.ts reads them): refs %x, globals @g, identifiers, numbers,
// strings and punctuation, each with its line and column for error messages.

export type TokKind = 'ref' | 'global' | 'ident' | 'num' | 'str' | 'punct' | 'eof';
export interface Tok {
  kind: TokKind;
  text: string;
  line: number;
  col: number;
}

export function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0,
    line = 1,
    lineStart = 0;
  const push = (kind: TokKind, text: string, start: number) =>
    toks.push({ kind, text, line, col: start - lineStart + 1 });
  const readString = (start: number): [string, number] => {
    let j = start + 1;
    while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
    if (j >= src.length) throw new Error(`line ${line}: unterminated string`);
    return [JSON.parse(src.slice(start, j + 1)) as string, j + 1];
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      lineStart = i + 1;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (c === '%' || c === '@') {
      const kind = c === '%' ? 'ref' : 'global';
      if (src[i + 1] === '"') {
        const [s, j] = readString(i + 1);
        push(kind, s, start);
        i = j;
        continue;
      }
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_.$-]/.test(src[j]!)) j++;
      push(kind, src.slice(i + 1, j), start);
      i = j;
      continue;
    }
    if (c === '"') {
      const [s, j] = readString(i);
      push('str', s, start);
      i = j;
      continue;
    }
    if (c === '-' && src[i + 1] === '>') {
      push('punct', '->', start);
      i += 2;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9i]/.test(src[i + 1] ?? ''))) {
      if (src.startsWith('-inf', i)) {
        push('num', '-inf', start);
        i += 4;
        continue;
      }
      const m = /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?/.exec(src.slice(i, i + 64))!;
      push('num', m[0], start);
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_.$]/.test(src[j]!)) j++;
      const word = src.slice(i, j);
      push(word === 'nan' || word === 'inf' ? 'num' : 'ident', word, start);
      i = j;
      continue;
    }
    if ('()[]{}<>,:=*?'.includes(c)) {
      push('punct', c, start);
      i++;
      continue;
    }
    throw new Error(`line ${line}, column ${i - lineStart + 1}: unexpected character '${c}'`);
  }
  toks.push({ kind: 'eof', text: '', line, col: i - lineStart + 1 });
  return toks;
}
