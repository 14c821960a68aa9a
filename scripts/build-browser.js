#!/usr/bin/env node
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Browser bundle of the library (dist/browser/switchyard.js, ESM) for the Chromium tests, the
// benchmark page and the demo. Node-only modules are behind dynamic imports with variable
// specifiers, which esbuild leaves alone.
import { build } from 'esbuild';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(repo, 'src/index.ts')],
  outfile: join(repo, 'dist/browser/switchyard.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
  // protobufjs probes for these with require() inside try blocks
  external: ['long', 'buffer', 'fs', 'path'],
  // the WASM backend loads its kernels from here (relative to the bundle) and starts its workers
  // from worker.js next to it (both below)
  define: { SWITCHYARD_WASM_DIR: '"./wasm/"' },
});
// WASM backend: the pool's worker script and the AssemblyScript kernels, beside the bundle
await build({
  entryPoints: [join(repo, 'src/backends/wasm/worker.ts')],
  outfile: join(repo, 'dist/browser/worker.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  logLevel: 'warning',
});
const kernels = join(repo, 'wasm/build');
if (existsSync(kernels)) {
  mkdirSync(join(repo, 'dist/browser/wasm'), { recursive: true });
  for (const f of readdirSync(kernels).filter((n) => n.endsWith('.wasm')))
    copyFileSync(join(kernels, f), join(repo, 'dist/browser/wasm', f));
}
