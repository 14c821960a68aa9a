// Tensor framing: the safetensors layout, so a body can be read by any safetensors reader.
//
//   [u64 little-endian N][N bytes of JSON header, space-padded][raw little-endian tensor data]
//   header: {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}}
//
// Offsets are relative to the data start and cover it without holes. Tensors are written widest
// dtype first and the header is padded to 8 bytes, so every tensor starts aligned and a reader
// holding the whole body can view the data without copying. Large bodies are produced as a list of
// parts (no concatenation) and read from a stream straight into each tensor's final array.

import { allocNumeric, allocTyped, type DType, dtypeBytes, type TypedArray } from '../ir/dtype.js';
import { Tensor } from '../ir/tensor.js';
import { ProtocolError } from './errors.js';

export const ST_DTYPE: Record<Exclude<DType, 'string'>, string> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint64: 'U64',
  uint32: 'U32',
  uint16: 'U16',
  uint8: 'U8',
  bool: 'BOOL',
  // narrow types: safetensors' names where it has one; the sub-byte types travel one per byte
  bfloat16: 'BF16',
  float8e4m3fn: 'F8_E4M3',
  float8e5m2: 'F8_E5M2',
  float8e8m0: 'F8_E8M0',
  float8e4m3fnuz: 'SY_F8_E4M3FNUZ',
  float8e5m2fnuz: 'SY_F8_E5M2FNUZ',
  int4: 'SY_I4_UNPACKED',
  uint4: 'SY_U4_UNPACKED',
  int2: 'SY_I2_UNPACKED',
  uint2: 'SY_U2_UNPACKED',
  float4e2m1: 'SY_F4_UNPACKED',
};
const FROM_ST = new Map<string, DType>(Object.entries(ST_DTYPE).map(([k, v]) => [v, k as DType]));

export interface FrameLimits {
  /** Largest JSON header, bytes. */
  maxHeaderBytes: number;
  /** Largest whole body (prefix + header + data), bytes. */
  maxBodyBytes: number;
  maxTensors: number;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = { maxHeaderBytes: 1 << 20, maxBodyBytes: 1 << 30, maxTensors: 4096 };

export interface Frame {
  tensors: Map<string, Tensor>;
  meta: Record<string, string>;
}

export interface EncodedFrame {
  /** Byte ranges to send in order (views of the tensors, not copies). */
  parts: Uint8Array[];
  byteLength: number;
}

const enc = new TextEncoder();

export function encodeFrame(
  tensors: Iterable<readonly [string, Tensor]>,
  meta: Record<string, string> = {},
): EncodedFrame {
  const list = [...tensors].sort((a, b) => dtypeBytes(b[1].type) - dtypeBytes(a[1].type));
  const header: Record<string, unknown> = {};
  if (Object.keys(meta).length) header.__metadata__ = meta;
  let off = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__' || name in header)
      throw new Error(`tensor name '${name}' is reserved or repeated in one frame`);
    const n = t.byteLength;
    if (t.type === 'string')
      throw new ProtocolError(
        'bad_request',
        `tensor '${name}' is a string tensor; the wire format carries numeric tensors only`,
      );
    header[name] = { dtype: ST_DTYPE[t.type], shape: [...t.dims], data_offsets: [off, off + n] };
    off += n;
  }
  let json = enc.encode(JSON.stringify(header));
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  if (pad) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const prefix = new Uint8Array(8 + json.length);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(json.length), true);
  prefix.set(json, 8);
  const parts: Uint8Array[] = [prefix];
  for (const [, t] of list) if (t.byteLength) parts.push(t.bytes());
  return { parts, byteLength: prefix.length + off };
}

/** One contiguous buffer (for small bodies and tests). */
export function frameBytes(f: EncodedFrame): Uint8Array {
  if (f.parts.length === 1) return f.parts[0]!;
  const out = new Uint8Array(f.byteLength);
  let o = 0;
  for (const p of f.parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export type ByteSource = Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

const bad = (msg: string) => new ProtocolError('bad_framing', `tensor frame: ${msg}`);

/** Pulls exact byte counts out of a chunked source, copying each byte once. */
class ByteReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private next: () => Promise<Uint8Array | undefined>;
  consumed = 0;
  constructor(
    src: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
    private limit: number,
  ) {
    if (typeof (src as ReadableStream).getReader === 'function') {
      const r = (src as ReadableStream<Uint8Array>).getReader();
      this.next = async () => {
        const x = await r.read();
        return x.done ? undefined : x.value;
      };
    } else {
      const it = (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      this.next = async () => {
        const x = await it.next();
        return x.done ? undefined : x.value;
      };
    }
  }

  private async pull(): Promise<boolean> {
    for (;;) {
      const c = await this.next();
      if (!c) return false;
      if (!c.length) continue;
      this.consumed += c.length;
      if (this.consumed > this.limit)
        throw new ProtocolError('payload_too_large', `body is larger than the limit of ${this.limit} bytes`);
      this.chunk = c;
      this.pos = 0;
      return true;
    }
  }

  async readInto(dst: Uint8Array, what: string): Promise<void> {
    let o = 0;
    while (o < dst.length) {
      if (this.pos >= this.chunk.length && !(await this.pull()))
        throw bad(`body ends after ${this.consumed} bytes, inside ${what} (${dst.length - o} bytes short)`);
      const n = Math.min(dst.length - o, this.chunk.length - this.pos);
      dst.set(this.chunk.subarray(this.pos, this.pos + n), o);
      this.pos += n;
      o += n;
    }
  }

  async atEnd(): Promise<boolean> {
    return this.pos >= this.chunk.length && !(await this.pull());
  }
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(
  bytes: Uint8Array,
  limits: FrameLimits,
): { entries: Entry[]; meta: Record<string, string>; dataBytes: number } {
  let h: unknown;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw bad(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!h || typeof h !== 'object' || Array.isArray(h)) throw bad('header must be a JSON object');
  const meta: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(h as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw bad(`__metadata__.${k} must be a string`);
        meta[k] = s;
      }
      continue;
    }
    if (entries.length >= limits.maxTensors) throw bad(`more than ${limits.maxTensors} tensors`);
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') throw bad(`tensor '${name}' must be an object`);
    const dtype = typeof e.dtype === 'string' ? FROM_ST.get(e.dtype) : undefined;
    if (!dtype)
      throw bad(`tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; supported: ${[...FROM_ST.keys()].join(', ')}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.length > 16 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(
        `tensor '${name}' shape must be at most 16 non-negative integers, got ${JSON.stringify(shape)}`.slice(0, 300),
      );
    }
    const off = e.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((x) => Number.isSafeInteger(x) && x >= 0) ||
      off[1] < off[0]
    ) {
      throw bad(`tensor '${name}' data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (!Number.isSafeInteger(count)) throw bad(`tensor '${name}' has too many elements`);
    }
    const need = count * dtypeBytes(dtype);
    if (off[1] - off[0] !== need)
      throw bad(
        `tensor '${name}' is ${dtype}[${(shape as number[]).join(',')}] (${need} bytes) but its ` +
          `data_offsets span ${off[1] - off[0]} bytes`,
      );
    entries.push({ name, dtype, shape: shape as number[], begin: off[0], end: off[1] });
  }
  entries.sort((a, b) => a.begin - b.begin);
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at)
      throw bad(
        `tensor '${e.name}' starts at ${e.begin}, expected ${at} (the data must be covered without holes or overlaps)`,
      );
    at = e.end;
  }
  return { entries, meta, dataBytes: at };
}

function typedOver(dtype: DType, buf: ArrayBufferLike, byteOffset: number, count: number): TypedArray | undefined {
  if (byteOffset % dtypeBytes(dtype)) return undefined;
  const proto = allocTyped(dtype, 0).constructor as new (b: ArrayBufferLike, o: number, n: number) => TypedArray;
  return new proto(buf, byteOffset, count);
}

/**
 * Read a frame. `declaredLength` (Content-Length) is checked against the header before any tensor
 * is allocated, so a lying or oversized body is refused without reading it.
 */
export async function decodeFrame(
  src: ByteSource,
  limits: Partial<FrameLimits> = {},
  declaredLength?: number,
): Promise<Frame> {
  const lim = { ...DEFAULT_FRAME_LIMITS, ...limits };
  if (declaredLength !== undefined && declaredLength > lim.maxBodyBytes) {
    throw new ProtocolError(
      'payload_too_large',
      `body of ${declaredLength} bytes is larger than the limit of ${lim.maxBodyBytes} bytes`,
    );
  }
  if (src instanceof Uint8Array) return decodeBytes(src, lim);
  const r = new ByteReader(src, lim.maxBodyBytes);
  const prefix = new Uint8Array(8);
  await r.readInto(prefix, 'the 8-byte header length');
  const n = new DataView(prefix.buffer).getBigUint64(0, true);
  if (n > BigInt(lim.maxHeaderBytes))
    throw bad(`header length ${n} is larger than the limit of ${lim.maxHeaderBytes} bytes`);
  const hb = new Uint8Array(Number(n));
  await r.readInto(hb, 'the JSON header');
  const { entries, meta, dataBytes } = parseHeader(hb, lim);
  const total = 8 + hb.length + dataBytes;
  if (total > lim.maxBodyBytes)
    throw new ProtocolError(
      'payload_too_large',
      `frame of ${total} bytes is larger than the limit of ${lim.maxBodyBytes} bytes`,
    );
  if (declaredLength !== undefined && declaredLength !== total)
    throw bad(`header describes ${total} bytes but the body is ${declaredLength} bytes`);
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const count = (e.end - e.begin) / dtypeBytes(e.dtype);
    const data = allocNumeric(e.dtype, count);
    await r.readInto(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), `tensor '${e.name}'`);
    tensors.set(e.name, new Tensor(e.dtype, data, e.shape));
  }
  if (!(await r.atEnd())) throw bad(`trailing bytes after the ${dataBytes} data bytes the header describes`);
  return { tensors, meta };
}

function decodeBytes(b: Uint8Array, lim: FrameLimits): Frame {
  if (b.length > lim.maxBodyBytes)
    throw new ProtocolError(
      'payload_too_large',
      `body of ${b.length} bytes is larger than the limit of ${lim.maxBodyBytes} bytes`,
    );
  if (b.length < 8) throw bad(`body is ${b.length} bytes, shorter than the 8-byte header length`);
  const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(lim.maxHeaderBytes))
    throw bad(`header length ${n} is larger than the limit of ${lim.maxHeaderBytes} bytes`);
  if (8 + Number(n) > b.length) throw bad(`header length ${n} runs past the end of the ${b.length}-byte body`);
  const { entries, meta, dataBytes } = parseHeader(b.subarray(8, 8 + Number(n)), lim);
  const start = 8 + Number(n);
  if (start + dataBytes !== b.length) {
    throw bad(
      start + dataBytes > b.length
        ? `body ends after ${b.length} bytes, the header describes ${start + dataBytes}`
        : `trailing bytes after the ${dataBytes} data bytes the header describes`,
    );
  }
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const count = (e.end - e.begin) / dtypeBytes(e.dtype);
    const off = b.byteOffset + start + e.begin;
    let data = typedOver(e.dtype, b.buffer, off, count);
    if (!data) {
      const fresh = allocNumeric(e.dtype, count);
      data = fresh;
      new Uint8Array(fresh.buffer).set(b.subarray(start + e.begin, start + e.end));
    }
    tensors.set(e.name, new Tensor(e.dtype, data, e.shape));
  }
  return { tensors, meta };
}
