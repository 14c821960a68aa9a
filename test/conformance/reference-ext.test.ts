// The reference interpreter on onnx-node-ext, the rest of the ONNX node suite (control flow,
// sequences, low-precision types, losses, ...): every failure is listed with its reason in
// reference-ext.expect.json (regenerate with `node scripts/update-expectations.js reference ext`).
import { test } from 'node:test';
import '../../src/index.js';
import { conformanceGate } from './gate.js';

test('reference backend on onnx-node-ext (expectations: reference-ext.expect.json)', async () => {
  await conformanceGate('reference', {}, 'reference', 'ext');
});
