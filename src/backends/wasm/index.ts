// The 'wasm' backend: the WASM device behind the whole-graph runner (device-backend.ts), which
// cuts the graph into runs of supported nodes and runs the rest on the reference interpreter,
// recording each fallback. Cases found unsupported while planning (shapes, attributes) are
// added to the same record after the run that found them.

import type { Graph } from '../../ir/graph.js';
import { registerBackend, type Backend, type BackendOptions, type PreparedModel } from '../backend.js';
import { prepareOnDevice } from '../device-backend.js';
import { runPipeline } from '../../passes/index.js';
import { WasmDevice } from './device.js';

export { WasmDevice } from './device.js';
export { setWasmBase } from './loader.js';

class WasmBackend implements Backend {
  readonly name = 'wasm';
  async prepare(graph: Graph, options: BackendOptions): Promise<PreparedModel> {
    // the kernel-level form (k.map with fused chains, k.matmul with epilogues, …): a no-op on a
    // graph that already went through KERNEL_PIPELINE
    runPipeline(graph, ['lower', 'fuse-elementwise', 'fuse-epilogue', 'dce']);
    const device = await WasmDevice.create({ threads: options.threads, onWarning: options.onWarning as ((m: string) => void) | undefined });
    const prepared = await prepareOnDevice(graph, device, options);
    const fallbacks = prepared.fallbacks ?? new Map<string, string>();
    const merge = () => { for (const [k, v] of device.planFallbacks) if (!fallbacks.has(k)) fallbacks.set(k, v); };
    return {
      fallbacks,
      device,
      async run(feeds) {
        try { return await prepared.run(feeds); } finally { merge(); }
      },
      release: () => prepared.release(),
    } as PreparedModel & { device: WasmDevice };
  }
}

registerBackend('wasm', async () => new WasmBackend());
