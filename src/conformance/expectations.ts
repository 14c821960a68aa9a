// Expectations files (test/conformance/<backend>.expect.json): the known failures of a backend,
// each with a one-line reason. A failure not listed is a regression; a listed test that passes
// is a stale entry. Both fail the gate, as Burn's expectations file does.

import type { SuiteResult } from './runner.js';

export interface Expectations {
  backend: string;
  /** test name -> why it fails */
  failures: Record<string, string>;
}

export interface GateReport {
  unexpected: { name: string; message?: string }[];
  stale: string[];
  ok: boolean;
}

export function checkExpectations(suite: SuiteResult, exp: Expectations): GateReport {
  const unexpected = suite.results
    .filter((r) => (r.status === 'fail' || r.status === 'error') && !(r.name in exp.failures))
    .map((r) => ({ name: r.name, message: r.message }));
  const ran = new Map(suite.results.map((r) => [r.name, r.status]));
  const stale = Object.keys(exp.failures).filter((n) => ran.get(n) === 'pass');
  return { unexpected, stale, ok: unexpected.length === 0 && stale.length === 0 };
}

export function parseExpectations(text: string, file: string): Expectations {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const o = j as Partial<Expectations>;
  if (!o || typeof o !== 'object' || typeof o.failures !== 'object' || o.failures === null) {
    throw new Error(`${file}: expected {"backend": "...", "failures": {"test_name": "reason"}}`);
  }
  for (const [k, v] of Object.entries(o.failures)) {
    if (typeof v !== 'string' || !v.trim()) throw new Error(`${file}: failure '${k}' needs a one-line reason`);
  }
  return { backend: o.backend ?? '', failures: o.failures };
}
