// The CLI on models as exporters write them: dims named like 'p2o.DynamicDimension.0' are set by
// that name (split on the last '='), a note on stderr names the dims left at their default, and
// inspect counts weights held in Constant nodes.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { parseDims } from '../../src/cli/random-inputs.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { CLI } from '../helpers/paths.js';

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), 'sy-cli-real-'));

function paddleLike(): string {
  const g = new GraphBuilder('paddle', 11);
  const x = g.input('x', 'float32', ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1']);
  const w = g.op('Constant', [], {
    value: Tensor.from(
      'float32',
      Array.from({ length: 12 }, (_, i) => i / 10),
      [4, 3],
    ),
  });
  const t = g.op('Transpose', [x], { perm: [0, 2, 1] });
  g.output(g.op('MatMul', [t, g.op('Transpose', [w], { perm: [1, 0] })]), 'y');
  const file = join(tmp, 'paddle.onnx');
  writeFileSync(file, exportOnnx(g.build()));
  return file;
}

test("--dim takes the name before the last =, in the model's own spelling or the IR form", () => {
  assert.deepEqual(parseDims(['p2o.DynamicDimension.0=2', 'a=b=3']), { 'p2o.DynamicDimension.0': 2, 'a=b': 3 });
  assert.throws(() => parseDims(['batch']), /expected name=size/);
  assert.throws(() => parseDims(['batch=x']), /expected name=size/);
  const model = paddleLike();
  const r = cli('run', model, '--dim', 'p2o.DynamicDimension.0=2', '--dim', 'p2o_DynamicDimension_1=5', '--json');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out).outputs[0].dims, [2, 5, 4]);
  assert.equal(r.err, '', 'no note when every dim is given');
  const typo = cli('run', model, '--dim', 'batch=2');
  assert.notEqual(typo.code, 0);
  assert.match(typo.err, /no such symbolic dim.*p2o_DynamicDimension_0/);
});

test('dims left out are named on stderr with their default and the flag that sets them', () => {
  const r = cli('run', paddleLike(), '--dim', 'p2o.DynamicDimension.1=3', '--json');
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    /p2o\.DynamicDimension\.0 were not given and take size 1; set them with --dim, e\.g\. --dim p2o\.DynamicDimension\.0=1/,
  );
  assert.deepEqual(JSON.parse(r.out).outputs[0].dims, [1, 3, 4]);
});

test('inspect counts parameters held in Constant nodes', () => {
  const r = cli('inspect', paddleLike());
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /parameters 12 in 1 constants/);
});

test('run --explain on wasm prints each reference-path op with its calls and share of the run', () => {
  const g = new GraphBuilder('fb', 17);
  const x = g.input('x', 'float32', [3, 4]);
  const idx = g.constant(Tensor.from('int64', [0n, 2n, 1n, 3n, 3n, 1n, 0n, 2n, 1n, 1n, 2n, 0n], [3, 4]), 'idx');
  g.output(g.op('Relu', [g.op('GatherElements', [g.op('Sigmoid', [x]), idx], { axis: 1 })]), 'y');
  const file = join(tmp, 'fallback.onnx');
  writeFileSync(file, exportOnnx(g.build()));
  const r = cli('run', file, '--backend', 'wasm', '--threads', '1', '--explain');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /fallbacks on the reference path: [\d.]+ of the [\d.]+ ms run/);
  assert.match(r.out, /nn\.GatherElements\s+1\s+[\d.]+\s+[\d.]+ %\s+no WASM kernel for GatherElements/);
  const clean = cli(
    'run',
    paddleLike(),
    '--backend',
    'wasm',
    '--threads',
    '1',
    '--explain',
    '--dim',
    'p2o.DynamicDimension.0=1',
    '--dim',
    'p2o.DynamicDimension.1=2',
  );
  assert.equal(clean.code, 0, clean.err);
  assert.match(clean.out, /fallbacks: none \(every op ran on a WASM kernel\)/);
});
