// Engine adapter: Switchyard's WebGPU backend in Node on the `webgpu` package (Dawn), on the two
// adapters a GPU-less machine has: SwiftShader (Vulkan) and Mesa llvmpipe (OpenGL ES,
// compatibility). On a machine with a GPU, the 'default' variant picks it (--peers switchyard-webgpu/default).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { measure } from '../src/common/measure.js';
import { fingerprint, makeInputs } from '../src/common/workloads.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const adapter = {
  id: 'switchyard-webgpu',
  label: 'Switchyard 0.1 WebGPU backend in Node (Dawn via the webgpu package)',
  runtime: 'node',
  device: 'webgpu-dawn',
  variants: [
    { id: 'swiftshader', threads: 2 },
    { id: 'llvmpipe', threads: 2 },
    // a real GPU through Dawn's native backend, where the machine has one
    ...(process.env.SWITCHYARD_BENCH_GPU ? [{ id: 'default', threads: 2 }] : []),
  ],
  supports: () => true,
  async run(spec, variant, ctx) {
    const sy = await import(pathToFileURL(path.join(REPO, 'dist/src/index.js')).href);
    const model = fs.readFileSync(ctx.modelPath(spec.id));
    const inputs = makeInputs(spec);
    let session;
    const res = await measure(
      {
        create: async () => {
          session = await sy.Session.create(new Uint8Array(model), { backend: 'webgpu', adapter: variant.id });
          return session;
        },
        async infer(session) {
          const feeds = {};
          for (const [name, t] of Object.entries(inputs)) feeds[name] = new sy.Tensor('float32', t.data, t.shape);
          const out = await session.run(feeds);
          return spec.outputs.map((n) => out[n]);
        },
        summarize: (outs) => outs.map((t, i) => fingerprint(spec.outputs[i], t.data)),
        dispose: (session) => session.release(),
      },
      ctx.policy,
    );
    return { ...res, info: { adapter: variant.id, fallbacks: Object.fromEntries(session?.fallbacks ?? []) } };
  },
};
