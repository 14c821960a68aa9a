// The library entry bundles for the browser with no Node built-ins (file access is Node-only and
// loaded through a dynamic import that bundlers leave alone).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { REPO } from '../helpers/paths.js';

test('src/index bundles for the browser without node: modules', async () => {
  const res = await build({
    entryPoints: [join(REPO, 'dist/src/index.js')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    metafile: true,
  });
  const inputs = Object.keys(res.metafile!.inputs);
  assert.ok(inputs.some((p) => p.includes('ir/graph.js')));
  assert.deepEqual(
    inputs.filter((p) => p.startsWith('node:') || p.includes('node-io') || p.includes('/cli/')),
    [],
  );
  assert.ok(res.outputFiles[0]!.text.length > 10_000);
});
