// The conformance gate shared by every backend's test: run the whole shared set, then fail on a
// failure the expectations file does not list and on a listed test that now passes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkExpectations, parseExpectations } from '../../src/conformance/expectations.js';
import { runSuite, type SuiteResult } from '../../src/conformance/runner.js';
import type { SessionOptions } from '../../src/runtime/session.js';
import { REPO, requireConformance } from '../helpers/paths.js';

/**
 * `expectations` names the file (default: the backend's own; `<name>-ext` for the ext suite).
 * `which` picks the data: 'core' (onnx-node) or 'ext' (onnx-node-ext, the rest of the node suite).
 */
export async function conformanceGate(
  backend: string,
  options: SessionOptions = {},
  expectations = backend,
  which: 'core' | 'ext' = 'core',
): Promise<SuiteResult> {
  const stem = which === 'ext' && expectations === backend ? `${backend}-ext` : expectations;
  const file = join(REPO, 'test/conformance', `${stem}.expect.json`);
  const exp = parseExpectations(readFileSync(file, 'utf8'), file);
  const suite = await runSuite(requireConformance(which), { ...options, backend });
  const gate = checkExpectations(suite, exp);
  const lines = [
    ...gate.unexpected.map((u) => `unexpected failure ${u.name}: ${u.message}`),
    ...gate.stale.map((s) => `stale expectation ${s}: it passes now; remove it from ${file}`),
  ];
  console.log(
    `# conformance (${which}) on ${backend}${options.passes ? ` (passes: ${options.passes.join(',')})` : ''}: ${suite.passed} passed, ${suite.failed} failed (${Object.keys(exp.failures).length} expected), ${suite.skipped} skipped`,
  );
  assert.ok(gate.ok, lines.join('\n'));
  return suite;
}
