// The WASM backend on the whole shared ONNX conformance set, single- and multi-threaded
// (expectations: wasm.expect.json). Nodes without a WASM kernel run on the reference path, recorded.
import { test } from 'node:test';
import '../../src/index.js';
import { conformanceGate } from './gate.js';

test('wasm backend, 1 thread, passes the shared conformance set', async () => {
  await conformanceGate('wasm', { threads: 1 });
});

test('wasm backend, 2 threads, passes the shared conformance set', async () => {
  await conformanceGate('wasm', { threads: 2 });
});
