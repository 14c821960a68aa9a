// backend: 'wasm' — the graph on the WASM SIMD device (worker threads over one shared memory);
// nodes without a WASM kernel run on the host's reference interpreter, recorded. Cases found
// unsupported while a unit was planned for its shapes (an attribute, a layout) join the same
// record after the run that found them.
import { WasmDevice } from '../../backends/wasm/index.js';
import type { Graph } from '../../ir/graph.js';
import type { RunValue } from '../../ir/values.js';
import { DEFAULT_PIPELINE, runPipeline } from '../../passes/index.js';
import type { Backend, PreparedModel } from '../backend.js';
import { prepareOnDevice } from '../single-device.js';
import { KERNEL_PASSES } from './kernel-passes.js';

const WASM_PASSES = (g: Graph): string[] => [
  ...(g.constants().some((v) => v.const!.type === 'float16')
    ? ['widen-float16', 'shape-inference', 'constant-folding', 'dce']
    : []),
  // MatMulNBits stays 4-bit: WASM has a kernel that reads the packed codes
  ...KERNEL_PASSES.filter((p) => p !== 'dce').map((p) => (p === 'decompose-contrib' ? 'decompose-contrib-cpu' : p)),
  'fold-conv-scale',
  'dce',
];

export const wasmBackend: Backend = {
  name: 'wasm',
  // a model stored in float16 (its weights are) computes in float32 on the kernels, which take
  // float32; a float32 model's own casts through float16 keep their rounding. A folded
  // BatchNorm's scale moves into the conv weights, so the GEMM epilogue applies the rest.
  passes: (_o, graph) => [...WASM_PASSES(graph)],
  async prepare(graph, options) {
    const device = await WasmDevice.create({
      threads: options.threads,
      onWarning: options.onWarning as ((m: string) => void) | undefined,
    });
    // control flow: the loop on the host, each body prepared for this same device as a graph of its own
    // (the whole pipeline: a body's weights are often Constant nodes, which fold before Conv lowers)
    const prepareBody = async (body: Graph): Promise<PreparedModel> => {
      runPipeline(body, [...DEFAULT_PIPELINE, ...WASM_PASSES(body)]);
      return prepareOnDevice(body, device, { ownsDevice: false, prepareBody });
    };
    const prepared = await prepareOnDevice(graph, device, { ...options, prepareBody });
    const run = prepared.runValues!.bind(prepared);
    const hostUnits = new Map(
      prepared
        .placement!.placed.filter((p) => p.device === prepared.placement!.host)
        .map((p) => [p.id, p.unit.nodes[0]!.op]),
    );
    // what ran on the reference path, and how long, for `switchyard run --explain`
    const merge = () => {
      for (const [k, v] of device.planFallbacks) if (!prepared.fallbacks!.has(k)) prepared.fallbacks!.set(k, v);
      for (const u of prepared.executor.lastReport?.units ?? []) {
        const op = hostUnits.get(u.unit);
        if (op) device.chargeFallback(op, u.endMs - u.startMs);
      }
    };
    // prepared.run goes through runValues, so both merge once per run
    return Object.assign(prepared, {
      async runValues(feeds: RunValue[]) {
        try {
          return await run(feeds);
        } finally {
          merge();
        }
      },
    });
  },
};
