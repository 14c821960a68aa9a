// TensorProto <-> Tensor: raw_data and every typed field, external data through a loader, and
// the `.pb` files of the ONNX test data.

import { allocNumeric, type DType, dtypeBytes, dtypeFromOnnx, dtypeToOnnx } from '../../ir/dtype.js';
import { isSubByte, packedByteLength, packSubByte, unpackSubByte } from '../../ir/narrow.js';
import { numel } from '../../ir/shape.js';
import { Tensor } from '../../ir/tensor.js';
import { onnx, type TensorProto, toBig, toNum } from './proto.js';

/** Reads the bytes of an external-data file named by a tensor (relative to the model). */
export type ExternalLoader = (location: string, offset: number, length: number | undefined) => Uint8Array;

export function tensorFromProto(p: TensorProto, what: string, loadExternal?: ExternalLoader): Tensor {
  const name = p.name ? `tensor '${p.name}'` : what;
  let dtype: DType;
  try {
    dtype = dtypeFromOnnx(p.dataType ?? 0);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
  const dims = (p.dims ?? []).map(toNum);
  if (dims.some((d) => d < 0 || !Number.isSafeInteger(d))) throw new Error(`${name}: invalid dims [${dims.join(',')}]`);
  const n = numel(dims);
  if (dtype === 'string') {
    // string_data holds UTF-8 bytes per element
    const len = p.stringData?.length ?? 0;
    if (len !== n) throw new Error(`${name}: string_data has ${len} values but string[${dims.join(',')}] needs ${n}`);
    const dec = new TextDecoder();
    return new Tensor(
      'string',
      (p.stringData ?? []).map((b) => dec.decode(b)),
      dims,
    );
  }
  // a SequenceProto or OptionalProto read as a TensorProto decodes to nonsense dims like these
  if (!(n <= 2 ** 32))
    throw new Error(
      `${name}: dims [${dims.join(',')}] hold ${n} elements, more than any tensor can (is this file a TensorProto?)`,
    );
  const out = allocNumeric(dtype, n);

  let raw = p.rawData && p.rawData.length ? p.rawData : undefined;
  if (p.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const kv = new Map((p.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = kv.get('location');
    if (!location) throw new Error(`${name}: external data without a 'location' entry`);
    if (!loadExternal)
      throw new Error(
        `${name}: data is stored in an external file ('${location}'), which cannot be read here (give a ` +
          `model path, not bytes, so that side files can be found)`,
      );
    const offset = Number(kv.get('offset') ?? 0);
    const length = kv.has('length') ? Number(kv.get('length')) : undefined;
    raw = loadExternal(location, offset, length);
  }

  if (raw && isSubByte(dtype)) {
    // int4/uint4/float4e2m1 two and int2/uint2 four to a byte, first element in the low bits
    const need = packedByteLength(dtype, n);
    if (raw.length !== need) {
      throw new Error(`${name}: raw_data has ${raw.length} bytes but packed ${dtype}[${dims.join(',')}] needs ${need}`);
    }
    unpackSubByte(dtype, raw, n, out);
    return new Tensor(dtype, out, dims);
  }
  if (raw) {
    const need = n * dtypeBytes(dtype);
    if (raw.length !== need) {
      throw new Error(`${name}: raw_data has ${raw.length} bytes but ${dtype}[${dims.join(',')}] needs ${need}`);
    }
    // copy: raw_data is an unaligned view into the file
    new Uint8Array(out.buffer).set(raw);
    return new Tensor(dtype, out, dims);
  }

  const fill = (src: ArrayLike<unknown> | null | undefined, field: string, conv: (v: unknown) => number | bigint) => {
    const len = src?.length ?? 0;
    if (len !== n) throw new Error(`${name}: ${field} has ${len} values but ${dtype}[${dims.join(',')}] needs ${n}`);
    for (let i = 0; i < n; i++) (out as unknown as (number | bigint)[])[i] = conv(src![i]);
  };
  if (isSubByte(dtype) && (p.int32Data?.length ?? 0) === packedByteLength(dtype, n)) {
    // int32_data holds the packed bytes, one per value
    unpackSubByte(
      dtype,
      Uint8Array.from(p.int32Data!, (v) => toNum(v) & 0xff),
      n,
      out,
    );
    return new Tensor(dtype, out, dims);
  }
  switch (dtype) {
    case 'float32':
      fill(p.floatData, 'float_data', Number);
      break;
    case 'float64':
      fill(p.doubleData, 'double_data', Number);
      break;
    case 'int64':
      fill(p.int64Data, 'int64_data', (v) => BigInt.asIntN(64, toBig(v)));
      break;
    case 'uint64':
      fill(p.uint64Data, 'uint64_data', (v) => BigInt.asUintN(64, toBig(v)));
      break;
    case 'uint32':
      fill(p.uint64Data, 'uint64_data', (v) => Number(BigInt.asUintN(32, toBig(v))));
      break;
    // int8/16/32, uint8/16, bool and the (b)float16 / float8 bit patterns all live in int32_data
    default:
      fill(p.int32Data, 'int32_data', (v) => toNum(v));
      break;
  }
  return new Tensor(dtype, out, dims);
}

export function tensorToProto(t: Tensor, name = ''): TensorProto {
  if (t.type === 'string') {
    const enc = new TextEncoder();
    return onnx.TensorProto.create({
      name,
      dims: [...t.dims],
      dataType: 8,
      stringData: (t.data as string[]).map((s) => enc.encode(s)),
    });
  }
  return onnx.TensorProto.create({
    name,
    dims: [...t.dims],
    dataType: dtypeToOnnx(t.type),
    rawData: isSubByte(t.type) ? packSubByte(t.type, t.data) : new Uint8Array(t.bytes()),
  });
}

/** Read a serialized TensorProto (`input_0.pb`). */
export function readTensorFile(bytes: Uint8Array, source: string): Tensor {
  let p: TensorProto;
  try {
    p = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new Error(`${source}: not a valid TensorProto (${(e as Error).message})`);
  }
  try {
    return tensorFromProto(p, 'tensor');
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
}

export function writeTensorFile(t: Tensor, name = ''): Uint8Array {
  return onnx.TensorProto.encode(tensorToProto(t, name)).finish();
}
