// Data conversion at the edges of an agent graph: text, JSON, CSV and images into tensors (and
// token ids), and tensors back into JSON, CSV, text or PNG images. Errors name the row, column or
// element that does not fit.

import { decode as decodePng, encode as encodePng } from 'fast-png';
import type { DType } from '../../ir/dtype.js';
import { Tensor } from '../../ir/tensor.js';
import type { TextTokenizer } from '../llm/tokenizer.js';
import { type NodeKindDef, onHost, singlePlacement } from './kind.js';

export type Format = 'text' | 'json' | 'csv' | 'image' | 'tensor' | 'tokens';

export interface ConvertOptions {
  dtype?: DType;
  shape?: number[];
  header?: boolean;
  mean?: number[];
  std?: number[];
  tokenizer?: TextTokenizer;
}

/** RFC 4180 CSV: quoted fields with "" escapes, CRLF or LF lines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [],
    field = '',
    q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') q = false;
      else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (q) throw new Error('CSV ends inside a quoted field');
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

const csvCell = (v: unknown) => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

function shapeOf(v: unknown, path = 'value'): number[] {
  if (!Array.isArray(v)) return [];
  if (!v.length) return [0];
  const inner = shapeOf(v[0], `${path}[0]`);
  v.forEach((x, i) => {
    const s = shapeOf(x, `${path}[${i}]`);
    if (s.length !== inner.length || s.some((d, j) => d !== inner[j]))
      throw new Error(
        `${path}[${i}] has shape [${s.join(', ')}], but ${path}[0] has [${inner.join(', ')}]; ` +
          'a tensor must be rectangular',
      );
  });
  return [v.length, ...inner];
}

export function jsonToTensor(v: unknown, dtype: DType = 'float32', shape?: number[]): Tensor {
  const dims = shapeOf(v);
  const flat = (Array.isArray(v) ? (v as unknown[]).flat(Infinity) : [v]) as unknown[];
  flat.forEach((x, i) => {
    if (typeof x !== 'number' && typeof x !== 'boolean')
      throw new Error(`element ${i} is ${JSON.stringify(x)}, not a number`);
  });
  const t = Tensor.from(
    dtype,
    flat.map((x) => (dtype === 'int64' ? BigInt(Math.trunc(Number(x))) : Number(x))),
    dims,
  );
  return shape ? reshape(t, shape) : t;
}

function reshape(t: Tensor, shape: number[]): Tensor {
  const known = shape.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
  const dims = shape.map((d) => (d < 0 ? t.size / known : d));
  if (dims.reduce((a, b) => a * b, 1) !== t.size)
    throw new Error(`cannot reshape ${t.size} elements to [${shape.join(', ')}]`);
  return t.reshape(dims);
}

export function tensorToJson(t: Tensor): unknown {
  const vals = t.toNumbers();
  const build = (d: number, off: number): unknown => {
    if (d === t.dims.length) return vals[off];
    const inner = t.dims.slice(d + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: t.dims[d]! }, (_, i) => build(d + 1, off + i * inner));
  };
  return build(0, 0);
}

/** An image (PNG bytes) as float32 [1, C, H, W], scaled to 0..1 then (x - mean) / std. */
export function imageToTensor(bytes: Uint8Array, o: ConvertOptions = {}): Tensor {
  let img;
  try {
    img = decodePng(bytes);
  } catch (e) {
    throw new Error(`not a PNG image (${(e as Error).message})`);
  }
  const { width: W, height: H, channels: C0, depth } = img;
  const C = C0 === 4 ? 3 : C0 === 2 ? 1 : C0; // drop alpha
  const max = depth === 16 ? 65535 : 255;
  const out = new Float32Array(C * H * W);
  const src = img.data as ArrayLike<number>;
  for (let c = 0; c < C; c++) {
    const m = o.mean?.[c] ?? 0,
      s = o.std?.[c] ?? 1;
    for (let p = 0; p < H * W; p++) out[c * H * W + p] = (src[p * C0 + c]! / max - m) / s;
  }
  return new Tensor('float32', out, [1, C, H, W]);
}

/** float32 [1?, C, H, W] in 0..1 (after undoing mean/std) to PNG bytes. */
export function tensorToImage(t: Tensor, o: ConvertOptions = {}): Uint8Array {
  const d = t.dims.length === 4 ? t.dims.slice(1) : t.dims;
  if (d.length !== 3 || ![1, 3, 4].includes(d[0]!))
    throw new Error(
      `a tensor of shape [${t.dims.join(', ')}] is not an image ([1, C, H, W] or [C, H, W] with C = 1, 3 or 4)`,
    );
  const [C, H, W] = d as [number, number, number];
  const v = t.toNumbers();
  const data = new Uint8Array(C * H * W);
  for (let c = 0; c < C; c++) {
    const m = o.mean?.[c] ?? 0,
      s = o.std?.[c] ?? 1;
    for (let p = 0; p < H * W; p++)
      data[p * C + c] = Math.max(0, Math.min(255, Math.round((v[c * H * W + p]! * s + m) * 255)));
  }
  return encodePng({ width: W, height: H, data, channels: C, depth: 8 });
}

export function convert(value: unknown, from: Format, to: Format, o: ConvertOptions = {}): unknown {
  const asText = () => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object' && 'text' in value && typeof (value as { text: unknown }).text === 'string')
      return (value as { text: string }).text;
    throw new Error(`expected text, got ${value instanceof Uint8Array ? 'bytes' : typeof value}`);
  };
  const asTensor = () => {
    if (value instanceof Tensor) return value;
    if (value instanceof Float32Array) return new Tensor('float32', value, [value.length]);
    throw new Error(`expected a tensor, got ${typeof value}`);
  };
  if (from === to) return value;
  switch (`${from}->${to}`) {
    case 'text->json': {
      try {
        return JSON.parse(asText());
      } catch (e) {
        throw new Error(`text is not JSON: ${(e as Error).message}`);
      }
    }
    case 'json->text':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'json->tensor':
      return jsonToTensor(typeof value === 'string' ? JSON.parse(value) : value, o.dtype, o.shape);
    case 'text->tensor':
      return jsonToTensor(JSON.parse(asText()), o.dtype, o.shape);
    case 'tensor->json':
      return tensorToJson(asTensor());
    case 'tensor->text':
      return JSON.stringify(tensorToJson(asTensor()));
    case 'csv->tensor':
    case 'csv->json':
    case 'text->csv': {
      const rows = parseCsv(asText());
      const header = o.header !== false;
      const names = header ? (rows[0] ?? []) : (rows[0] ?? []).map((_, i) => `c${i}`);
      const body = header ? rows.slice(1) : rows;
      body.forEach((r, i) => {
        if (r.length !== names.length)
          throw new Error(
            `CSV row ${i + (header ? 2 : 1)} has ${r.length} fields, ` +
              `the ${header ? 'header' : 'first row'} has ${names.length}`,
          );
      });
      if (to === 'json' || to === 'csv')
        return body.map((r) =>
          Object.fromEntries(r.map((c, j) => [names[j]!, c !== '' && !Number.isNaN(Number(c)) ? Number(c) : c])),
        );
      const data = body.map((r, i) =>
        r.map((c, j) => {
          const n = Number(c);
          if (c.trim() === '' || Number.isNaN(n))
            throw new Error(
              `CSV row ${i + (header ? 2 : 1)}, column ${j + 1} ('${names[j]}') is ${JSON.stringify(c)}, not a number`,
            );
          return n;
        }),
      );
      return jsonToTensor(data, o.dtype, o.shape);
    }
    case 'tensor->csv': {
      const t = asTensor();
      const rows =
        t.dims.length === 1
          ? [t.toNumbers()]
          : (tensorToJson(t.reshape([t.dims[0]!, t.size / t.dims[0]!])) as number[][]);
      const head = o.header !== false ? [rows[0]!.map((_, j) => `c${j}`).join(',')] : [];
      return [...head, ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
    }
    case 'json->csv': {
      const rows = value as Record<string, unknown>[];
      if (!Array.isArray(rows)) throw new Error('JSON to CSV needs an array of objects or arrays');
      if (Array.isArray(rows[0]))
        return rows.map((r) => (r as unknown as unknown[]).map(csvCell).join(',')).join('\n') + '\n';
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      return [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c] ?? '')).join(','))].join('\n') + '\n';
    }
    case 'csv->text':
      return asText();
    case 'image->tensor': {
      if (!(value instanceof Uint8Array)) throw new Error('an image must be given as bytes (a PNG file)');
      return imageToTensor(value, o);
    }
    case 'tensor->image':
      return tensorToImage(asTensor(), o);
    case 'text->tokens': {
      if (!o.tokenizer) throw new Error('text to tokens needs a model with a tokenizer');
      const ids = o.tokenizer.encode(asText());
      return new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
    }
    case 'tokens->text': {
      if (!o.tokenizer) throw new Error('tokens to text needs a model with a tokenizer');
      const ids = value instanceof Tensor ? value.toNumbers() : (value as number[]);
      return o.tokenizer.decode(ids);
    }
  }
  throw new Error(`no conversion from ${from} to ${to}`);
}

/** The convert node kind: formats at the graph's edges, on the host (tokens need a model's tokenizer). */
export const convertKind: NodeKindDef<'convert'> = {
  kind: 'convert',
  models: (n) => (n.model ? [{ name: n.model, as: 'tokenizer' }] : []),
  referenceTokens: (_n, per) => per,
  check(id, n, c) {
    c.template(id, 'input', n.input);
    if (n.from === 'tokens' || n.to === 'tokens') {
      if (!n.model) c.problem(`node '${id}' (convert): tokens need 'model' (whose tokenizer to use)`);
      else c.need(id, 'models', n.model);
    }
  },
  lower(id, n, c) {
    const value = c.g.op(
      'agent.convert',
      c.ins.length ? c.ins.slice(0, 1) : [c.empty()],
      { from: n.from, to: n.to },
      id,
    );
    return { value, ops: [value.producer!] };
  },
  cost: (id, _n, ops, c) => c.hostTask(id, ops[0]!),
  pin: (n) => n.device,
  placementOf: singlePlacement,
  resolve: onHost,
  async execute(n, c) {
    const tokenizer = n.model ? c.res.tokenizers.get(n.model) : undefined;
    const { dtype, shape, header, mean, std } = n;
    try {
      return convert(c.value(n.input), n.from, n.to, { dtype, shape, header, mean, std, tokenizer });
    } catch (e) {
      throw new Error(`node '${c.id}' (convert ${n.from} -> ${n.to}): ${(e as Error).message}`);
    }
  },
};
