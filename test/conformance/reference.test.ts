// The reference interpreter on the whole shared ONNX conformance set.
import { test } from 'node:test';
import '../../src/index.js';
import { conformanceGate } from './gate.js';

test('reference backend passes the shared conformance set (expectations: reference.expect.json)', async () => {
  await conformanceGate('reference');
});
