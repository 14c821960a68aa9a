// The 'wasm' backend: the WASM device behind the whole-graph runner (device-backend.ts), which
// cuts the graph into runs of supported nodes and runs the rest on the reference interpreter,
// recording each fallback. Cases found unsupported while planning (shapes, attributes) are
// added to the same record after the run that found them.

import type { Graph } from '../../ir/graph.js';
import { registerBackend, type Backend, type BackendOptions, type PreparedModel } from '../backend.js';
import { partition } from '../device-backend.js';
import type { CompiledUnit, DeviceTensor, Unit } from '../device.js';
import type { Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { evalNode } from '../../ops/evaluate.js';
import { runPipeline } from '../../passes/index.js';
import { WasmDevice } from './device.js';

export { WasmDevice } from './device.js';
export { setWasmBase } from './loader.js';
import './calibrate.js';

class WasmBackend implements Backend {
  readonly name = 'wasm';
  async prepare(graph: Graph, options: BackendOptions): Promise<PreparedModel> {
    // the kernel-level form (k.map with fused chains, k.matmul with epilogues, …): a no-op on a
    // graph that already went through KERNEL_PIPELINE
    runPipeline(graph, ['decompose-contrib-cpu', 'lower', 'fuse-elementwise', 'fuse-epilogue', 'dce']);
    const device = await WasmDevice.create({ threads: options.threads, onWarning: options.onWarning as ((m: string) => void) | undefined });
    const prepared = await prepareResident(graph, device, options);
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

/**
 * prepareOnDevice with one difference: constants are not unit inputs, so the device keeps them
 * in the form its kernels want (a weight that feeds packed GEMMs exists only packed).
 */
async function prepareResident(g: Graph, device: WasmDevice, options: BackendOptions): Promise<PreparedModel> {
  const { steps, fallbacks } = partition(g, device);
  const units = steps.map((s) => ('nodes' in s ? { ...s, inputs: s.inputs.filter((v) => !v.const) } : s));
  const compiled = new Map<Unit, CompiledUnit>();
  for (const u of units) if ('nodes' in u) compiled.set(u, await device.compile(u));
  return {
    fallbacks,
    async run(feeds: Tensor[]): Promise<Tensor[]> {
      const onDevice = new Map<Value, DeviceTensor>();
      const onCpu = new Map<Value, Tensor>();
      g.inputs.forEach((v, i) => onCpu.set(v, feeds[i]!));
      const temps: DeviceTensor[] = [];
      const cpu = async (v: Value): Promise<Tensor> => {
        if (v.const) return v.const;
        let t = onCpu.get(v);
        if (!t) {
          const d = onDevice.get(v);
          if (!d) throw new Error(`value '${v.name}' was not computed`);
          t = await device.download(d);
          onCpu.set(v, t);
        }
        return t;
      };
      const dev = async (v: Value): Promise<DeviceTensor> => {
        let d = onDevice.get(v);
        if (!d) { d = await device.upload(await cpu(v)); onDevice.set(v, d); temps.push(d); }
        return d;
      };
      try {
        for (const u of units) {
          if ('nodes' in u) {
            const cu = compiled.get(u)!;
            const ins: DeviceTensor[] = [];
            for (const v of u.inputs) ins.push(await dev(v));
            const outs = await device.run(cu, ins);
            u.outputs.forEach((v, i) => { onDevice.set(v, outs[i]!); temps.push(outs[i]!); });
          } else {
            const ins: (Tensor | undefined)[] = [];
            for (const v of u.inputs) ins.push(v ? await cpu(v) : undefined);
            const outs = evalNode(u, ins);
            u.outputs.forEach((v, i) => { if (v) onCpu.set(v, outs[i]!); });
          }
        }
        const results: Tensor[] = [];
        for (const v of g.outputs) results.push(await cpu(v));
        return results;
      } finally {
        for (const t of temps) device.release(t);
      }
    },
    release: () => device.dispose(),
  };
}

registerBackend('wasm', async () => new WasmBackend());
