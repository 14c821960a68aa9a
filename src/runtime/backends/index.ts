// The named single-device backends ('reference', 'wasm', 'webgpu'), each a placed plan over one
// device and the host for the one executor; 'auto' and 'remote' register beside them. The device
// modules load here (they register their calibrators, which 'auto' needs for devices it discovers).
import '../../backends/wasm/index.js';
import '../../backends/webgpu/shared-device.js';
import { registerBackend } from '../backend.js';
import { referenceBackend } from './reference.js';

registerBackend('reference', async () => referenceBackend);
registerBackend('wasm', async () => (await import('./wasm.js')).wasmBackend);
registerBackend('webgpu', async () => (await import('./webgpu.js')).webgpuBackend);
