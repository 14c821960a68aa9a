#!/usr/bin/env node
// Writes docs/op-families.md: for every registered op, the files that implement it (see
// test/structure/op-family-scan.ts). `--check` fails when the doc is out of date. Needs a build
// (`npx tsc -p tsconfig.json`) first.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const { renderDoc, scanOpFamilies, misplaced } = await import('../dist/test/structure/op-family-scan.js');
const scan = await scanOpFamilies(repo);
const doc = renderDoc(scan);
const out = join(repo, 'docs/op-families.md');
if (process.argv.includes('--check')) {
  if (!existsSync(out) || readFileSync(out, 'utf8') !== doc) {
    console.error(`${out} is out of date: run node scripts/op-families.js`);
    process.exit(1);
  }
} else writeFileSync(out, doc);
const bad = misplaced(scan);
if (bad.length) console.error(`pieces outside their family's files:\n  ${bad.join('\n  ')}`);
