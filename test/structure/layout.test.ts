// The layout rules of shared/design.md, checked on the source: no import cycles, and imports point
// down the data flow (ir below everything; ops and passes never reach a backend or the runtime).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPO } from '../helpers/paths.js';
import { importCycles, importGraph } from './imports.js';

const files = importGraph(REPO, 'src');

test('src/ has no import cycles (type-only imports included)', () => {
  const cycles = importCycles(files).map((c) => c.join(' -> '));
  assert.deepEqual(cycles, []);
});

// layer -> folders it must not import from
const FORBIDDEN: Record<string, string[]> = {
  'src/ir/': [
    'src/ops/',
    'src/passes/',
    'src/backends/',
    'src/runtime/',
    'src/planner/',
    'src/cost/',
    'src/agent/',
    'src/server/',
    'src/cli/',
    'src/frontend/',
  ],
  'src/ops/': ['src/backends/', 'src/runtime/', 'src/planner/', 'src/server/', 'src/cli/', 'src/agent/'],
  'src/passes/': ['src/backends/', 'src/runtime/', 'src/server/', 'src/cli/'],
  'src/frontend/': ['src/backends/', 'src/runtime/', 'src/server/', 'src/cli/'],
  'src/planner/': ['src/backends/', 'src/runtime/', 'src/server/', 'src/cli/'],
  'src/cost/': ['src/planner/', 'src/server/', 'src/cli/'],
  'src/protocol/': ['src/server/', 'src/cli/', 'src/runtime/'],
};

test('imports point down the data flow (design.md: layers and where they live)', () => {
  const bad: string[] = [];
  for (const f of files.values()) {
    const layer = Object.keys(FORBIDDEN).find((l) => f.path.startsWith(l));
    if (!layer) continue;
    for (const imp of f.imports) {
      if (FORBIDDEN[layer]!.some((x) => imp.target.startsWith(x))) bad.push(`${f.path} imports ${imp.target}`);
    }
  }
  assert.deepEqual(bad, []);
});
