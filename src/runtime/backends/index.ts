// The named single-device backends ('reference', 'wasm', 'webgpu'), each a placed plan over one
// device and the host for the one executor; 'auto' and 'remote' register beside them. Device code
// is imported when a backend is first used, so a page that runs WASM never loads WebGPU's.
import { registerBackend } from '../backend.js';
import { referenceBackend } from './reference.js';

registerBackend('reference', async () => referenceBackend);
registerBackend('wasm', async () => (await import('./wasm.js')).wasmBackend);
registerBackend('webgpu', async () => (await import('./webgpu.js')).webgpuBackend);
