// parse(print(g)) prints the same, on every shared conformance model and after the passes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { discoverTests } from '../../src/conformance/runner.js';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import { parseGraph } from '../../src/ir/parser.js';
import { printGraph } from '../../src/ir/printer.js';
import { verifyGraph } from '../../src/ir/verifier.js';
import { runPipeline } from '../../src/passes/index.js';
import { requireConformance } from '../helpers/paths.js';

function roundTrips(which: 'core' | 'ext', atLeast: number) {
  const dirs = discoverTests(requireConformance(which));
  assert.ok(dirs.length > 500, `found ${dirs.length} tests`);
  const failures: string[] = [];
  let checked = 0;
  for (const d of dirs) {
    let g;
    try {
      g = importOnnx(new Uint8Array(readFileSync(join(d, 'model.onnx'))), { source: d });
    } catch {
      continue; // models whose ops are not registered are covered by the conformance gate
    }
    for (const stage of ['imported', 'after passes']) {
      if (stage === 'after passes') runPipeline(g);
      const text = printGraph(g);
      let again: string;
      try {
        const parsed = parseGraph(text);
        verifyGraph(parsed, { types: true });
        again = printGraph(parsed);
      } catch (e) {
        failures.push(`${d} (${stage}): ${(e as Error).message}`);
        continue;
      }
      if (again !== text) failures.push(`${d} (${stage}): text differs after a round trip`);
    }
    checked++;
  }
  assert.ok(checked > atLeast, `only ${checked} models imported`);
  assert.deepEqual(failures, []);
}

test('text form round-trips on every conformance model', () => roundTrips('core', 200));

// the rest of the node suite: subgraphs with captures, sequences, optionals, strings
test('text form round-trips on every onnx-node-ext model that imports', () => roundTrips('ext', 400));
