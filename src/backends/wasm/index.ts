// The WASM SIMD device and what loads its kernels; the 'wasm' backend (a single-device plan over it)
// is src/runtime/backends/wasm.ts.

export { WasmDevice } from './device.js';
export { setWasmBase } from './loader.js';

import './calibrate.js';
