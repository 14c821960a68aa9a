// The `switchyard` command as a user runs it: help, run (with --out read back by onnxruntime),
// inspect, compile, conformance (with and without MANIFEST, --json, --expect) and bad input.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { ortRun, writeTestCase } from '../helpers/ort.js';
import { CLI } from '../helpers/paths.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'sy-cli-'));

function tinyModel(): Uint8Array {
  const g = new GraphBuilder('tiny', 17);
  const x = g.input('x', 'float32', ['b', 3]);
  const s = g.op('Softplus', [x]);
  const h = g.op('HardSigmoid', [s], { alpha: 0.3, beta: 0.1 });
  g.output(h, 'y');
  g.output(g.op('Cast', [g.op('Greater', [x, g.scalar(0)])], { to: 6 }), 'pos');
  return exportOnnx(g.build());
}

test('--help lists the commands', () => {
  const r = cli('--help');
  assert.equal(r.code, 0);
  for (const c of ['run', 'inspect', 'compile', 'conformance', 'bench']) assert.match(r.out, new RegExp(`\\b${c}\\b`));
});

test('run --out writes TensorProto files that onnxruntime reads back identically', async () => {
  const model = join(tmp, 'tiny.onnx');
  writeFileSync(model, tinyModel());
  const out = join(tmp, 'out');
  const r = cli('run', model, '--out', out, '--dim', 'b=4', '--json');
  assert.equal(r.code, 0, r.err);
  const printed = JSON.parse(r.out) as { outputs: { name: string; dims: number[]; data: number[] }[] };
  assert.deepEqual(readdirSync(out).sort(), ['output_0.pb', 'output_1.pb']);
  for (const [i, o] of printed.outputs.entries()) {
    const pb = new Uint8Array(readFileSync(join(out, `output_${i}.pb`)));
    // Second, independent reading: splice the file's bytes verbatim into a model as an
    // initializer (GraphProto field 5) and let onnxruntime's C++ protobuf parser decode it.
    const decodedByOrt = await ortReadTensorBytes(pb, o.name);
    assert.deepEqual(decodedByOrt.dims, o.dims);
    assert.deepEqual(decodedByOrt.toNumbers(), o.data);
  }
});

/** Wrap TensorProto bytes (unparsed) as the initializer of an Identity model and run it in ORT. */
async function ortReadTensorBytes(pb: Uint8Array, name: string): Promise<Tensor> {
  const meta = onnx.TensorProto.decode(pb); // only for the type in the output's declaration
  const graphBytes = onnx.GraphProto.encode({
    name: 'read',
    node: [{ opType: 'Identity', input: [name], output: ['out'] }],
    output: [{ name: 'out', type: { tensorType: { elemType: meta.dataType } } }],
  }).finish();
  const varint = (n: number) => {
    const b: number[] = [];
    while (n > 127) {
      b.push((n & 127) | 128);
      n >>>= 7;
    }
    b.push(n);
    return b;
  };
  const graph = new Uint8Array([...graphBytes, 0x2a, ...varint(pb.length), ...pb]); // field 5, wire type 2
  const modelHead = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }] }).finish();
  const model = new Uint8Array([...modelHead, 0x3a, ...varint(graph.length), ...graph]); // field 7
  return (await ortRun(model, {})).out!;
}

test('inspect and compile print opsets, histogram and the IR after each pass', () => {
  const model = join(tmp, 'tiny2.onnx');
  writeFileSync(model, tinyModel());
  const i = cli('inspect', model);
  assert.equal(i.code, 0, i.err);
  assert.match(i.out, /opsets\s+ai.onnx 18/);
  assert.match(i.out, /nn.Softplus\s+1/);
  assert.match(i.out, /graph @"tiny"/);
  const c = cli('compile', model, '--print-after', 'all');
  assert.equal(c.code, 0, c.err);
  for (const p of ['shape-inference', 'constant-folding', 'dce'])
    assert.match(c.out, new RegExp(`// ----- after ${p} -----`));
  const bad = cli('compile', model, '--print-after', 'nonsense');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /unknown pass 'nonsense'/);
});

test('conformance runs folders without a MANIFEST, prints JSON, and gates on expectations', async () => {
  const suite = join(tmp, 'suite');
  const bytes = tinyModel();
  const x = Tensor.from('float32', [-1, 0, 2, 3, -4, 5], [2, 3]);
  const g = new GraphBuilder();
  void g;
  const { importOnnx } = await import('../../src/frontend/onnx/import.js');
  const [y, pos] = interpret(importOnnx(bytes), [x]);
  writeTestCase(
    suite,
    'test_tiny_ok',
    bytes,
    [['x', x]],
    [
      ['y', y!],
      ['pos', pos!],
    ],
  );
  const wrong = new Tensor(
    'float32',
    (y!.data as Float32Array).map((v) => v + 0.5),
    y!.dims,
  );
  writeTestCase(
    suite,
    'test_tiny_wrong',
    bytes,
    [['x', x]],
    [
      ['y', wrong],
      ['pos', pos!],
    ],
  );
  mkdirSync(join(suite, 'test_broken'), { recursive: true });
  writeFileSync(join(suite, 'test_broken', 'model.onnx'), bytes.subarray(0, 20));
  mkdirSync(join(suite, 'test_broken', 'test_data_set_0'));

  const t = cli('conformance', suite);
  assert.equal(t.code, 1);
  assert.match(t.out, /FAIL test_tiny_wrong: test_data_set_0 output #0 'y': 6 of 6 values differ/);
  assert.match(t.out, /ERROR test_broken: .*no output_N.pb files/);
  assert.match(t.out.trim().split('\n').pop()!, /^1 passed, 2 failed, 0 skipped$/);

  const j = cli('conformance', suite, '--json');
  const res = JSON.parse(j.out) as {
    backend: string;
    passed: number;
    failed: number;
    skipped: number;
    results: { name: string; status: string; message?: string; maxAbsErr?: number }[];
  };
  assert.equal(res.backend, 'reference');
  assert.deepEqual([res.passed, res.failed, res.skipped], [1, 2, 0]);
  assert.deepEqual(
    res.results.map((r) => [r.name, r.status]),
    [
      ['test_broken', 'error'],
      ['test_tiny_ok', 'pass'],
      ['test_tiny_wrong', 'fail'],
    ],
  );
  assert.ok(Math.abs(res.results[2]!.maxAbsErr! - 0.5) < 1e-6);

  const exp = join(tmp, 'exp.json');
  writeFileSync(
    exp,
    JSON.stringify({
      backend: 'reference',
      failures: { test_tiny_wrong: 'stored outputs are off by 0.5', test_broken: 'truncated model' },
    }),
  );
  assert.equal(cli('conformance', suite, '--expect', exp).code, 0);
  writeFileSync(
    exp,
    JSON.stringify({
      backend: 'reference',
      failures: { test_tiny_wrong: 'x', test_broken: 'y', test_tiny_ok: 'stale' },
    }),
  );
  const stale = cli('conformance', suite, '--expect', exp);
  assert.equal(stale.code, 1);
  assert.match(stale.out, /STALE test_tiny_ok/);
});

test('bad input exits non-zero with one line naming the problem, never a stack trace', () => {
  const cut = join(tmp, 'cut.onnx');
  writeFileSync(cut, tinyModel().subarray(0, 40));
  for (const [args, re] of [
    [['run', cut], /cut.onnx: not a valid ONNX model/],
    [['run', join(tmp, 'nope.onnx')], /nope.onnx: no such file/],
    [['inspect', cut], /not a valid ONNX model/],
    [['run', join(tmp, 'tiny2.onnx'), '--inputs', tmp], /found 0 input_N.pb files, the model has 1 inputs \(x\)/],
    [['run', join(tmp, 'tiny2.onnx'), '--backend', 'quantum'], /unknown backend 'quantum'/],
    [['conformance', join(tmp, 'missing-dir')], /missing-dir: not a folder/],
  ] as [string[], RegExp][]) {
    const r = cli(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.out}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
});

test('bench prints first-run and median/min/max', () => {
  const r = cli('bench', join(tmp, 'tiny2.onnx'), '--runs', '3', '--warmup', '1');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /backend\s+first run ms\s+create ms\s+median ms\s+min ms\s+max ms/);
  assert.match(r.out, /^reference\s+[\d.]+/m);
});
