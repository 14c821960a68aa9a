#!/usr/bin/env node
// Rewrites an expectations file from a fresh run: every failing test of the suite, with the first
// line of its error as the reason. Use it after an op lands (then review the diff):
//   node scripts/update-expectations.js <backend> [core|ext] [--threads N] [--adapter A]
// Writes test/conformance/<backend>[-ext].expect.json. Needs `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [backend = 'reference', suite = 'core', ...rest] = process.argv.slice(2);
const folder = suite === 'ext' ? 'onnx-node-ext' : 'onnx-node';
const data =
  process.env.SWITCHYARD_CONFORMANCE_ROOT ??
  [resolve(repo, '../shared/conformance'), '/work/shared/conformance'].find((d) => existsSync(d));
const r = spawnSync(
  process.execPath,
  [join(repo, 'bin/switchyard.js'), 'conformance', join(data, folder), '--backend', backend, '--json', ...rest],
  { encoding: 'utf8', maxBuffer: 1 << 28 },
);
if (!r.stdout.trim().startsWith('{')) {
  console.error(r.stdout.slice(0, 2000), r.stderr.slice(0, 2000));
  process.exit(1);
}
const out = JSON.parse(r.stdout);
const failures = {};
for (const t of out.results) {
  if (t.status !== 'fail' && t.status !== 'error') continue;
  const reason = String(t.message ?? t.status)
    .split('\n')[0]
    .replace(/^\S*onnx-node(-ext)?\/\S+: /, '');
  failures[t.name] = reason.slice(0, 300) || t.status;
}
const name = `${backend}${suite === 'ext' ? '-ext' : ''}.expect.json`;
const sorted = Object.fromEntries(Object.entries(failures).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(join(repo, 'test/conformance', name), `${JSON.stringify({ backend, failures: sorted }, null, 2)}\n`);
console.log(`${name}: ${out.passed} passed, ${out.failed} failed, ${out.skipped} skipped`);
