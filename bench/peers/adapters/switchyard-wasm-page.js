// Page side of the Switchyard browser adapter: same contract and timing as the peers' pages.
// It loads only what the WASM backend and the ONNX importer need (no bundler on this page; the
// importer's onnx-proto comes through the page's import map).
import { measure } from '/src/common/measure.js';
import { fingerprint, makeInputs } from '/src/common/workloads.js';

export async function run({ spec, variant, modelUrl, policy }) {
  await import('/sy/dist/src/ops/index.js');
  const { importOnnx } = await import('/sy/dist/src/frontend/onnx/import.js');
  const { runPipeline, DEFAULT_PIPELINE } = await import('/sy/dist/src/passes/index.js');
  const { Tensor } = await import('/sy/dist/src/ir/tensor.js');
  const { getBackend } = await import('/sy/dist/src/runtime/backend.js');
  await import('/sy/dist/src/runtime/backends/index.js');
  const model = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const inputs = makeInputs(spec);
  let fallbacks;
  let order;
  const res = await measure(
    {
      // what Session.create does: import, the default passes, prepare on the backend
      create: async () => {
        const g = importOnnx(model, { source: spec.id });
        runPipeline(g, DEFAULT_PIPELINE);
        order = { ins: g.inputs.map((v) => v.name), outs: g.outputs.map((v) => v.name) };
        return (await getBackend('wasm')).prepare(g, { threads: variant.threads });
      },
      infer: async (m) => {
        const outs = await m.run(order.ins.map((n) => new Tensor('float32', inputs[n].data, inputs[n].shape)));
        fallbacks = m.fallbacks;
        return spec.outputs.map((n) => outs[order.outs.indexOf(n)].data);
      },
      summarize: (outs) => spec.outputs.map((n, i) => fingerprint(n, outs[i])),
      dispose: (m) => m.release(),
    },
    policy,
  );
  return {
    ...res,
    info: {
      threads: variant.threads,
      isolated: globalThis.crossOriginIsolated,
      fallbacks: Object.fromEntries(fallbacks ?? []),
    },
  };
}
