// `switchyard devices` lists the adapters with features and limits; `--backend webgpu --adapter`
// runs a model on the chosen adapter.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, CONFORMANCE_DIR } from '../helpers/paths.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

test('switchyard devices --json lists SwiftShader and llvmpipe with limits', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const out = JSON.parse(
    execFileSync(process.execPath, [CLI, 'devices', '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  const ss = out.webgpu.find((a: { choice: string }) => a.choice === 'swiftshader');
  assert.ok(ss, JSON.stringify(out));
  assert.equal(ss.architecture, 'swiftshader');
  assert.ok(ss.limits.maxStorageBufferBindingSize > 0);
  const gl = out.webgpu.find((a: { choice: string }) => a.choice === 'llvmpipe');
  if (gl) assert.equal(gl.limits.maxStorageBufferBindingSize, 128 * 1024 * 1024);
});

test('switchyard run --backend webgpu --adapter llvmpipe', async (t) => {
  if (!(await adapterOrSkip(t, 'llvmpipe'))) return;
  const dir = join(CONFORMANCE_DIR, 'test_gemm_default_vector_bias');
  const out = JSON.parse(
    execFileSync(
      process.execPath,
      [
        CLI,
        'run',
        join(dir, 'model.onnx'),
        '--inputs',
        join(dir, 'test_data_set_0'),
        '--backend',
        'webgpu',
        '--adapter',
        'llvmpipe',
        '--json',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ),
  );
  assert.equal(out.backend, 'webgpu');
  assert.deepEqual(out.outputs[0].dims, [2, 4]);
});
