// ONNX import: initializers in every storage form, external data, opset canonicalisation, and
// errors for bad models that name the file, the node and the tensor.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { readTensorFile } from '../../src/frontend/onnx/tensor-proto.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { printGraph } from '../../src/ir/printer.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';

type NodeSpec = { op: string; inputs: string[]; outputs: string[]; attrs?: object[]; name?: string };

/** A hand-written ModelProto, to exercise forms our exporter never writes. */
function model(opts: {
  opset: number;
  nodes: NodeSpec[];
  inputs: [string, number, number[]][];
  outputs: [string, number, (number | string)[]][];
  inits?: object[];
  irVersion?: number;
}): Uint8Array {
  const vi = ([name, elem, dims]: [string, number, (number | string)[]]) => ({
    name,
    type: {
      tensorType: {
        elemType: elem,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: opts.irVersion ?? 7,
      opsetImport: [{ domain: '', version: opts.opset }],
      graph: {
        name: 'g',
        node: opts.nodes.map((n) => ({
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          attribute: n.attrs ?? [],
          name: n.name ?? '',
        })),
        input: opts.inputs.map(vi),
        output: opts.outputs.map(vi),
        initializer: opts.inits ?? [],
      },
    }),
  ).finish();
}
const A = onnx.AttributeProto.AttributeType;
const FLOAT = 1,
  INT64 = 7,
  FLOAT16 = 10;

test('initializers in typed fields (float_data, int64_data, float16 in int32_data) decode', async () => {
  const m = model({
    opset: 13,
    nodes: [
      { op: 'Add', inputs: ['x', 'w'], outputs: ['y'] },
      { op: 'Reshape', inputs: ['y', 'shape'], outputs: ['z'] },
      { op: 'Identity', inputs: ['h'], outputs: ['hh'] },
    ],
    inputs: [['x', FLOAT, [2, 2]]],
    outputs: [
      ['z', FLOAT, [4]],
      ['hh', FLOAT16, [2]],
    ],
    inits: [
      { name: 'w', dataType: FLOAT, dims: [2, 2], floatData: [1, 2, 3, 4] },
      { name: 'shape', dataType: INT64, dims: [1], int64Data: [-1] },
      { name: 'h', dataType: FLOAT16, dims: [2], int32Data: [0x3c00, 0xc000] },
    ],
  });
  const s = await Session.create(m);
  const out = await s.run({ x: Tensor.from('float32', [10, 20, 30, 40], [2, 2]) });
  assert.deepEqual([...out.z!.data], [11, 22, 33, 44]);
  assert.deepEqual(out.hh!.toNumbers(), [1, -2]);
});

test('older opset forms are canonicalised: Clip-6 attributes, Squeeze-11 axes, Slice-1', async () => {
  const m = model({
    opset: 9,
    nodes: [
      {
        op: 'Clip',
        inputs: ['x'],
        outputs: ['c'],
        attrs: [
          { name: 'min', type: A.FLOAT, f: -1 },
          { name: 'max', type: A.FLOAT, f: 2 },
        ],
      },
      {
        op: 'Slice',
        inputs: ['c'],
        outputs: ['s'],
        attrs: [
          { name: 'starts', type: A.INTS, ints: [1] },
          { name: 'ends', type: A.INTS, ints: [1000] },
          { name: 'axes', type: A.INTS, ints: [1] },
        ],
      },
      { op: 'Squeeze', inputs: ['s'], outputs: ['y'], attrs: [{ name: 'axes', type: A.INTS, ints: [0] }] },
    ],
    inputs: [['x', FLOAT, [1, 4]]],
    outputs: [['y', FLOAT, [3]]],
  });
  const s = await Session.create(m);
  const out = await s.run({ x: Tensor.from('float32', [-5, 0.5, 5, -0.5], [1, 4]) });
  assert.deepEqual([...out.y!.data], [0.5, 2, -0.5]);
  assert.deepEqual(
    s.graph.nodes.map((n) => Object.keys(n.attrs)),
    [[], [], []],
  );
});

test('symbolic dims from dim_param carry through shape inference', () => {
  const m = model({
    opset: 17,
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    inputs: [['x', FLOAT, ['batch size', 3] as never]],
    outputs: [['y', FLOAT, ['batch size', 3]]],
  });
  const g = importOnnx(m);
  assert.deepEqual(g.outputs[0]!.type!.shape, ['batch_size', 3]);
});

test('external data is read beside the model, and refused from bytes or outside the folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-ext-'));
  const w = new Float32Array([1, 2, 3, 4]);
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(8), Buffer.from(w.buffer)]));
  const make = (location: string) =>
    model({
      opset: 17,
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [['x', FLOAT, [4]]],
      outputs: [['y', FLOAT, [4]]],
      inits: [
        {
          name: 'w',
          dataType: FLOAT,
          dims: [4],
          dataLocation: 1,
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: '8' },
            { key: 'length', value: '16' },
          ],
        },
      ],
    });
  writeFileSync(join(dir, 'model.onnx'), make('weights.bin'));
  const s = await Session.create(join(dir, 'model.onnx'));
  const out = await s.run({ x: Tensor.from('float32', [1, 1, 1, 1]) });
  assert.deepEqual([...out.y!.data], [2, 3, 4, 5]);
  await assert.rejects(
    Session.create(make('weights.bin')),
    /tensor 'w': data is stored in an external file \('weights.bin'\)/,
  );
  writeFileSync(join(dir, 'evil.onnx'), make('../../etc/passwd'));
  await assert.rejects(Session.create(join(dir, 'evil.onnx')), /outside the model's folder/);
  writeFileSync(join(dir, 'short.onnx'), make('missing.bin'));
  await assert.rejects(Session.create(join(dir, 'short.onnx')), /external data file 'missing.bin'/);
});

test('bad models get errors naming the file, node, tensor and expectation', async () => {
  const good = model({
    opset: 17,
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r1' }],
    inputs: [['x', FLOAT, [2]]],
    outputs: [['y', FLOAT, [2]]],
  });
  assert.throws(
    () => importOnnx(good.subarray(0, good.length - 7), { source: 'cut.onnx' }),
    /cut.onnx: not a valid ONNX model \(protobuf decoding failed/,
  );
  assert.throws(
    () => importOnnx(new TextEncoder().encode('hello world, not a model'), { source: 'text.onnx' }),
    /text.onnx: not a valid ONNX model|text.onnx: the model has no graph/,
  );
  const unknown = model({
    opset: 17,
    nodes: [{ op: 'Frobnicate', inputs: ['x'], outputs: ['y'], name: 'f1' }],
    inputs: [['x', FLOAT, [2]]],
    outputs: [['y', FLOAT, [2]]],
  });
  assert.throws(
    () => importOnnx(unknown, { source: 'u.onnx' }),
    /u.onnx: node 'f1' \(Frobnicate\): unknown op Frobnicate \(opset 17\)/,
  );
  const future = model({
    opset: 99,
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    inputs: [['x', FLOAT, [2]]],
    outputs: [['y', FLOAT, [2]]],
  });
  assert.throws(
    () => importOnnx(future, { source: 'f.onnx' }),
    /f.onnx: the model imports ai.onnx opset 99, newer than the newest Switchyard knows \(28\)/,
  );
  const dangling = model({
    opset: 17,
    nodes: [{ op: 'Add', inputs: ['x', 'nowhere'], outputs: ['y'], name: 'add' }],
    inputs: [['x', FLOAT, [2]]],
    outputs: [['y', FLOAT, [2]]],
  });
  assert.throws(
    () => importOnnx(dangling),
    /node 'add' \(Add\): input 'nowhere' is not a graph input, an initializer or the output of any node/,
  );
  const contradict = model({
    opset: 17,
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }],
    inputs: [['x', FLOAT, [2, 3]]],
    outputs: [['y', FLOAT, [3, 2]]],
  });
  assert.throws(
    () => importOnnx(contradict),
    /node 'r' \(Relu\): output 'y' is declared f32\[3,2\] but the op produces f32\[2,3\]/,
  );
  const badShape = model({
    opset: 17,
    nodes: [{ op: 'Add', inputs: ['x', 'z'], outputs: ['y'], name: 'add' }],
    inputs: [
      ['x', FLOAT, [2, 3]],
      ['z', FLOAT, [4]],
    ],
    outputs: [['y', FLOAT, [2, 3]]],
  });
  assert.throws(() => importOnnx(badShape), /node 'add' \(Add\): shapes \[2,3\] and \[4\] do not broadcast/);
  const badType = model({
    opset: 17,
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    inputs: [['x', 14, [2]]],
    outputs: [['y', 14, [2]]],
  });
  assert.throws(() => importOnnx(badType), /value '[xy]': unsupported data type COMPLEX64 \(code 14\)/);
  // strings are a type Switchyard has, but not one Relu takes
  const reluOfStrings = model({
    opset: 17,
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }],
    inputs: [['x', 8, [2]]],
    outputs: [['y', 8, [2]]],
  });
  assert.throws(() => importOnnx(reluOfStrings), /node 'r' \(Relu\): X has type str\[2\]/);
  const badRaw = model({
    opset: 17,
    nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
    inputs: [['x', FLOAT, [4]]],
    outputs: [['y', FLOAT, [4]]],
    inits: [{ name: 'w', dataType: FLOAT, dims: [4], rawData: new Uint8Array(12) }],
  });
  assert.throws(() => importOnnx(badRaw), /tensor 'w': raw_data has 12 bytes but float32\[4\] needs 16/);
});

test('feeds are checked: missing, unknown, wrong type, wrong shape, inconsistent symbols', async () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', ['n', 3]);
  const b = g.input('b', 'float32', ['n', 3]);
  g.output(g.add(a, b), 'y');
  const s = await Session.create(g.build());
  const t = (dims: number[], type: 'float32' | 'int32' = 'float32') => Tensor.zeros(type, dims);
  await assert.rejects(s.run({ a: t([2, 3]) }), /missing input 'b' \(f32\[n,3\]\)/);
  await assert.rejects(
    s.run({ a: t([2, 3]), b: t([2, 3]), c: t([1]) }),
    /unknown input 'c'; the model's inputs are 'a', 'b'/,
  );
  await assert.rejects(
    s.run({ a: t([2, 3], 'int32'), b: t([2, 3]) }),
    /input 'a' has type int32, the model expects f32\[n,3\]/,
  );
  await assert.rejects(
    s.run({ a: t([2, 4]), b: t([2, 3]) }),
    /input 'a' has shape \[2,4\], the model expects f32\[n,3\] \(dim 1 must be 3\)/,
  );
  await assert.rejects(
    s.run({ a: t([2, 3]), b: t([5, 3]) }),
    /input 'b' dim 0 \('n'\) is 5, but input 'a' already set 'n' = 2/,
  );
  const ok = await s.run({ a: t([2, 3]), b: t([2, 3]) });
  assert.deepEqual(ok.y!.dims, [2, 3]);
});

test('exported graphs import back to the same IR and the .pb reader reads our writer', () => {
  const g = new GraphBuilder('rt', 18);
  const x = g.input('x', 'float32', ['b', 4]);
  const y = g.op('Softplus', [g.op('Clip', [x, g.scalar(-1), g.scalar(1)])]);
  g.output(y, 'y');
  const built = g.build();
  const back = importOnnx(exportOnnx(built));
  assert.equal(printGraph(back).replace(/@"[^"]*"/, ''), printGraph(built).replace(/@"[^"]*"/, ''));
  const t = Tensor.from('int16', [1, -2, 32767], [3]);
  const pb = onnx.TensorProto.encode({ dims: [3], dataType: 5, int32Data: [1, -2, 32767] }).finish();
  assert.deepEqual(readTensorFile(pb, 'x.pb').data, t.data);
  assert.throws(() => readTensorFile(new Uint8Array([0x0a, 0xff]), 'bad.pb'), /bad.pb: not a valid TensorProto/);
  const ext = onnx.TensorProto.encode({
    dims: [1],
    dataType: 1,
    dataLocation: 1,
    externalData: [{ key: 'location', value: 'x' }],
  }).finish();
  assert.throws(() => readTensorFile(ext, 'ext.pb'), /ext.pb: tensor: data is stored in an external file/);
  const c64 = onnx.TensorProto.encode({ dims: [1], dataType: 14, floatData: [0, 0] }).finish();
  assert.throws(() => readTensorFile(c64, 'c.pb'), /c.pb: tensor: unsupported data type COMPLEX64 \(code 14\)/);
});
