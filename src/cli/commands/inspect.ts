// switchyard inspect <model.onnx>: opset, inputs/outputs, op histogram, the IR text.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { decodeModel, toNum } from '../../frontend/onnx/proto.js';
import type { Node } from '../../ir/graph.js';
import { printGraph } from '../../ir/printer.js';
import { formatType } from '../../ir/text-common.js';
import { loadGraph } from '../../runtime/session.js';
import { table } from '../table.js';

/** Elements a Constant node holds (value tensor, or one of the value_* forms). */
function constantSize(n: Node): number {
  for (const a of Object.values(n.attrs)) {
    if (a.kind === 'tensor') return a.value.size;
    if (a.kind === 'floats' || a.kind === 'ints' || a.kind === 'strings') return a.value.length;
    if (a.kind === 'float' || a.kind === 'int' || a.kind === 'string') return 1;
  }
  return 0;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show opsets, inputs and outputs, the op histogram and the IR text of a model')
    .argument('<model>', 'ONNX model file')
    .option('--full', 'print large constants in the IR text too (base64 blobs)')
    .option('--json', 'print one JSON object')
    .action(async (model: string, o: { full?: boolean; json?: boolean }) => {
      const proto = decodeModel(new Uint8Array(readFileSync(model)), model);
      const g = await loadGraph(model);
      const hist = [...g.opHistogram()];
      // weights stored as Constant nodes (exporters such as paddle2onnx) count like initializers
      const constantNodes = g.nodes.filter((n) => n.op === 'nn.Constant');
      const info = {
        model,
        irVersion: toNum(proto.irVersion),
        producer: [proto.producerName, proto.producerVersion].filter(Boolean).join(' ') || undefined,
        opsets: g.opsets,
        inputs: g.inputs.map((v) => ({ name: v.name, type: formatType(v.type) })),
        outputs: g.outputs.map((v) => ({ name: v.name, type: formatType(v.type) })),
        constants: g.constants().length + constantNodes.length,
        parameters:
          g.constants().reduce((a, v) => a + v.const!.size, 0) + constantNodes.reduce((a, n) => a + constantSize(n), 0),
        ops: Object.fromEntries(hist),
      };
      if (o.json) {
        console.log(JSON.stringify({ ...info, ir: printGraph(g, { elideBlobs: !o.full }) }));
        return;
      }
      console.log(`model      ${model}`);
      console.log(`ir_version ${info.irVersion}${info.producer ? `   producer ${info.producer}` : ''}`);
      console.log(
        `opsets     ${Object.entries(g.opsets)
          .map(([d, v]) => `${d || 'ai.onnx'} ${v}`)
          .join(', ')}`,
      );
      console.log(`parameters ${info.parameters.toLocaleString('en-US')} in ${info.constants} constants\n`);
      console.log(
        table(
          ['input', 'type'],
          info.inputs.map((v) => [v.name, v.type]),
          ['l', 'l'],
        ),
      );
      console.log();
      console.log(
        table(
          ['output', 'type'],
          info.outputs.map((v) => [v.name, v.type]),
          ['l', 'l'],
        ),
      );
      console.log();
      console.log(table(['op', 'count'], hist));
      console.log();
      console.log(printGraph(g, { elideBlobs: !o.full }));
    });
}
