// switchyard compile <model.onnx> [--print-after PASS|place|all] [--passes a,b] [--backend B] [-o out.mlir]
// 'place' prints the placed IR: each node's device and an xfer.copy wherever data crosses devices.

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { printGraph } from '../../ir/printer.js';
import { verifyGraph } from '../../ir/verifier.js';
import { DEFAULT_PIPELINE, PASSES, runPipeline } from '../../passes/index.js';
import { loadGraph, Session } from '../../runtime/session.js';
import { addDeviceOptions, type DeviceFlags, deviceOptions } from '../backend-options.js';

export function registerCompile(program: Command): void {
  addDeviceOptions(
    program
      .command('compile')
      .description('import a model and run the pass pipeline, printing the IR where asked')
      .argument('<model>', 'ONNX model file')
      .option(
        '--print-after <pass>',
        `print the IR after a pass (${Object.keys(PASSES).join(', ')}) or after every pass (all)`,
      )
      .option('--print-before', 'also print the IR as imported, before any pass')
      .option('--passes <list>', 'comma-separated pipeline', DEFAULT_PIPELINE.join(','))
      .option('--full', 'print large constants too (base64 blobs), so the text can be parsed back')
      .option('-o, --output <file>', 'write the final IR text (with blobs) to a file')
      .option(
        '-b, --backend <name>',
        "with --print-after place/all: the backend whose placement to print (auto plans over this machine's devices)",
        'auto',
      ),
  ).action(
    async (
      model: string,
      o: DeviceFlags & {
        printAfter?: string;
        printBefore?: boolean;
        passes: string;
        full?: boolean;
        output?: string;
        backend: string;
      },
    ) => {
      const names = o.passes
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (o.printAfter && o.printAfter !== 'all' && o.printAfter !== 'place' && !PASSES[o.printAfter]) {
        throw new Error(
          `--print-after: unknown pass '${o.printAfter}'; passes: ${Object.keys(PASSES).join(', ')}, place, all`,
        );
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
      if (o.printAfter === 'place' || o.printAfter === 'all') {
        // placement: the backend's own passes (kernel-level form), then its plan
        const session = await Session.create(g, { ...deviceOptions(o, true), backend: o.backend, passes: [] });
        try {
          const placed = session.placedGraph();
          if (!placed) throw new Error(`backend '${o.backend}' does not report a placement`);
          const xfers = placed.nodes.filter((n) => n.op === 'xfer.copy');
          const bytes = xfers.reduce((a, n) => a + (n.attrs.bytes?.kind === 'int' ? n.attrs.bytes.value : 0), 0);
          console.log(`// place (${o.backend}): ${xfers.length} transfer(s), ${bytes} bytes per run`);
          console.log(`// ----- after place -----\n${printGraph(placed, { elideBlobs: !o.full })}`);
        } finally {
          await session.release();
        }
      }
      if (o.output) {
        writeFileSync(o.output, printGraph(g));
        console.log(`// wrote ${o.output}`);
      } else if (!o.printAfter) show('result');
    },
  );
}
