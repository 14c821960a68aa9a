// Page side of switchyard-webgpu-browser: the same protocol as the peers (src/common/measure.js).
import { measure } from '/src/common/measure.js';
import { fingerprint, makeInputs } from '/src/common/workloads.js';

export async function run({ spec, modelUrl, policy }) {
  const sy = await import('/switchyard/switchyard.js');
  const resp = await fetch(modelUrl);
  if (!resp.ok) throw new Error(`fetch ${modelUrl}: HTTP ${resp.status}`);
  const model = new Uint8Array(await resp.arrayBuffer());
  const inputs = makeInputs(spec);
  const res = await measure(
    {
      create: () => sy.Session.create(model, { backend: 'webgpu' }),
      async infer(session) {
        const feeds = {};
        for (const [name, t] of Object.entries(inputs)) feeds[name] = new sy.Tensor('float32', t.data, t.shape);
        const out = await session.run(feeds);
        return spec.outputs.map((n) => out[n]);
      },
      summarize: (outs) => outs.map((t, i) => fingerprint(spec.outputs[i], t.data)),
      dispose: (session) => session.release(),
    },
    policy,
  );
  return { ...res, info: { engine: 'switchyard webgpu' } };
}
