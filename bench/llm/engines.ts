// The three engines of bench:llm behind one interface: load a checkpoint with a thread count, then
// generate greedily from a token prompt, timing the first token (TTFT: prefill + first sample) and
// the decode steps after it. Each runs in its own worker process (worker.ts), so its peak RSS is its
// own.
//   switchyard   the GGUF (or the f16 safetensors folder) on the WASM backend, LlmEngine
//   llama.cpp    the same GGUF through node-llama-cpp's prebuilt CPU binary
//   onnxruntime  onnxruntime-node on the same weights exported as ONNX step graphs (prefill and
//                decode with the KV cache as inputs and outputs, fed back each step)

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { configFromGguf, configFromHf } from '../../src/agent/llm/config.js';
import { LlmEngine, type LlmModel } from '../../src/agent/llm/engine.js';
import { buildStepGraph, stepInputNames } from '../../src/agent/llm/model.js';
import { argmax } from '../../src/agent/llm/sampling.js';
import { type Quantization, weightsFromGguf, weightsFromHf } from '../../src/agent/llm/weights.js';
import { WasmDevice } from '../../src/backends/wasm/device.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { readGguf } from '../../src/frontend/weights/gguf.js';
import { readSafetensors } from '../../src/frontend/weights/safetensors.js';

export interface RunResult {
  ttftMs: number;
  decodeTokS: number;
  tokens: number[];
}
export interface BenchEngine {
  run(prompt: number[], newTokens: number): Promise<RunResult>;
  dispose(): Promise<void>;
}
export interface EngineSpec {
  engine: 'switchyard' | 'llama.cpp' | 'onnxruntime';
  /** GGUF path, or the Hugging Face folder for f16 safetensors. */
  file: string;
  threads: number;
  capacity: number;
  promptLen: number;
  /** Switchyard: how GGUF blocks are kept ('dequantize' widens to f32). */
  quantization?: Quantization;
}

const now = () => performance.now();

function loadModel(spec: EngineSpec): LlmModel {
  if (spec.file.endsWith('.gguf')) {
    const file = readGguf(new Uint8Array(readFileSync(spec.file)), spec.file);
    const config = configFromGguf(file.metadata, spec.file);
    return {
      name: 'bench',
      config,
      weights: weightsFromGguf(file, config, spec.quantization),
      source: spec.file,
    };
  }
  const config = configFromHf(JSON.parse(readFileSync(join(spec.file, 'config.json'), 'utf8')));
  const st = readSafetensors(new Uint8Array(readFileSync(join(spec.file, 'model.safetensors'))), spec.file);
  return { name: 'bench', config, weights: weightsFromHf(st.tensors, config, spec.file), source: spec.file };
}

async function switchyard(spec: EngineSpec): Promise<BenchEngine> {
  const model = loadModel(spec);
  const device = await WasmDevice.create({ threads: spec.threads });
  const engine = new LlmEngine(model, { prefill: device, capacity: spec.capacity, buckets: [spec.promptLen] });
  return {
    async run(prompt, newTokens) {
      const r = await engine.generate(prompt, { maxTokens: newTokens, ignoreEos: true }).collect();
      return { ttftMs: r.ttftMs, decodeTokS: 1000 / r.tpotMs, tokens: r.tokens };
    },
    async dispose() {
      engine.dispose();
      await device.dispose();
    },
  };
}

async function llamaCpp(spec: EngineSpec): Promise<BenchEngine> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  // the prebuilt CPU binary from npm, never a download or a local build
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: spec.file, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: spec.capacity,
    batchSize: spec.promptLen,
    threads: spec.threads,
  });
  const seq = context.getSequence();
  return {
    async run(prompt, newTokens) {
      await seq.clearHistory();
      const t0 = now();
      let first = 0;
      const tokens: number[] = [];
      for await (const t of seq.evaluate(prompt as never[], { temperature: 0 })) {
        if (!tokens.length) first = now();
        tokens.push(t as number);
        if (tokens.length >= newTokens) break;
      }
      const end = now();
      return { ttftMs: first - t0, decodeTokS: ((tokens.length - 1) * 1000) / (end - first), tokens };
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

async function onnxruntime(spec: EngineSpec): Promise<BenchEngine> {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const { config: c, weights } = loadModel(spec);
  const opts = { graphOptimizationLevel: 'all' as const, intraOpNumThreads: spec.threads, interOpNumThreads: 1 };
  const C = spec.capacity;
  const pre = await ort.InferenceSession.create(
    exportOnnx(buildStepGraph(c, weights, { seq: spec.promptLen, capacity: C })),
    opts,
  );
  const decGraph = buildStepGraph(c, weights, { seq: 1, capacity: C, cacheWrite: 'scatter' });
  const dec = await ort.InferenceSession.create(exportOnnx(decGraph), opts);
  const names = stepInputNames(c).slice(6);
  type T = InstanceType<typeof ort.Tensor>;
  const empty = () =>
    new ort.Tensor('float32', new Float32Array(c.numKvHeads * C * c.headDim), [1, c.numKvHeads, C, c.headDim]);
  const feeds = (ids: number[], pos0: number, past: Map<string, T>) => {
    const n = ids.length;
    const mask = new Float32Array(n * C).fill(-1e9),
      place = new Float32Array(C * n),
      keep = new Float32Array(C).fill(1);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= pos0 + i; j++) mask[i * C + j] = 0;
      place[(pos0 + i) * n + i] = 1;
      keep[pos0 + i] = 0;
    }
    const f: Record<string, T> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(pos0 + i))), [1, n]),
      attn_mask: new ort.Tensor('float32', mask, [1, 1, n, C]),
      cache_place: new ort.Tensor('float32', place, [C, n]),
      cache_keep: new ort.Tensor('float32', keep, [C, 1]),
      last_index: new ort.Tensor('int64', BigInt64Array.of(BigInt(n - 1)), []),
    };
    for (const k of names) f[k] = past.get(k) ?? empty();
    return f;
  };
  return {
    async run(prompt, newTokens) {
      const t0 = now();
      let out = await pre.run(feeds(prompt, 0, new Map()));
      const tokens = [argmax(out.logits!.data as Float32Array)];
      const first = now();
      while (tokens.length < newTokens) {
        const past = new Map(names.map((k) => [k, out[k.replace('past', 'present')]!]));
        out = await dec.run(feeds([tokens[tokens.length - 1]!], prompt.length + tokens.length - 1, past));
        tokens.push(argmax(out.logits!.data as Float32Array));
      }
      const end = now();
      return { ttftMs: first - t0, decodeTokS: ((tokens.length - 1) * 1000) / (end - first), tokens };
    },
    async dispose() {
      await pre.release();
      await dec.release();
    },
  };
}

export function createEngine(spec: EngineSpec): Promise<BenchEngine> {
  if (spec.engine === 'switchyard') return switchyard(spec);
  if (spec.engine === 'llama.cpp') return llamaCpp(spec);
  return onnxruntime(spec);
}
