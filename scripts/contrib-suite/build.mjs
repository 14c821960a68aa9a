// Model and tensor builders for the contrib-op suite generator (scripts/gen-contrib-suite.mjs):
// ONNX protobuf through onnx-proto, seeded random data.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
const T = onnx.TensorProto.DataType;
export const DT = {
  float32: T.FLOAT,
  float16: T.FLOAT16,
  int32: T.INT32,
  int64: T.INT64,
  uint8: T.UINT8,
  bool: T.BOOL,
};

// mulberry32 (src/util/rng.ts, built by `npm run build`), seeded per case so the suite is reproducible
export { mulberry32 as rng } from '../../dist/src/util/rng.js';

const numel = (dims) => dims.reduce((a, d) => a * d, 1);

function f32ToF16(v) {
  const u = new Uint32Array(new Float32Array([v]).buffer)[0];
  const s = (u >>> 16) & 0x8000,
    e = ((u >>> 23) & 0xff) - 127 + 15;
  let m = u & 0x7fffff;
  if (e >= 31) return s | 0x7c00;
  const round = (r, rem, half) => (rem > half || (rem === half && r & 1) ? r + 1 : r);
  if (e <= 0) {
    if (e < -10) return s;
    m |= 0x800000;
    const shift = 14 - e;
    return s | round(m >> shift, m & ((1 << shift) - 1), 1 << (shift - 1));
  }
  return s | round((e << 10) | (m >> 13), m & 0x1fff, 0x1000);
}

/** A tensor value { type, dims, data } where data is a typed array of the type's storage. */
export function tensor(type, dims, values) {
  const n = numel(dims);
  let data;
  if (type === 'float32') data = Float32Array.from(values);
  else if (type === 'float16') data = Uint16Array.from(values, (v) => f32ToF16(v));
  else if (type === 'int32') data = Int32Array.from(values);
  else if (type === 'int64') data = BigInt64Array.from(values, (v) => BigInt(v));
  else if (type === 'uint8' || type === 'bool') data = Uint8Array.from(values);
  else throw new Error(`type ${type}`);
  if (data.length !== n) throw new Error(`tensor ${type}[${dims}] needs ${n} values, got ${data.length}`);
  return { type, dims, data };
}

/** Uniform floats in [lo, hi). */
export function randn(r, type, dims, lo = -1, hi = 1) {
  return tensor(
    type,
    dims,
    Array.from({ length: numel(dims) }, () => lo + (hi - lo) * r()),
  );
}
export function randint(r, type, dims, lo, hi) {
  return tensor(
    type,
    dims,
    Array.from({ length: numel(dims) }, () => lo + Math.floor((hi - lo) * r())),
  );
}

export function tensorProto(name, t) {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return onnx.TensorProto.create({ name, dataType: DT[t.type], dims: t.dims, rawData: Uint8Array.from(bytes) });
}

function valueInfo(name, type, dims) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: DT[type],
        shape: dims ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  });
}

function attrProto(name, v) {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v))
    return v.every(Number.isInteger) && !v.isFloat
      ? { name, type: A.INTS, ints: v }
      : { name, type: A.FLOATS, floats: v };
  if (v && typeof v === 'object' && 'floats' in v) return { name, type: A.FLOATS, floats: v.floats };
  if (v && typeof v === 'object' && 'float' in v) return { name, type: A.FLOAT, f: v.float };
  return Number.isInteger(v) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
}

/** An attribute that must be written as a float even when integral. */
export const F = (v) => ({ float: v });
export const FS = (v) => ({ floats: v });

/**
 * One model: `nodes` as [op, inputs, outputs, attrs, domain]; `inputs` fed at run time and `inits`
 * baked into the model, both { name: tensor }; `outputs` names with { name: [type, dims?] }.
 */
export function model({ nodes, inputs, inits = {}, outputs, opset = 21 }) {
  const graph = onnx.GraphProto.create({
    name: 'contrib',
    node: nodes.map(([op, ins, outs, attrs = {}, domain = 'com.microsoft'], i) =>
      onnx.NodeProto.create({
        name: `n${i}`,
        opType: op,
        domain,
        input: ins,
        output: outs,
        attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
      }),
    ),
    input: Object.entries(inputs).map(([n, t]) => valueInfo(n, t.type, t.dims)),
    initializer: Object.entries(inits).map(([n, t]) => tensorProto(n, t)),
    output: Object.entries(outputs).map(([n, [type, dims]]) => valueInfo(n, type, dims)),
  });
  const m = onnx.ModelProto.create({
    irVersion: 10,
    producerName: 'switchyard-contrib-suite',
    opsetImport: [
      { domain: '', version: opset },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph,
  });
  return onnx.ModelProto.encode(m).finish();
}
