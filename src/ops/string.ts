// String tensors (dtype 'string', stored as string[]): StringNormalizer (stopwords and case),
// StringConcat (broadcast), StringSplit (Python str.split semantics, padded to the longest row)
// and RegexFullMatch. They run on the host; kernel backends place them on the reference path.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { broadcastType, inType, mapBroadcast } from './util.js';

function strType(t: import('../ir/graph.js').TensorType, what: string) {
  if (t.dtype !== 'string') throw new Error(`${what} must be a string tensor, got ${formatType(t)}`);
  return t;
}

const strings = (t: Tensor): string[] => t.data as string[];

const stringNormalizer: OpDef = {
  name: 'nn.StringNormalizer',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {
    case_change_action: { kind: 'string', default: 'NONE' },
    is_case_sensitive: { kind: 'int', default: 0 },
    locale: { kind: 'string', default: '' },
    stopwords: { kind: 'strings', default: [] },
  },
  infer(ctx) {
    const x = strType(inType(ctx, 0, 'X'), 'X');
    const action = ctx.attrs.string('case_change_action', 'NONE');
    if (!['NONE', 'LOWER', 'UPPER'].includes(action)) {
      throw new Error(`case_change_action '${action}' must be NONE, LOWER or UPPER`);
    }
    if (x.shape && !(x.shape.length === 1 || (x.shape.length === 2 && x.shape[0] === 1))) {
      throw new Error(`X ${formatType(x)} must be [C] or [1,C]`);
    }
    const c = ctx.attrs.strings('stopwords', []).length ? freshDim('words') : x.shape?.[x.shape.length - 1];
    return [{ dtype: 'string', ...(x.shape ? { shape: x.shape.length === 1 ? [c!] : [1, c!] } : {}) }];
  },
  run({ inputs: [x], attrs }) {
    const action = attrs.string('case_change_action', 'NONE');
    const sensitive = attrs.int('is_case_sensitive', 0) !== 0;
    const locale = jsLocale(attrs.string('locale', ''));
    const fold = (s: string) => (sensitive ? s : s.toLocaleLowerCase(locale));
    const stop = new Set(attrs.strings('stopwords', []).map(fold));
    let kept = strings(x!).filter((s) => !stop.has(fold(s)));
    if (action === 'LOWER') kept = kept.map((s) => s.toLocaleLowerCase(locale));
    if (action === 'UPPER') kept = kept.map((s) => s.toLocaleUpperCase(locale));
    // every word a stopword: one empty string, so the output is never empty (the spec's rule)
    if (!kept.length) kept = [''];
    return [new Tensor('string', kept, x!.dims.length === 1 ? [kept.length] : [1, kept.length])];
  },
  onnx: { type: 'StringNormalizer', minOpset: 10 },
};

const stringConcat: OpDef = {
  name: 'nn.StringConcat',
  inputs: ['X', 'Y'],
  outputs: ['Z'],
  infer(ctx) {
    strType(inType(ctx, 0, 'X'), 'X');
    strType(inType(ctx, 1, 'Y'), 'Y');
    return [broadcastType(ctx.types, 'string')];
  },
  // mapBroadcast passes elements through as they are stored: strings here
  run: ({ inputs }) => [mapBroadcast(inputs as Tensor[], 'string', (a, b) => `${a}${b}` as unknown as number)],
  onnx: { type: 'StringConcat', minOpset: 20 },
};

/** Python's str.split: no delimiter splits on runs of whitespace and drops empty ends. */
function splitOne(s: string, delim: string | undefined, maxsplit: number): string[] {
  if (delim === undefined) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest.length) {
      if (out.length === maxsplit) {
        out.push(rest.replace(/\s+$/, ''));
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const parts = s.split(delim);
  if (parts.length - 1 <= maxsplit) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(delim)];
}

const stringSplit: OpDef = {
  name: 'nn.StringSplit',
  inputs: ['X'],
  outputs: ['Y', 'Z'],
  attrs: { delimiter: { kind: 'string', default: '' }, maxsplit: { kind: 'int' } },
  infer(ctx) {
    const x = strType(inType(ctx, 0, 'X'), 'X');
    return [
      { dtype: 'string', ...(x.shape ? { shape: [...x.shape, freshDim('splits')] } : {}) },
      { dtype: 'int64', ...(x.shape ? { shape: [...x.shape] } : {}) },
    ];
  },
  run({ inputs: [x], attrs }) {
    const d = attrs.string('delimiter', '');
    const maxsplit = attrs.has('maxsplit') ? attrs.int('maxsplit') : Infinity;
    const rows = strings(x!).map((s) => splitOne(s, d === '' ? undefined : d, maxsplit));
    const width = rows.reduce((a, r) => Math.max(a, r.length), 0);
    const y = rows.flatMap((r) => [...r, ...new Array<string>(width - r.length).fill('')]);
    return [
      new Tensor('string', y, [...x!.dims, width]),
      Tensor.from(
        'int64',
        rows.map((r) => BigInt(r.length)),
        x!.dims,
      ),
    ];
  },
  onnx: { type: 'StringSplit', minOpset: 20 },
};

const regexFullMatch: OpDef = {
  name: 'nn.RegexFullMatch',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { pattern: { kind: 'string', required: true } },
  infer(ctx) {
    const x = strType(inType(ctx, 0, 'X'), 'X');
    compile(ctx.attrs.string('pattern'));
    return [{ dtype: 'bool', ...(x.shape ? { shape: [...x.shape] } : {}) }];
  },
  run({ inputs: [x], attrs }) {
    const re = compile(attrs.string('pattern'));
    return [
      Tensor.from(
        'bool',
        strings(x!).map((s) => (re.test(s) ? 1 : 0)),
        x!.dims,
      ),
    ];
  },
  onnx: { type: 'RegexFullMatch', minOpset: 20 },
};

/** The pattern anchored at both ends. ONNX names RE2 syntax; JavaScript's covers the common subset. */
function compile(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (e) {
    throw new Error(
      `pattern ${JSON.stringify(pattern)} is not a regular expression JavaScript can compile: ${(e as Error).message}`,
    );
  }
}

/** A locale JavaScript knows ('en_US' → 'en-US'); POSIX names like 'C' mean the default rules. */
function jsLocale(name: string): string | undefined {
  const tag = name.replace(/\..*$/, '').replace(/_/g, '-');
  if (!tag || tag === 'C' || tag === 'POSIX') return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

registerOps([stringNormalizer, stringConcat, stringSplit, regexFullMatch]);
