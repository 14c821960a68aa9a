// The bench:models zoo at CI size: three of its smaller torch exports (a bidirectional LSTM tagger,
// a BERT-style encoder fed int64 token ids, a Whisper-style Conv1d + transformer audio encoder),
// made on the fly by bench/models/export_torchvision.py at its seeded init, run on WASM at 2
// threads against torch's own output for the saved input, with every op on a WASM kernel (the bar
// `npm run bench:models` asserts for the whole zoo).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { REPO } from '../helpers/paths.js';

// the first python that has torch (a pyenv python3 on PATH may lack Debian's python3-torch)
const PYTHON = ['python3', '/usr/bin/python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' }).status === 0,
);
const SKIP = PYTHON
  ? false
  : 'python3 with torch, torchvision and onnx is not installed ' +
    '(apt-get install -y python3-torch python3-torchvision python3-onnx)';

const MODELS = ['lstm', 'bert_mini', 'whisper_encoder'];

let dir = '';
function exported(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'sy-zoo-'));
    const r = spawnSync(PYTHON!, [join(REPO, 'bench/models/export_torchvision.py'), dir, ...MODELS], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `export_torchvision.py failed:\n${r.stderr}`);
  }
  return dir;
}

function raw(file: string, dtype: 'float32' | 'int64', dims: number[]): Tensor {
  const b = readFileSync(file);
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return new Tensor(dtype, dtype === 'int64' ? new BigInt64Array(buf) : new Float32Array(buf), dims);
}

for (const name of MODELS) {
  test(`zoo ${name}: WASM (2 threads) matches torch's output with no op on the reference path`, {
    skip: SKIP,
  }, async () => {
    const base = join(exported(), name);
    const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
    const x = raw(`${base}.input.bin`, meta.dtype, meta.shape);
    const want = raw(`${base}.output.bin`, 'float32', meta.outputShape);
    const g = importOnnx(new Uint8Array(readFileSync(`${base}.onnx`)));
    const s = await Session.create(g, { backend: 'wasm', threads: 2 });
    try {
      const out = (await s.run({ [meta.input]: x }))[s.outputNames[0]!]!;
      assert.deepEqual([...out.dims], meta.outputShape);
      const got = out.data as Float32Array,
        ref = want.data as Float32Array;
      let maxDiff = 0,
        scale = 0;
      for (let i = 0; i < ref.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i]! - ref[i]!));
        scale = Math.max(scale, Math.abs(ref[i]!));
      }
      console.log(`${name}: max |wasm - torch| ${maxDiff.toExponential(2)} (torch's max |x| ${scale.toFixed(3)})`);
      assert.ok(scale > 0, `${name}: torch's output is all zero, the comparison would prove nothing`);
      assert.ok(maxDiff <= 1e-4 * Math.max(1, scale), `${name}: max |wasm - torch| ${maxDiff} over ${scale}`);
      assert.deepEqual([...s.fallbacks.entries()], [], `${name}: ops on the reference path`);
    } finally {
      await s.release();
    }
  });
}

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
