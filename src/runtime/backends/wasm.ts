// backend: 'wasm' — the graph on the WASM SIMD device (worker threads over one shared memory);
// nodes without a WASM kernel run on the host's reference interpreter, recorded. Cases found
// unsupported while a unit was planned for its shapes (an attribute, a layout) join the same
// record after the run that found them.
import { WasmDevice } from '../../backends/wasm/index.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import type { RunValue } from '../../ir/values.js';
import { runPipeline } from '../../passes/index.js';
import type { Backend, PreparedModel } from '../backend.js';
import { prepareOnDevice } from '../single-device.js';
import { KERNEL_PASSES } from './kernel-passes.js';

export const wasmBackend: Backend = {
  name: 'wasm',
  passes: () => [...KERNEL_PASSES],
  async prepare(graph, options) {
    const device = await WasmDevice.create({ threads: options.threads, onWarning: options.onWarning as ((m: string) => void) | undefined });
    // control flow: the loop on the host, each body prepared for this same device as a graph of its own
    const prepareBody = async (body: Graph): Promise<PreparedModel> => {
      runPipeline(body, [...KERNEL_PASSES]);
      return prepareOnDevice(body, device, { ownsDevice: false, prepareBody });
    };
    const prepared = await prepareOnDevice(graph, device, { ...options, prepareBody });
    const run = prepared.runValues!.bind(prepared), runTensors = prepared.run.bind(prepared);
    const merge = () => { for (const [k, v] of device.planFallbacks) if (!prepared.fallbacks!.has(k)) prepared.fallbacks!.set(k, v); };
    return Object.assign(prepared, {
      async runValues(feeds: RunValue[]) {
        try { return await run(feeds); } finally { merge(); }
      },
      async run(feeds: Tensor[]) {
        try { return await runTensors(feeds); } finally { merge(); }
      },
    });
  },
};
