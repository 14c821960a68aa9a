// The WebGPU backend in Chromium (Playwright driving Debian's /usr/bin/chromium, WebGPU on
// SwiftShader): the whole shared conformance set, gated by the same webgpu.expect.json as Node.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkExpectations, parseExpectations } from '../../src/conformance/expectations.js';
import { discoverTests, readTolerance, type SuiteResult, type TestResult } from '../../src/conformance/runner.js';
import { launchChromium } from '../helpers/chromium.js';
import { REPO, requireConformance } from '../helpers/paths.js';
import { startStaticServer } from '../helpers/static-server.js';

const indexed = (files: string[], prefix: string) =>
  files
    .filter((f) => new RegExp(`^${prefix}_\\d+\\.pb$`).test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));

test('webgpu backend passes the shared conformance set in Chromium (SwiftShader)', { timeout: 900_000 }, async () => {
  const dir = requireConformance();
  const build = spawnSync(process.execPath, [join(REPO, 'scripts/build-browser.js')], { stdio: 'inherit' });
  assert.equal(build.status, 0, 'browser bundle build failed');
  const tests = discoverTests(dir).map((p) => {
    const name = p.split(/[\\/]/).pop()!;
    const sets = readdirSync(p)
      .filter((f) => /^test_data_set_\d+$/.test(f))
      .sort()
      .map((s) => {
        const files = readdirSync(join(p, s));
        return {
          name: s,
          inputs: indexed(files, 'input').map((f) => `/conformance/${name}/${s}/${f}`),
          outputs: indexed(files, 'output').map((f) => `/conformance/${name}/${s}/${f}`),
        };
      });
    return { name, model: `/conformance/${name}/model.onnx`, sets };
  });
  const server = await startStaticServer({
    '/dist/': join(REPO, 'dist'),
    '/conformance/': dir,
    '/page/': join(REPO, 'test/browser'),
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/page/conformance-page.html`);
    await page
      .waitForFunction(() => (window as unknown as { pageReady?: boolean }).pageReady === true, null, {
        timeout: 30_000,
      })
      .catch((e: Error) => {
        throw new Error(`page did not load: ${e.message}\n${errors.join('\n')}`);
      });
    const adapters = await page.evaluate(() =>
      (window as unknown as { adapterInfo(): Promise<unknown> }).adapterInfo(),
    );
    console.log(`# Chromium ${browser.version()}, adapters: ${JSON.stringify(adapters)}`);
    const results: TestResult[] = [];
    // batches keep each page.evaluate short
    for (let i = 0; i < tests.length; i += 40) {
      const batch = tests.slice(i, i + 40);
      results.push(
        ...(await page.evaluate(
          ([b, tol]) =>
            (window as unknown as { runConformance(b: unknown, t: unknown): Promise<TestResult[]> }).runConformance(
              b,
              tol,
            ),
          [batch, readTolerance(dir)] as const,
        )),
      );
    }
    const suite: SuiteResult = {
      backend: 'webgpu',
      results,
      skipped: 0,
      passed: results.filter((r) => r.status === 'pass').length,
      failed: results.filter((r) => r.status !== 'pass').length,
    };
    const file = join(REPO, 'test/conformance/webgpu.expect.json');
    const gate = checkExpectations(suite, parseExpectations(readFileSync(file, 'utf8'), file));
    console.log(`# conformance in Chromium on webgpu: ${suite.passed} passed, ${suite.failed} failed`);
    assert.ok(
      gate.ok,
      [
        ...gate.unexpected.map((u) => `unexpected failure ${u.name}: ${u.message}`),
        ...gate.stale.map((s) => `stale expectation ${s}`),
      ].join('\n'),
    );
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }
});
