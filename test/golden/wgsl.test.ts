// Golden WGSL: the programs a few variants per kernel family generate, compared with the committed
// snapshots in test/golden/wgsl/<family>.<variant>.wgsl, so a change to a template or a kernel
// file shows as a diff of the shader text. After an intended change, regenerate them with
//   SWITCHYARD_UPDATE_GOLDEN=1 node --test dist/test/golden/wgsl.test.js
// and review the diff.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/paths.js';
import { CASES, generate } from './wgsl-cases.js';

const DIR = join(REPO, 'test/golden/wgsl');
const UPDATE = process.env.SWITCHYARD_UPDATE_GOLDEN === '1';

test('every golden case has a snapshot and every snapshot a case', () => {
  if (UPDATE) mkdirSync(DIR, { recursive: true });
  const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.wgsl')) : [];
  if (UPDATE) return;
  assert.deepEqual(files.sort(), CASES.map((c) => `${c.name}.wgsl`).sort());
});

for (const c of CASES) {
  test(`golden WGSL ${c.name} (${c.op})`, () => {
    const code = generate(c);
    const file = join(DIR, `${c.name}.wgsl`);
    if (UPDATE) writeFileSync(file, code);
    assert.ok(existsSync(file), `no snapshot ${file}: run with SWITCHYARD_UPDATE_GOLDEN=1`);
    assert.equal(code, readFileSync(file, 'utf8'), `${c.name}: generated WGSL differs from the snapshot`);
  });
}

test('the cases cover several variants of at least ten kernel families', () => {
  const families = new Set(CASES.map((c) => c.name.split('.')[0]));
  assert.ok(families.size >= 10, [...families].join(', '));
});
