#!/usr/bin/env node
// `npm test`: build, then run every compiled test file with node's test runner. Files run in
// parallel processes (one per core), so the slow suites (conformance per backend, browser tests)
// overlap. Extra arguments are passed as file filters: `npm test -- ir conformance`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const kernels = spawnSync(process.execPath, ['scripts/build-wasm.js'], { stdio: 'inherit' });
if (kernels.status !== 0) process.exit(kernels.status ?? 1);
const shaders = spawnSync(process.execPath, ['scripts/gen-shaders.js'], { stdio: 'inherit' });
if (shaders.status !== 0) process.exit(shaders.status ?? 1);
const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const files = [];
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.test.js')) files.push(p);
  }
};
walk('dist/test');
const filters = process.argv.slice(2);
const chosen = files.filter((f) => !filters.length || filters.some((x) => f.includes(x))).sort();
const concurrency = Math.max(2, availableParallelism());
// calibration results and kernel history go to a fresh folder, not the user's cache
const env = {
  ...process.env,
  SWITCHYARD_CACHE: process.env.SWITCHYARD_CACHE ?? mkdtempSync(join(tmpdir(), 'switchyard-test-cache-')),
};
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...chosen], {
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
