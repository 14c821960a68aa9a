#!/usr/bin/env node
// Generates the com.microsoft contrib-op suite in ONNX backend-test layout under test/data/contrib/:
// test_<name>/model.onnx + test_data_set_0/{input,output}_N.pb. Models are built with onnx-proto
// (scripts/contrib-suite/build.mjs) from the cases in scripts/contrib-suite/cases*.mjs; expected
// outputs come from onnxruntime-node (CPU). Where onnxruntime-node has no CPU kernel for the op
// (BiasAdd, BiasSplitGelu), the expected outputs come from onnxruntime-node running the same math
// written with default-domain ops (the case's `oracle` graph), and ort-results.json records that
// onnxruntime-node itself fails the case. Run: node scripts/gen-contrib-suite.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { model, onnx, tensor, tensorProto } from './contrib-suite/build.mjs';
import { activationCases } from './contrib-suite/cases-activation.mjs';
import { attentionCases } from './contrib-suite/cases-attention.mjs';
import { fusedCases } from './contrib-suite/cases-fused.mjs';
import { normCases } from './contrib-suite/cases-norm.mjs';
import { quantCases } from './contrib-suite/cases-quant.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(repo, 'test/data/contrib');
const cases = [...activationCases(), ...normCases(), ...quantCases(), ...attentionCases(), ...fusedCases()];
const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;

const toOrt = (t) => new ort.Tensor(t.type, t.data, t.dims);
const fromOrt = (t) =>
  tensor(t.type, [...t.dims], t.type === 'int64' ? Array.from(t.data, Number) : Array.from(t.data));

async function runOrt(bytes, feeds, outputNames) {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  // a session whose run failed is not released: onnxruntime-node 1.30 can crash releasing it
  const r = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])), outputNames);
  await s.release();
  return outputNames.map((n) => r[n]);
}

function tryInChild(bytes, feeds, outputNames) {
  const dir = mkdtempSync(join(tmpdir(), 'contrib-ort-'));
  writeFileSync(join(dir, 'model.onnx'), bytes);
  const enc = Object.fromEntries(
    Object.entries(feeds).map(([k, t]) => [k, { type: t.type, dims: t.dims, data: Array.from(t.data, String) }]),
  );
  writeFileSync(join(dir, 'feeds.json'), JSON.stringify({ feeds: enc, outputNames }));
  const r = spawnSync(
    process.execPath,
    [join(dirname(fileURLToPath(import.meta.url)), 'contrib-suite/ort-try.mjs'), dir],
    { encoding: 'utf8' },
  );
  rmSync(dir, { recursive: true, force: true });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return last === 'pass' ? 'pass' : (last || `exit ${r.status}`).slice(0, 200);
}

if (!filter) rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const results = {};
const names = new Set();
let written = 0;
for (const c of cases) {
  if (names.has(c.name)) throw new Error(`duplicate case ${c.name}`);
  names.add(c.name);
  if (filter && !filter.test(c.name)) continue;
  if (process.env.VERBOSE) console.error(`case ${c.name}`);
  const bytes = model(c);
  const outNames = Object.keys(c.outputs);
  let outs;
  if (c.oracle) {
    // onnxruntime-node 1.30 can crash after a failed run, so the op itself is tried in a child process
    const msg = tryInChild(bytes, c.inputs, outNames);
    if (msg === 'pass') throw new Error(`${c.name}: onnxruntime-node runs it now; drop its oracle`);
    results[c.name] = `onnxruntime-node: ${msg}`;
    outs = (await runOrt(model({ ...c.oracle, inputs: c.inputs, outputs: c.outputs }), c.inputs, outNames)).map(
      fromOrt,
    );
  } else
    try {
      outs = (await runOrt(bytes, c.inputs, outNames)).map((t) => {
        // ORT returns float16 as raw bits; keep them as they are
        if (t.type === 'float16')
          return {
            type: 'float16',
            dims: [...t.dims],
            data: new Uint16Array(t.data.buffer, t.data.byteOffset, t.data.length),
          };
        return fromOrt(t);
      });
      results[c.name] = 'pass';
    } catch (e) {
      console.error(
        `${c.name}: onnxruntime-node failed and the case has no oracle: ${String(e.message ?? e).split('\n')[0]}`,
      );
      process.exitCode = 1;
      break;
    }
  const dir = join(out, `test_${c.name}`);
  const ds = join(dir, 'test_data_set_0');
  mkdirSync(ds, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), bytes);
  Object.entries(c.inputs).forEach(([n, t], i) =>
    writeFileSync(join(ds, `input_${i}.pb`), onnx.TensorProto.encode(tensorProto(n, t)).finish()),
  );
  outs.forEach((t, i) =>
    writeFileSync(join(ds, `output_${i}.pb`), onnx.TensorProto.encode(tensorProto(outNames[i], t)).finish()),
  );
  written++;
}
if (!filter) {
  // one tolerance for the suite (the runner reads it from the root): float32 math in a different order
  writeFileSync(join(out, 'MANIFEST.json'), JSON.stringify({ tolerance: { rtol: 1e-3, atol: 1e-4 } }) + '\n');
  const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(out, 'ort-results.json'), JSON.stringify(sorted, null, 2) + '\n');
}
const ortPass = Object.values(results).filter((v) => v === 'pass').length;
console.log(`contrib suite: ${written} cases written to ${out}; onnxruntime-node passes ${ortPass}`);
