// The conformance runner reads each data file as the model declares the value: a sequence output's
// file is a SequenceProto.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelValueKinds, readDataSets } from '../../src/conformance/runner.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { TensorSequence } from '../../src/ir/values.js';

test('a data file standing for a sequence value is read as a SequenceProto, not misread as a TensorProto', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-runner-'));
  const f32 = { elemType: 1, shape: { dim: [{ dimValue: 2 }] } };
  const model = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 18 }],
    graph: {
      name: 'g',
      node: [{ opType: 'SequenceConstruct', input: ['x'], output: ['s'] }],
      input: [{ name: 'x', type: { tensorType: f32 } }],
      output: [{ name: 's', type: { sequenceType: { elemType: { tensorType: f32 } } } }],
    },
  }).finish();
  writeFileSync(join(dir, 'model.onnx'), model);
  mkdirSync(join(dir, 'test_data_set_0'));
  writeFileSync(
    join(dir, 'test_data_set_0', 'input_0.pb'),
    onnx.TensorProto.encode({ dims: [2], dataType: 1, floatData: [1, 2] }).finish(),
  );
  // a SequenceProto {name: 's', elem_type: 1, tensor_values: [...]} in raw protobuf: field 1 string, 2 varint
  writeFileSync(join(dir, 'test_data_set_0', 'output_0.pb'), Uint8Array.from([0x0a, 0x01, 0x73, 0x10, 0x01]));
  const kinds = modelValueKinds(join(dir, 'model.onnx'))!;
  assert.deepEqual(kinds.outputs, [{ name: 's', kind: 'sequence' }]);
  const [set] = readDataSets(dir, kinds);
  const out = set!.outputs[0]!.value;
  assert.ok(out instanceof TensorSequence, `read as ${String(out)}`);
  assert.equal(out.elemType, 'float32');
  assert.equal(out.length, 0);
});
