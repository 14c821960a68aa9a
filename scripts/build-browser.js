#!/usr/bin/env node
// Browser bundle of the library (dist/browser/switchyard.js, ESM) for the Chromium tests, the
// benchmark page and the demo. Node-only modules are behind dynamic imports with variable
// specifiers, which esbuild leaves alone.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
});
