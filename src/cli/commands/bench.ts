// switchyard bench <model.onnx> [--backend B] [--runs N] [--json]: first-run latency (create +
// first result) apart from the median/min/max of N timed runs after warm-up.

import type { Command } from 'commander';
import { Session } from '../../runtime/session.js';
import { parseDims, randomFeeds } from '../random-inputs.js';
import { ms, table } from '../table.js';

export interface BenchResult {
  model: string; backend: string;
  createMs: number; firstRunMs: number; firstInferMs: number;
  medianMs: number; minMs: number; maxMs: number; runs: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchModel(model: string, backend: string, runs: number, warmup: number, dims: Record<string, number>, threads?: number): Promise<BenchResult> {
  const t0 = performance.now();
  const session = await Session.create(model, { backend, threads });
  const createMs = performance.now() - t0;
  const feeds = randomFeeds(session.graph, 1, dims);
  const t1 = performance.now();
  await session.run(feeds);
  const firstInferMs = performance.now() - t1;
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await session.run(feeds);
    times.push(performance.now() - s);
  }
  await session.release();
  return {
    model, backend, createMs, firstInferMs, firstRunMs: createMs + firstInferMs,
    medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), runs: times,
  };
}

export function registerBench(program: Command): void {
  program.command('bench')
    .description('time a model: first run (create + first inference) and median/min/max of N runs')
    .argument('<model>', 'ONNX model file')
    .option('-b, --backend <name...>', 'backend(s) to time, side by side', ['reference'])
    .option('-n, --runs <n>', 'timed runs', '10')
    .option('--threads <n>', 'worker threads for CPU backends (wasm); default: the machine\'s cores')
    .option('--warmup <n>', 'untimed runs before timing', '2')
    .option('--dim <name=size...>', 'size of a symbolic input dim (e.g. batch=4)')
    .option('--json', 'print JSON')
    .action(async (model: string, o: { backend: string[]; runs: string; threads?: string; warmup: string; dim?: string[]; json?: boolean }) => {
      const results: BenchResult[] = [];
      for (const b of o.backend) results.push(await benchModel(model, b, Number(o.runs), Number(o.warmup), parseDims(o.dim), o.threads ? Number(o.threads) : undefined));
      if (o.json) { console.log(JSON.stringify(results.length === 1 ? results[0] : results)); return; }
      console.log(`${model}: ${o.runs} timed runs after ${o.warmup} warm-up runs\n`);
      console.log(table(['backend', 'first run ms', 'create ms', 'median ms', 'min ms', 'max ms'],
        results.map((r) => [r.backend, ms(r.firstRunMs), ms(r.createMs), ms(r.medianMs), ms(r.minMs), ms(r.maxMs)])));
    });
}
