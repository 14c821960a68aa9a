// Engine adapter: Switchyard's heterogeneous runtime (backend 'auto', what the demo page runs) in
// headless Chromium: the planner places each workload across the page's WebGPU adapter
// (SwiftShader) and the WASM device (Web Workers over shared memory, the page is cross-origin
// isolated) by the cost model, and the runtime executes the placed plan. The repository root is
// mounted under /sy/ (dist/browser: the bundle, its worker and kernels); `npm run bench:browser` builds it first.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserAdapter } from '../src/browser-driver.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export const adapter = browserAdapter({
  id: 'switchyard-auto-browser',
  label: "Switchyard 0.1, backend 'auto' (planned across WebGPU on SwiftShader and WASM workers), Chromium",
  device: 'auto: webgpu-swiftshader + cpu-wasm',
  variants: [{ id: 't2', threads: 2 }],
  supports: () => true,
  mounts: { '/sy/': path.resolve(here, '../../..'), '/sy-adapters/': here },
  pageModule: '/sy-adapters/switchyard-auto-page.js',
});
