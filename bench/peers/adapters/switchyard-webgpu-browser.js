// Engine adapter: Switchyard's WebGPU backend in headless Chromium (navigator.gpu on SwiftShader),
// from the browser bundle dist/browser/switchyard.js (npm run bench builds it).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserAdapter } from '../src/browser-driver.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '../../..');

export const adapter = browserAdapter({
  id: 'switchyard-webgpu-browser',
  label: 'Switchyard 0.1 WebGPU backend, Chromium (SwiftShader, CPU-emulated)',
  device: 'webgpu-swiftshader',
  variants: [{ id: 'swiftshader', threads: 2 }],
  mounts: { '/switchyard/': path.join(REPO, 'dist/browser'), '/switchyard-adapters/': here },
  pageModule: '/switchyard-adapters/switchyard-webgpu-page.js',
});
