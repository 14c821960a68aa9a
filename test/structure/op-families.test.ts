// The op family is the unit of change: every op's kernels sit in files named after the src/ops
// file that registers it, its lowering lives in its own definition (the lowering pass names no
// op), and docs/op-families.md lists, per op, the files that implement it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lookupOp } from '../../src/ir/op-def.js';
import { REPO } from '../helpers/paths.js';
import { fileMatches, filesFor, misplaced, renderDoc, scanOpFamilies } from './op-family-scan.js';

// the scan registers the ops itself (file by file, to see which file registers which)
const scan = await scanOpFamilies(REPO);
const byOp = new Map(scan.ops.map((p) => [p.op, p]));

test('the scan sees every registered op and the kernels of the main families', () => {
  assert.ok(scan.ops.length > 200, `${scan.ops.length} ops`);
  for (const op of ['nn.MatMul', 'nn.Conv', 'nn.Softmax', 'nn.Add', 'nn.Gather', 'k.map', 'k.matmul']) {
    const files = filesFor(scan, op);
    const webgpu = files.filter((f) => f.startsWith('src/backends/webgpu/kernels/'));
    const wasm = files.filter((f) => f.startsWith('src/backends/wasm/ops/'));
    assert.ok(webgpu.length && wasm.length, `${op} (with its k.* ops): ${files.join(', ')}`);
  }
  assert.deepEqual(byOp.get('nn.MatMul')!.lowersTo, ['k.matmul']);
  assert.ok(byOp.get('nn.Softmax')!.shaders.includes('shaders/softmax.wgsl'));
  assert.ok(byOp.get('nn.CumSum')!.wasmModules.includes('wasm/cumsum.ts'));
});

test('family file naming: <family> and <family>-<variant> count, other names do not', () => {
  assert.ok(fileMatches('matmul', 'matmul'));
  assert.ok(fileMatches('conv-transpose', 'conv'));
  assert.ok(fileMatches('elementwise', 'elementwise-unary'));
  assert.ok(fileMatches('normalization', 'kernel/normalization'));
  assert.ok(!fileMatches('layout', 'shape'));
  assert.ok(!fileMatches('matmul', 'attention'));
  assert.ok(!fileMatches('conv', 'pool'));
});

test("no op's pieces sit outside its family's files", () => {
  assert.deepEqual(misplaced(scan), []);
});

test('lowering hooks declare what they produce, and those k.* ops exist', () => {
  for (const p of scan.ops) {
    const def = lookupOp(p.op)!;
    if (def.lower) assert.ok(p.lowersTo.length, `${p.op} has a lower hook but no lowersTo`);
    for (const k of p.lowersTo) assert.ok(lookupOp(k), `${p.op} lowers to unknown ${k}`);
  }
  const lowered = scan.ops.filter((p) => p.lowersTo.length).length;
  assert.ok(lowered >= 60, `${lowered} ops lower to kernel ops`);
});

test('changing MatMul, Conv or Softmax touches only their family files', () => {
  for (const [op, family] of [
    ['nn.MatMul', 'matmul'],
    ['nn.Conv', 'conv'],
    ['nn.Softmax', 'softmax'],
  ] as const) {
    const files = filesFor(scan, op);
    // kernels other families share (GEMM for convolutions, fills, the copy template) are borrowed
    const shared = (f: string) => {
      const name = f
        .split('/')
        .pop()!
        .replace(/\.(ts|wgsl)$/, '');
      if (f.startsWith('shaders/')) return (scan.shaderUsers.get(name)?.size ?? 0) > 1;
      return [...scan.wasmFnUsers].some(([fn, users]) => fn.startsWith(`${name}.`) && users.size > 1);
    };
    const foreign = files.filter((f) => {
      const base = f
        .split('/')
        .pop()!
        .replace(/\.(ts|wgsl)$/, '');
      return !fileMatches(base, family) && !(f.startsWith('wasm/') || f.startsWith('shaders/') ? shared(f) : false);
    });
    assert.deepEqual(foreign, [], `${op}: ${files.join(', ')}`);
    assert.ok(files.length <= 10, `${op}: ${files.length} files`);
  }
});

test('docs/op-families.md is up to date (node scripts/op-families.js)', () => {
  assert.equal(readFileSync(join(REPO, 'docs/op-families.md'), 'utf8'), renderDoc(scan));
});
