// switchyard conformance <dir> [--backend B] [--json] [--expect file] [--filter regex]

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkExpectations, parseExpectations } from '../../conformance/expectations.js';
import { runSuite, type TestResult } from '../../conformance/runner.js';
import { addDeviceOptions, type DeviceFlags, deviceOptions } from '../backend-options.js';

export function registerConformance(program: Command): void {
  addDeviceOptions(
    program
      .command('conformance')
      .description('run every test_* folder under <dir> (ONNX backend-test layout) and compare with the stored outputs')
      .argument('<dir>', 'folder of test_* folders, with or without MANIFEST.json')
      .option('-b, --backend <name>', 'backend to test', 'reference')
      .option(
        '--expect <file>',
        'expectations file: known failures with reasons; fail on new failures and on stale entries',
      )
      .option('--filter <regex>', 'only tests whose name matches')
      .option('--json', 'print one JSON object {backend, passed, failed, skipped, results}')
      .option('-v, --verbose', 'print every test, not only failures'),
  ).action(
    async (
      dir: string,
      o: DeviceFlags & { backend: string; expect?: string; filter?: string; json?: boolean; verbose?: boolean },
    ) => {
      const exp = o.expect ? parseExpectations(readFileSync(o.expect, 'utf8'), o.expect) : undefined;
      const print = (r: TestResult) => {
        if (o.json) return;
        const known = exp && r.name in exp.failures;
        if (r.status === 'fail' || r.status === 'error') {
          console.log(
            `${known ? 'XFAIL' : r.status.toUpperCase()} ${r.name}: ` +
              `${r.message}${known ? `  [expected: ${exp!.failures[r.name]}]` : ''}`,
          );
        } else if (r.status === 'skip') console.log(`SKIP ${r.name}: ${r.message}`);
        else if (o.verbose) console.log(`PASS ${r.name} (${(r.ms ?? 0).toFixed(1)} ms)`);
      };
      const suite = await runSuite(dir, {
        backend: o.backend,
        ...deviceOptions(o, true),
        filter: o.filter ? new RegExp(o.filter) : undefined,
        onResult: print,
      });
      const gate = exp ? checkExpectations(suite, exp) : undefined;
      if (o.json) {
        const out = {
          backend: suite.backend,
          passed: suite.passed,
          failed: suite.failed,
          skipped: suite.skipped,
          results: suite.results.map(({ ms: _ms, ...r }) => r),
          ...(gate ? { unexpected: gate.unexpected.map((u) => u.name), stale: gate.stale } : {}),
        };
        console.log(JSON.stringify(out));
      } else {
        if (gate) {
          for (const s of gate.stale) console.log(`STALE ${s}: listed in ${o.expect} but now passes; remove the entry`);
          console.log(
            `expectations: ${gate.unexpected.length} unexpected failures, ${gate.stale.length} stale entries`,
          );
        }
        console.log(`${suite.passed} passed, ${suite.failed} failed, ${suite.skipped} skipped`);
      }
      if (gate ? !gate.ok : suite.failed > 0) process.exitCode = 1;
    },
  );
}
