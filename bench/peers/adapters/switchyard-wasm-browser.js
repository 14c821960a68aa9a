// Switchyard's WASM backend in headless Chromium (cross-origin isolated page, Web Workers for
// threads). The repository root is mounted under /sy/ (dist/, wasm/build/, node_modules/ for
// onnx-proto); build it first (npm run build at the root).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserAdapter } from '../src/browser-driver.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export const adapter = browserAdapter({
  id: 'switchyard-wasm-browser',
  label: 'Switchyard 0.1, WASM SIMD backend in Chromium (Web Workers over a shared memory)',
  device: 'cpu-wasm',
  variants: [
    { id: 't1', threads: 1 },
    { id: 't2', threads: 2 },
  ],
  supports: () => true,
  mounts: { '/sy/': path.resolve(here, '../../..'), '/sy-adapters/': here },
  pageModule: '/sy-adapters/switchyard-wasm-page.js',
});
