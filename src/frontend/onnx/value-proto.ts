// ONNX SequenceProto and OptionalProto (the `.pb` files of test data whose values are sequences
// or optionals). onnx-proto's generated code has no classes for them, so their few fields are read
// with protobufjs's wire Reader (the library onnx-proto is generated for), and the tensors inside
// with onnx-proto's TensorProto decoder.

import protobuf from 'protobufjs/minimal.js';
import type { TensorType } from '../../ir/graph.js';
import { OptionalValue, type RunValue, TensorSequence } from '../../ir/values.js';
import { onnx } from './proto.js';
import { readTensorFile, tensorFromProto } from './tensor-proto.js';

// SequenceProto / OptionalProto field numbers (onnx.proto): the same for both messages
const F_ELEM_TYPE = 2,
  F_TENSOR = 3,
  F_SPARSE = 4,
  F_SEQUENCE = 5,
  F_MAP = 6,
  F_OPTIONAL = 7;
// elem_type values
const SEQ_ELEM = { 1: 'tensor', 2: 'sparse tensor', 3: 'sequence', 4: 'map', 5: 'optional' } as Record<number, string>;
const OPT_ELEM = { 1: 'tensor', 2: 'sequence', 3: 'map', 4: 'optional', 5: 'sparse tensor' } as Record<number, string>;

interface Fields {
  elemType: number;
  tensors: Uint8Array[];
  sequences: Uint8Array[];
  other?: number;
}

function fields(bytes: Uint8Array): Fields {
  const r = protobuf.Reader.create(bytes);
  const out: Fields = { elemType: 0, tensors: [], sequences: [] };
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === F_ELEM_TYPE) out.elemType = r.int32();
    else if (field === F_TENSOR) out.tensors.push(r.bytes());
    else if (field === F_SEQUENCE) out.sequences.push(r.bytes());
    else if (field === F_SPARSE || field === F_MAP || field === F_OPTIONAL) {
      out.other = field;
      r.skipType(tag & 7);
    } else r.skipType(tag & 7);
  }
  return out;
}

function unsupported(what: string, field: number, where: string): never {
  const name = field === F_SPARSE ? 'sparse tensors' : field === F_MAP ? 'maps' : 'optionals';
  throw new Error(`${where}: a ${what} of ${name} is not supported (tensors and sequences of tensors are)`);
}

export function readSequence(bytes: Uint8Array, type: TensorType, where: string): TensorSequence {
  const f = fields(bytes);
  if (f.other) unsupported('sequence', f.other, where);
  if (f.elemType !== 0 && f.elemType !== 1) {
    throw new Error(`${where}: a sequence of ${SEQ_ELEM[f.elemType] ?? f.elemType}s is not supported`);
  }
  const items = f.tensors.map((b, i) => tensorFromProto(onnx.TensorProto.decode(b), `${where} element #${i}`));
  return new TensorSequence(items[0]?.type ?? type.dtype, items);
}

export function readOptional(bytes: Uint8Array, type: TensorType, where: string): OptionalValue {
  const f = fields(bytes);
  if (f.other) unsupported('optional', f.other, where);
  const inner: TensorType = { ...type, wrap: type.wrap?.slice(1) };
  if (f.tensors.length) return new OptionalValue(inner, tensorFromProto(onnx.TensorProto.decode(f.tensors[0]!), where));
  if (f.sequences.length) return new OptionalValue(inner, readSequence(f.sequences[0]!, inner, where));
  if (f.elemType && f.elemType !== 1 && f.elemType !== 2) {
    throw new Error(`${where}: an optional ${OPT_ELEM[f.elemType] ?? f.elemType} is not supported`);
  }
  return new OptionalValue(inner);
}

/** A test-data file, read as the kind of value its graph input or output is. */
export function readValueFile(bytes: Uint8Array, type: TensorType | undefined, where: string): RunValue {
  const w = type?.wrap?.[0];
  if (w === 'sequence') return readSequence(bytes, type!, where);
  if (w === 'optional') return readOptional(bytes, type!, where);
  return readTensorFile(bytes, where);
}
