// Page side of the Switchyard browser adapter: same contract and timing as the peers' pages.
import { measure } from '/src/common/measure.js';
import { makeInputs, fingerprint } from '/src/common/workloads.js';

export async function run({ spec, variant, modelUrl, policy }) {
  const sy = await import('/sy/dist/src/index.js');
  const model = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const inputs = makeInputs(spec);
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, new sy.Tensor('float32', v.data, v.shape)]));
  let fallbacks;
  const res = await measure({
    create: () => sy.Session.create(model, { backend: 'wasm', threads: variant.threads }),
    infer: async (s) => { const o = await s.run(feeds); fallbacks = s.fallbacks; return spec.outputs.map((n) => o[n].data); },
    summarize: (outs) => spec.outputs.map((n, i) => fingerprint(n, outs[i])),
    dispose: (s) => s.release(),
  }, policy);
  return { ...res, info: { threads: variant.threads, isolated: globalThis.crossOriginIsolated, fallbacks: Object.fromEntries(fallbacks ?? []) } };
}
