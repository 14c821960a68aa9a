// Golden WGSL: the programs a few variants per kernel family generate, compared with the committed
// snapshots in test/golden/wgsl/<family>.<variant>.wgsl, so a change to a template or a kernel
// file shows as a diff of the shader text. After an intended change, regenerate them with
//   SWITCHYARD_UPDATE_GOLDEN=1 node --test dist/test/golden/wgsl.test.js
// and review the diff.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';
import { variantDiff, variantOf } from '../../src/backends/webgpu/wgsl.js';
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

const byName = (name: string) => CASES.find((c) => c.name === name)!;

test('programs declare their variant: the cache key says what differs, sizes in uniforms do not', () => {
  const add = byName('elementwise-binary.add-vec4');
  const a = generate(add);
  const b = generate({ ...add, ins: [add.ins[0], { dtype: 'float32', dims: [8] }] });
  assert.equal(variantOf(a)?.template, 'elementwise/vec4');
  assert.deepEqual(variantDiff(a, b), ['variant: elementwise/vec4 -> elementwise/scalar']);
  const bc = byName('elementwise-binary.add-broadcast');
  const bigger = generate({
    ...bc,
    ins: [
      { dtype: 'float32', dims: [7, 5] },
      { dtype: 'float32', dims: [5] },
    ],
    outs: [{ dtype: 'float32', dims: [7, 5] }],
  });
  // the sizes moved into the uniform buffer: same declaration, same program text
  assert.deepEqual(variantDiff(generate(bc), bigger), []);
  const tiled = generate(byName('matmul.tiled'));
  const direct = generate(byName('matmul.direct-cpu'));
  assert.deepEqual(variantDiff(tiled, direct).slice(0, 1), ['variant: matmul/tiled -> matmul/direct']);
  const mm = byName('matmul.tiled');
  const wider = generate({
    ...mm,
    ins: [mm.ins[0], { dtype: 'float32', dims: [32, 48] }],
    outs: [{ dtype: 'float32', dims: [64, 48] }],
  });
  // M, N and K are uniforms; the tile (shrunk for narrow matrices) is compile-time
  assert.deepEqual(variantDiff(tiled, wider), ['tile: 4x1 -> 4x4']);
  const taller = generate({
    ...mm,
    ins: [
      { dtype: 'float32', dims: [256, 40] },
      { dtype: 'float32', dims: [40, 16] },
    ],
    outs: [{ dtype: 'float32', dims: [256, 16] }],
  });
  assert.deepEqual(variantDiff(tiled, taller), []);
  // the same text once the case's comment line (grid, parameter values) is left out
  const program = (code: string) => code.split('\n').slice(2).join('\n');
  assert.equal(program(taller), program(tiled));
  const batched = generate({
    ...mm,
    ins: [{ dtype: 'float32', dims: [2, 64, 32] }, mm.ins[1]],
    outs: [{ dtype: 'float32', dims: [2, 64, 16] }],
  });
  const cache = new PipelineCache(undefined as never);
  assert.deepEqual(cache.explain(tiled), ['first program of variant matmul/tiled']);
  cache.sources.set('k', { code: tiled, label: 'nn.MatMul' });
  const why = cache.explain(batched);
  assert.ok(why.includes('batch: 0 -> 1') && why.includes('aBatch: none -> strided'), why.join('; '));
});

test('every golden program declares family/variant in its first line', () => {
  for (const c of CASES) {
    const v = variantOf(generate(c));
    assert.ok(v, `${c.name}: no variant declaration`);
    assert.match(v.template, /^[\w-]+\/[\w-]+$/, c.name);
    assert.ok(Object.keys(v.fields).length > 0, `${c.name}: a variant without key fields`);
  }
});
