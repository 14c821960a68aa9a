// backend: 'wasm' — the graph on the WASM SIMD device (worker threads over one shared memory);
// nodes without a WASM kernel run on the host's reference interpreter, recorded. Cases found
// unsupported while a unit was planned for its shapes (an attribute, a layout) join the same
// record after the run that found them.
import { WasmDevice } from '../../backends/wasm/index.js';
import type { Backend } from '../backend.js';
import { prepareOnDevice } from '../single-device.js';
import { KERNEL_PASSES } from './kernel-passes.js';

export const wasmBackend: Backend = {
  name: 'wasm',
  passes: () => [...KERNEL_PASSES],
  async prepare(graph, options) {
    const device = await WasmDevice.create({ threads: options.threads, onWarning: options.onWarning as ((m: string) => void) | undefined });
    const prepared = await prepareOnDevice(graph, device, options);
    const merge = () => { for (const [k, v] of device.planFallbacks) if (!prepared.fallbacks!.has(k)) prepared.fallbacks!.set(k, v); };
    return Object.assign(prepared, {
      async run(feeds: Parameters<typeof prepared.run>[0]) {
        try { return (await prepared.executor.run(feeds)).outputs; } finally { merge(); }
      },
    });
  },
};
