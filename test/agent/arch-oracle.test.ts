// Every decoder architecture against an independent oracle: the same seeded checkpoint (Hugging
// Face names, weights drawn at a trained model's scale: std 0.02, norms at 1) run by
// test/oracle/llm_oracle.py, a plain-PyTorch float64 implementation written from the models'
// definitions. Checked on the reference interpreter and on WASM: the prompt's logits (full graph
// and cached prefill) within 1e-3, the same 64 greedy tokens, and the logits before each of them.
// Covers Llama 3.x (llama3 rope scaling, tied embeddings), Mistral (sliding window), Qwen2 (q/k/v
// bias, yarn), Qwen3 (q/k norm, linear scaling), Gemma 2 (soft-capping, sliding window on
// alternate layers, embedding scaling, sandwich norms, GeGLU), Gemma 3 (q/k norm, local RoPE base,
// 1-in-N global layers) and Phi-3 (fused qkv and gate/up).

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import { LlmEngine } from '../../src/agent/llm/engine.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { buildFullGraph } from '../../src/agent/llm/model.js';
import type { Device } from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { WasmDevice } from '../../src/backends/wasm/index.js';
import { Tensor } from '../../src/ir/tensor.js';
import { ARCHS, maxDiff, oracleCase, PROMPT, SKIP, STEPS } from './arch-fixture.js';

describe('decoder architectures against a plain-PyTorch oracle (logits within 1e-3, 64 greedy tokens)', {
  skip: SKIP,
}, () => {
  const devices: [string, () => Promise<Device>][] = [
    ['reference', async () => new ReferenceDevice()],
    ['wasm', () => WasmDevice.create({ threads: 2 })],
  ];
  const made: Device[] = [];
  before(() => {});
  after(async () => {
    for (const d of made) await (d as { dispose?: () => Promise<void> }).dispose?.();
  });
  let seed = 100;
  for (const [name, cfg] of Object.entries(ARCHS)) {
    const s = seed++;
    it(name, async () => {
      const { dir, oracle } = oracleCase(cfg, s);
      const model = await loadLlm(dir);
      // the plain full-sequence graph on the reference interpreter
      const full = interpret(buildFullGraph(model.config, model.weights, PROMPT.length), [
        new Tensor('int64', BigInt64Array.from(PROMPT.map(BigInt)), [1, PROMPT.length]),
      ])[0]!;
      const dFull = maxDiff(full.data as Float32Array, oracle.prompt_logits.flat());
      assert.ok(dFull < 1e-3, `${name}: full graph logits differ by ${dFull}`);
      for (const [dname, make] of devices) {
        const dev = await make();
        made.push(dev);
        const engine = new LlmEngine(model, { prefill: dev, capacity: 128 });
        const r = await engine.generate(PROMPT, { maxTokens: STEPS, temperature: 0, ignoreEos: true }).collect();
        assert.deepEqual(r.tokens, oracle.greedy, `${name} on ${dname}: greedy tokens`);
        // teacher-forced along the oracle's path: the logits before each greedy token
        const rows = await engine.score([...PROMPT, ...oracle.greedy.slice(0, STEPS - 1)], PROMPT.length);
        let worst = 0;
        rows.forEach((row, i) => {
          worst = Math.max(worst, maxDiff(row, oracle.step_logits[i]!));
        });
        assert.ok(worst < 1e-3, `${name} on ${dname}: cached logits differ from the oracle's by up to ${worst}`);
        console.log(
          `# ${name} on ${dname}: full-graph logits ${dFull.toExponential(1)}, cached ${worst.toExponential(1)} from the oracle; ${STEPS} greedy tokens equal`,
        );
        engine.dispose();
      }
    });
  }
});
