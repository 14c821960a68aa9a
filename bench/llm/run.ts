// npm run bench:llm: TTFT (a 512-token prompt) and decode tokens/s of a seeded Llama-shaped model on
// the CPU - Switchyard's WASM backend beside llama.cpp (node-llama-cpp, the same GGUF file, the
// same threads) and onnxruntime-node (the same weights as ONNX step graphs) - at 1 and 2 threads.
// Every engine runs in its own process; per weight type and thread count the engines load side by
// side and then take turns, run after run (the order rotating), so machine load hits all of them
// alike. The first run is reported apart; the rest give medians. Prints a table, writes
// bench/llm/results/<stamp>-<size>.json and docs/benchmarks-llm.md. Asserts nothing.
//   --size 1b|400m|150m|40m (default 150m)   --types Q8_0,Q4_0,F16   --threads 1,2   --runs 4
//   --tokens 32 (decode)   --prompt 512   --engines switchyard,llama.cpp,onnxruntime
//   --sy-quant dequantize|int8|native   --cache DIR (checkpoints; default the OS temp folder)

import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { paramCount } from '../../src/agent/llm/config.js';
import type { Quantization } from '../../src/agent/llm/weights.js';
import { table } from '../../src/cli/table.js';
import type { EngineSpec, RunResult } from './engines.js';
import { prepareFiles, type WeightType } from './model-files.js';
import { type Row, renderMarkdown } from './report.js';

const args = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : d;
};
const size = opt('size', '150m');
const types = opt('types', 'Q8_0,Q4_0,F16').split(',') as WeightType[];
const threadList = opt('threads', '1,2').split(',').map(Number);
const runs = Number(opt('runs', '4'));
const newTokens = Number(opt('tokens', '32'));
const promptLen = Number(opt('prompt', '512'));
const engines = opt('engines', 'switchyard,llama.cpp,onnxruntime').split(',') as EngineSpec['engine'][];
const syQuant = opt('sy-quant', 'native') as Quantization;
const cache = opt('cache', join(tmpdir(), 'switchyard-bench-llm'));
const root = join(import.meta.dirname, '../../..');
const capacity = 1024;

const load0 = loadavg();
const files = prepareFiles(size, [...new Set(types)], types.includes('F16'), cache);
const c = files.config;
const params = paramCount(c);
console.log(
  `# bench:llm - Llama-shaped ${size} (${(params / 1e6).toFixed(0)} M parameters, seeded): hidden ${c.hiddenSize}, ` +
    `${c.numLayers} layers, ${c.numHeads}/${c.numKvHeads} heads, vocab ${c.vocabSize}; prompt ${promptLen}, ` +
    `${newTokens} new tokens greedy, KV capacity ${capacity}; ${cpus().length} CPUs, load ${load0.map((x) => x.toFixed(2)).join(' ')}`,
);

// a fixed prompt of placeholder tokens (ids past the byte tokens)
const prompt = Array.from({ length: promptLen }, (_, i) => 259 + ((i * 7919 + 13) % (c.vocabSize - 259)));

interface Worker {
  spec: EngineSpec;
  child: ChildProcess;
  next(): Promise<Record<string, unknown>>;
}
function spawnWorker(spec: EngineSpec): Worker {
  const child = fork(join(import.meta.dirname, 'worker.js'), [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  const queue: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (m) => {
    queue.push(m as Record<string, unknown>);
    wake?.();
  });
  child.on('exit', (code) => {
    queue.push({ error: `worker exited with code ${code}` });
    wake?.();
  });
  return {
    spec,
    child,
    async next() {
      while (!queue.length) await new Promise<void>((r) => (wake = r));
      const m = queue.shift()!;
      if (m.error) throw new Error(`${spec.engine}: ${String(m.error)}`);
      return m;
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

const rows: Row[] = [];
for (const type of types) {
  for (const threads of threadList) {
    const workers: Worker[] = [];
    const loads = new Map<Worker, number>();
    for (const engine of engines) {
      const file = type === 'F16' && engine !== 'llama.cpp' ? files.hfDir! : files.gguf[type]!;
      const spec: EngineSpec = { engine, file, threads, capacity, promptLen, quantization: syQuant };
      const w = spawnWorker(spec);
      try {
        loads.set(w, (await w.next()).loadMs as number);
        workers.push(w);
      } catch (e) {
        console.log(`(${engine} ${type} ${threads}t: ${(e as Error).message.split('\n')[0]})`);
      }
    }
    const results = new Map<Worker, { r: RunResult; rss: number }[]>();
    for (let run = 0; run < runs; run++) {
      const order = workers.map((_, i) => workers[(i + run) % workers.length]!);
      for (const w of order) {
        w.child.send({ run: { prompt, newTokens } });
        try {
          const m = await w.next();
          const list = results.get(w) ?? [];
          list.push({ r: m.result as RunResult, rss: m.rssMb as number });
          results.set(w, list);
        } catch (e) {
          console.log(`(${w.spec.engine} ${type} ${threads}t run ${run}: ${(e as Error).message.split('\n')[0]})`);
        }
      }
    }
    const llamaTokens = [...results].find(([w]) => w.spec.engine === 'llama.cpp')?.[1][0]?.r.tokens;
    for (const w of workers) {
      const list = results.get(w) ?? [];
      const rest = list.slice(1);
      const toks = list[0]?.r.tokens ?? [];
      let same = 0;
      while (llamaTokens && same < toks.length && toks[same] === llamaTokens[same]) same++;
      rows.push({
        engine: w.spec.engine,
        type,
        threads,
        loadMs: loads.get(w)!,
        firstTtftMs: list[0]?.r.ttftMs ?? NaN,
        firstTokS: list[0]?.r.decodeTokS ?? NaN,
        ttftMs: median(rest.map((x) => x.r.ttftMs)),
        tokS: median(rest.map((x) => x.r.decodeTokS)),
        runs: rest.length,
        peakRssMb: Math.max(0, ...list.map((x) => x.rss)),
        sameAsLlama: llamaTokens && w.spec.engine !== 'llama.cpp' ? `${same}/${toks.length}` : undefined,
      });
      w.child.send({ quit: true });
      await new Promise((r) => w.child.once('exit', r));
    }
    const shown = rows.filter((r) => r.type === type && r.threads === threads);
    console.log(
      table(
        ['engine', 'type', 'threads', 'TTFT ms', 'decode tok/s', 'first TTFT / tok/s', 'peak RSS MB'],
        shown.map((r) => [
          r.engine,
          r.type,
          String(r.threads),
          r.ttftMs.toFixed(0),
          r.tokS.toFixed(1),
          `${r.firstTtftMs.toFixed(0)} / ${r.firstTokS.toFixed(1)}`,
          r.peakRssMb.toFixed(0),
        ]),
      ),
    );
  }
}

const load1 = loadavg();
const meta = {
  command: `npm run bench:llm -- ${args.join(' ')}`.trim(),
  date: new Date().toISOString(),
  size,
  params,
  config: c,
  promptLen,
  newTokens,
  capacity,
  runs,
  switchyardQuantization: syQuant,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  loadavgStart: load0,
  loadavgEnd: load1,
  node: process.version,
};
const stamp = meta.date.replace(/[:.]/g, '-').slice(0, 19);
const resDir = join(root, 'bench/llm/results');
mkdirSync(resDir, { recursive: true });
writeFileSync(join(resDir, `${stamp}-${size}.json`), `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
const md = renderMarkdown(meta, rows);
if (!args.includes('--no-docs')) writeFileSync(join(root, 'docs/benchmarks-llm.md'), md);
console.log(`\n${md}`);
