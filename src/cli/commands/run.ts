// switchyard run <model.onnx> [--inputs dir] [--out dir] [--backend B] [--json]

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readTensorFile, writeTensorFile } from '../../frontend/onnx/tensor-proto.js';
import { printGraph } from '../../ir/printer.js';
import type { Tensor } from '../../ir/tensor.js';
import { Session } from '../../runtime/session.js';
import { parseDims, randomFeeds } from '../random-inputs.js';
import { ms } from '../table.js';

function readInputs(dir: string, names: string[]): Record<string, Tensor> {
  let files: string[];
  try { files = readdirSync(dir); } catch { throw new Error(`--inputs ${dir}: not a readable folder`); }
  const pbs = files.filter((f) => /^input_\d+\.pb$/.test(f)).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  if (pbs.length !== names.length) {
    throw new Error(`--inputs ${dir}: found ${pbs.length} input_N.pb files, the model has ${names.length} inputs (${names.join(', ')})`);
  }
  const feeds: Record<string, Tensor> = {};
  pbs.forEach((f, i) => { feeds[names[i]!] = readTensorFile(new Uint8Array(readFileSync(join(dir, f))), join(dir, f)); });
  return feeds;
}

export function registerRun(program: Command): void {
  program.command('run')
    .description('run a model once; random inputs of the right shape unless --inputs is given')
    .argument('<model>', 'ONNX model file')
    .option('-i, --inputs <dir>', 'folder with input_N.pb (TensorProto) files, in graph-input order')
    .option('-o, --out <dir>', 'write each output as output_N.pb (TensorProto), in graph-output order')
    .option('-b, --backend <name>', 'backend to run on (reference, wasm, …)', 'reference')
    .option('--threads <n>', 'worker threads for CPU backends (wasm); default: the machine\'s cores')
    .option('--dim <name=size...>', 'size of a symbolic input dim for random inputs (e.g. batch=4)')
    .option('--seed <n>', 'seed for random inputs', '1')
    .option('--print-ir', 'print the compiled IR before running')
    .option('--json', 'print one JSON object instead of text')
    .action(async (model: string, o: { inputs?: string; out?: string; backend: string; threads?: string; dim?: string[]; seed: string; printIr?: boolean; json?: boolean }) => {
      const t0 = performance.now();
      const session = await Session.create(model, { backend: o.backend, threads: o.threads ? Number(o.threads) : undefined });
      const tCreate = performance.now() - t0;
      const feeds = o.inputs ? readInputs(o.inputs, session.inputNames) : randomFeeds(session.graph, Number(o.seed), parseDims(o.dim));
      const t1 = performance.now();
      const outs = await session.run(feeds);
      const tRun = performance.now() - t1;
      if (o.out) {
        mkdirSync(o.out, { recursive: true });
        session.outputNames.forEach((name, i) => writeFileSync(join(o.out!, `output_${i}.pb`), writeTensorFile(outs[name]!, name)));
      }
      if (o.json) {
        console.log(JSON.stringify({
          model, backend: o.backend, createMs: tCreate, runMs: tRun, fallbacks: Object.fromEntries(session.fallbacks),
          outputs: session.outputNames.map((name) => {
            const t = outs[name]!;
            return { name, dtype: t.type, dims: t.dims, data: t.toNumbers().slice(0, 1024).map((v) => (Number.isFinite(v) ? v : String(v))), truncated: t.size > 1024 };
          }),
        }));
      } else {
        if (o.printIr) console.log(printGraph(session.graph, { elideBlobs: true }));
        console.log(`model   ${model}`);
        console.log(`backend ${o.backend}`);
        console.log('inputs');
        for (const [k, t] of Object.entries(feeds)) console.log(`  ${k}: ${t.toString()}${o.inputs ? '' : '  (random)'}`);
        console.log('outputs');
        for (const name of session.outputNames) console.log(`  ${name}: ${outs[name]!.toString()}`);
        console.log(`time    create ${ms(tCreate)} ms, run ${ms(tRun)} ms`);
        for (const [op, why] of session.fallbacks) console.log(`fallback ${op}: ${why}`);
        if (o.out) console.log(`wrote   ${session.outputNames.length} output_N.pb files to ${o.out}`);
      }
      await session.release();
    });
}
