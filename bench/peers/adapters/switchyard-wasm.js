// Switchyard's WASM backend as an engine adapter (Node), run beside the peers:
//   node src/run.js --adapter adapters/switchyard-wasm.js --peers switchyard-wasm,ort-web-wasm-node,ort-node
// It loads the package built at the repository root (npm run build there first).
import fs from 'node:fs';
import { measure } from '../src/common/measure.js';
import { fingerprint, makeInputs } from '../src/common/workloads.js';

const root = new URL('../../../', import.meta.url);

export const adapter = {
  id: 'switchyard-wasm',
  label: 'Switchyard 0.1, WASM SIMD backend (AssemblyScript kernels, generated k.map code, worker_threads)',
  runtime: 'node',
  device: 'cpu-wasm',
  variants: [
    { id: 't1', threads: 1 },
    { id: 't2', threads: 2 },
  ],
  supports: () => true,
  async run(spec, variant, ctx) {
    const sy = await import(new URL('dist/src/index.js', root).href);
    const model = new Uint8Array(fs.readFileSync(ctx.modelPath(spec.id)));
    const inputs = makeInputs(spec);
    const feeds = Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [k, new sy.Tensor('float32', v.data, v.shape)]),
    );
    let fallbacks;
    const res = await measure(
      {
        create: () => sy.Session.create(model, { backend: 'wasm', threads: variant.threads }),
        infer: async (s) => {
          const o = await s.run(feeds);
          fallbacks = s.fallbacks;
          return spec.outputs.map((n) => o[n].data);
        },
        summarize: (outs) => spec.outputs.map((n, i) => fingerprint(n, outs[i])),
        dispose: (s) => s.release(),
      },
      ctx.policy,
    );
    return { ...res, info: { threads: variant.threads, fallbacks: Object.fromEntries(fallbacks ?? []) } };
  },
};
