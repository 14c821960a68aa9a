#!/usr/bin/env node
// Builds the AssemblyScript kernels: every wasm/<family>.ts becomes wasm/build/<family>.wasm
// (WASM SIMD, shared imported memory, no runtime), and families that use relaxed SIMD also get
// <family>.relaxed.wasm, picked at load time where the engine validates it. Skips families whose
// outputs are newer than their sources (and wasm/lib/), so `npm test` stays quick.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'wasm');
const out = join(src, 'build');
mkdirSync(out, { recursive: true });
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const libTime = Math.max(
  ...readdirSync(join(src, 'lib')).map((f) => statSync(join(src, 'lib', f)).mtimeMs),
  statSync(fileURLToPath(import.meta.url)).mtimeMs,
);
const base = [
  '--enable',
  'simd',
  '--enable',
  'threads',
  '-O3',
  '--noAssert',
  '--runtime',
  'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--noExportMemory',
  '--use',
  'abort=',
];
let built = 0;
for (const f of readdirSync(src)
  .filter((n) => n.endsWith('.ts'))
  .sort()) {
  const name = f.slice(0, -3);
  const text = readFileSync(join(src, f), 'utf8');
  const variants = [['', []]];
  if (text.includes('ASC_FEATURE_RELAXED_SIMD')) variants.push(['.relaxed', ['--enable', 'relaxed-simd']]);
  for (const [suffix, extra] of variants) {
    const target = join(out, `${name}${suffix}.wasm`);
    const newest = Math.max(statSync(join(src, f)).mtimeMs, libTime);
    if (existsSync(target) && statSync(target).mtimeMs > newest) continue;
    process.stdout.write(`asc ${f}${suffix ? ` (${suffix.slice(1)})` : ''} -> wasm/build/${name}${suffix}.wasm\n`);
    const r = spawnSync(process.execPath, [asc, join(src, f), ...base, ...extra, '-o', target], {
      stdio: ['ignore', 'inherit', 'pipe'],
      encoding: 'utf8',
    });
    const errs = (r.stderr ?? '').split('\n').filter((l) => !/AS112|Exchange of 'v128'/.test(l));
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      process.exit(r.status ?? 1);
    }
    if (errs.some((l) => /ERROR/.test(l))) process.stderr.write(errs.join('\n'));
    built++;
  }
}
if (built === 0) process.stdout.write('wasm kernels up to date\n');
