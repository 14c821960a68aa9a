// The WASM backend on onnx-node-ext (expectations: wasm-ext.expect.json): ops without a WASM
// kernel run on the reference path, recorded, so it passes at least what the reference passes.
import { test } from 'node:test';
import '../../src/index.js';
import { conformanceGate } from './gate.js';

test('wasm backend, 2 threads, on onnx-node-ext (expectations: wasm-ext.expect.json)', async () => {
  await conformanceGate('wasm', { threads: 2 }, 'wasm', 'ext');
});
