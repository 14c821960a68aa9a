// The ONNX protobuf schema, decoded and encoded by protobufjs (through the onnx-proto package,
// generated from onnx.proto). Nothing here parses protobuf by hand.

import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** protobufjs gives int64 fields as Long objects (or numbers when small); read them exactly. */
export function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (v && typeof v === 'object' && 'toString' in v) {
    const l = v as { toString(): string; unsigned?: boolean };
    return BigInt(l.toString());
  }
  return 0n;
}

export function toNum(v: unknown): number {
  return typeof v === 'number' ? v : Number(toBig(v));
}

/** Decode with protobufjs, turning its low-level errors into one that names the file. */
export function decodeModel(bytes: Uint8Array, source: string): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(
      `${source}: not a valid ONNX model (protobuf decoding failed: ${(e as Error).message}); is the ` +
        `file truncated or not an .onnx file?`,
    );
  }
}
