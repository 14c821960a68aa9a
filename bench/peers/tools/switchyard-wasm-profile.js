// Profiling adapter (not part of the suite): node src/run.js --no-peak --adapter tools/switchyard-wasm-profile.js --peers switchyard-wasm-profile --workloads gpt2-decode
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserAdapter } from '../src/browser-driver.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const adapter = browserAdapter({
  id: 'switchyard-wasm-profile',
  label: 'Switchyard WASM per-op profile in Chromium',
  device: 'cpu-wasm',
  variants: [
    { id: 't1', threads: 1 },
    { id: 't2', threads: 2 },
  ],
  supports: () => true,
  mounts: { '/sy/': path.resolve(here, '../../..'), '/sy-tools/': here },
  pageModule: '/sy-tools/switchyard-wasm-profile-page.js',
});
