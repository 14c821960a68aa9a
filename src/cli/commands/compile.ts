// switchyard compile <model.onnx> [--print-after PASS|all] [--passes a,b] [-o out.mlir]

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { printGraph } from '../../ir/printer.js';
import { verifyGraph } from '../../ir/verifier.js';
import { DEFAULT_PIPELINE, PASSES, runPipeline } from '../../passes/index.js';
import { loadGraph } from '../../runtime/session.js';

export function registerCompile(program: Command): void {
  program.command('compile')
    .description('import a model and run the pass pipeline, printing the IR where asked')
    .argument('<model>', 'ONNX model file')
    .option('--print-after <pass>', `print the IR after a pass (${Object.keys(PASSES).join(', ')}) or after every pass (all)`)
    .option('--print-before', 'also print the IR as imported, before any pass')
    .option('--passes <list>', 'comma-separated pipeline', DEFAULT_PIPELINE.join(','))
    .option('--full', 'print large constants too (base64 blobs), so the text can be parsed back')
    .option('-o, --output <file>', 'write the final IR text (with blobs) to a file')
    .action(async (model: string, o: { printAfter?: string; printBefore?: boolean; passes: string; full?: boolean; output?: string }) => {
      const names = o.passes.split(',').map((s) => s.trim()).filter(Boolean);
      if (o.printAfter && o.printAfter !== 'all' && !PASSES[o.printAfter]) {
        throw new Error(`--print-after: unknown pass '${o.printAfter}'; passes: ${Object.keys(PASSES).join(', ')}, all`);
      }
      const g = await loadGraph(model);
      const show = (title: string) => console.log(`// ----- ${title} -----\n${printGraph(g, { elideBlobs: !o.full })}`);
      if (o.printBefore) show('imported');
      runPipeline(g, names, {
        afterPass(pass, result) {
          console.log(`// ${pass.name}: ${result.summary}`);
          if (o.printAfter === 'all' || o.printAfter === pass.name) show(`after ${pass.name}`);
        },
      });
      verifyGraph(g, { types: true });
      if (o.output) {
        writeFileSync(o.output, printGraph(g));
        console.log(`// wrote ${o.output}`);
      } else if (!o.printAfter) show('result');
    });
}
