// Every decoder architecture of arch-oracle.test.ts on the WebGPU backend (Dawn on SwiftShader
// here, a real GPU where there is one) against the same plain-PyTorch float64 oracle.
//   f32 kernels: the prompt's logits and the logits before each greedy token within 1e-3, the same
//     64 greedy tokens.
//   f16 kernels (where the adapter has shader-f16): the logits within 2e-2 (f16 keeps ~3 digits,
//     summed over a few hundred products); greedy tokens equal up to the first step where the
//     oracle's two best logits are closer than that tolerance (beyond it f16 may rightly pick the
//     other one). No adapter here has shader-f16 (SwiftShader, llvmpipe): that branch ran nowhere yet.

import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import '../../src/index.js';
import { LlmEngine } from '../../src/agent/llm/engine.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { adapterOrSkip } from '../helpers/webgpu.js';
import { ARCHS, maxDiff, oracleCase, PROMPT, SKIP, STEPS } from './arch-fixture.js';

const ADAPTER = process.env.SWITCHYARD_ORACLE_ADAPTER ?? 'swiftshader';

/** Greedy steps the oracle decides by more than `tol` (its best logit ahead of the second by tol). */
function decidedSteps(stepLogits: number[][], tol: number): number {
  for (let i = 0; i < stepLogits.length; i++) {
    const row = [...stepLogits[i]!].sort((a, b) => b - a);
    if (row[0]! - row[1]! < tol) return i;
  }
  return stepLogits.length;
}

describe('decoder architectures on WebGPU against the PyTorch oracle', { skip: SKIP }, () => {
  const devices: WebGpuDevice[] = [];
  after(async () => {
    for (const d of devices) await (d as { dispose?: () => Promise<void> }).dispose?.();
  });
  const precisions = [
    ['f32', 1e-3],
    ['f16', 2e-2],
  ] as const;
  let seed = 100; // the same checkpoints as arch-oracle.test.ts
  for (const [name, cfg] of Object.entries(ARCHS)) {
    const s = seed++;
    it(name, async (t) => {
      if (!(await adapterOrSkip(t, ADAPTER))) return;
      const { dir, oracle } = oracleCase(cfg, s);
      const model = await loadLlm(dir);
      for (const [precision, tol] of precisions) {
        const dev = await WebGpuDevice.create({ adapter: ADAPTER, precision });
        devices.push(dev);
        if (precision === 'f16' && !dev.f16) {
          console.log(`# ${name}: the ${ADAPTER} adapter has no shader-f16; f16 not run`);
          continue;
        }
        const engine = new LlmEngine(model, { prefill: dev, capacity: 128 });
        const r = await engine.generate(PROMPT, { maxTokens: STEPS, temperature: 0, ignoreEos: true }).collect();
        const rows = await engine.score([...PROMPT, ...oracle.greedy.slice(0, STEPS - 1)], PROMPT.length);
        let worst = 0;
        rows.forEach((row, i) => {
          worst = Math.max(worst, maxDiff(row, oracle.step_logits[i]!));
        });
        assert.ok(worst < tol, `${name} on webgpu ${precision}: logits differ from the oracle's by up to ${worst}`);
        const decided = precision === 'f32' ? STEPS : decidedSteps(oracle.step_logits, tol);
        assert.ok(decided > 0, `${name}: the oracle's first step is closer than ${tol}; nothing to compare in f16`);
        assert.deepEqual(
          r.tokens.slice(0, decided),
          oracle.greedy.slice(0, decided),
          `${name} on webgpu ${precision}: the first ${decided} greedy tokens`,
        );
        console.log(
          `# ${name} on webgpu ${precision} (${ADAPTER}): logits ${worst.toExponential(1)} from the oracle; ` +
            `${decided} of ${STEPS} greedy tokens checked, equal`,
        );
        engine.dispose();
      }
    });
  }
});
