// The layout rules of shared/design.md, checked on the source: no import cycles, and imports point
// down the data flow (ir below everything; ops and passes never reach a backend or the runtime;
// backends never reach the passes, planner or runtime; the planner only cost and ir).
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
  // the frontend reads models and executes nothing
  'src/frontend/': ['src/backends/', 'src/runtime/', 'src/planner/', 'src/agent/', 'src/server/', 'src/cli/'],
  // "planner may import cost and ir" (and the wire types of protocol): no ops, passes or devices
  'src/planner/': [
    'src/backends/',
    'src/runtime/',
    'src/ops/',
    'src/passes/',
    'src/frontend/',
    'src/agent/',
    'src/server/',
    'src/cli/',
  ],
  'src/cost/': ['src/planner/', 'src/server/', 'src/cli/'],
  // the wire format is shared by client and server: it depends on neither side
  'src/protocol/': ['src/server/', 'src/cli/', 'src/runtime/', 'src/backends/', 'src/planner/', 'src/agent/'],
  // "backends import ir and ops": never the passes (the session runs them once), the planner or the runtime
  'src/backends/': [
    'src/passes/',
    'src/planner/',
    'src/runtime/',
    'src/frontend/',
    'src/agent/',
    'src/server/',
    'src/cli/',
  ],
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
