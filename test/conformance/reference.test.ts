// The reference interpreter on the whole shared ONNX conformance set, as imported and after the
// kernel pipeline (lowering to k.* and fusion), which must not change any result.
import { test } from 'node:test';
import '../../src/index.js';
import { KERNEL_PIPELINE } from '../../src/passes/index.js';
import { conformanceGate } from './gate.js';

test('reference backend passes the shared conformance set (expectations: reference.expect.json)', async () => {
  await conformanceGate('reference');
});

test('lowering and fusion keep every conformance result (reference backend, kernel pipeline)', async () => {
  await conformanceGate('reference', { passes: KERNEL_PIPELINE });
});
