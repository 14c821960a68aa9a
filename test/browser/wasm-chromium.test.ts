// The WASM backend in headless Chromium (Debian's /usr/bin/chromium through playwright-core): the
// shared conformance set, single- and multi-threaded in a cross-origin-isolated page, and the
// single-threaded fallback (with its warning) in a page that is not isolated. Models are imported
// in Node and sent to the page as IR text; outputs come back and are compared here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { compareTensors, DEFAULT_TOLERANCE } from '../../src/conformance/compare.js';
import { checkExpectations, parseExpectations } from '../../src/conformance/expectations.js';
import {
  discoverTests,
  readDataSets,
  readTolerance,
  type SuiteResult,
  type TestResult,
} from '../../src/conformance/runner.js';
import { printGraph } from '../../src/ir/printer.js';
import { Tensor } from '../../src/ir/tensor.js';
import { DEFAULT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { loadGraph } from '../../src/runtime/session.js';
import { REPO, requireConformance } from '../helpers/paths.js';
import { serve } from './server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

type Wire = { type: string; dims: number[]; b64: string };
const toWire = (t: Tensor): Wire => ({
  type: t.type,
  dims: [...t.dims],
  b64: Buffer.from(t.bytes()).toString('base64'),
});
function fromWire(w: Wire): Tensor {
  const bytes = Buffer.from(w.b64, 'base64');
  const z = Tensor.zeros(w.type as Tensor['type'], w.dims);
  z.bytes().set(bytes);
  return z;
}

async function withPage<T>(
  isolated: boolean,
  f: (page: import('playwright-core').Page) => Promise<T>,
  pagePath = '/test/browser/page.html',
): Promise<T> {
  const { chromium } = await import('playwright-core');
  const srv = await serve(REPO, isolated);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(`${srv.url}${pagePath}`);
    await page.waitForFunction('window.ready === true', undefined, { timeout: 30000 }).catch(() => {
      throw new Error(`page did not load: ${logs.join(' | ')}`);
    });
    return await f(page);
  } finally {
    await browser.close();
    await srv.close();
  }
}

/** Run one conformance folder in the page; returns the runner's kind of result. */
async function runInPage(
  page: import('playwright-core').Page,
  dir: string,
  threads: number,
  tol = DEFAULT_TOLERANCE,
): Promise<TestResult> {
  const name = dir.split(/[\\/]/).pop()!;
  try {
    const g = await loadGraph(join(dir, 'model.onnx'));
    runPipeline(g, DEFAULT_PIPELINE);
    const text = printGraph(g);
    const sets = readDataSets(dir);
    for (const set of sets) {
      const feeds = set.inputs.map((x) => toWire(x.value as Tensor));
      const res = await page.evaluate(
        async ({ text, feeds, threads }) => {
          const sy = (window as unknown as { sy: PageApi }).sy;
          const w2t = (w: { type: string; dims: number[]; b64: string }) => {
            const bin = atob(w.b64);
            const u = new Uint8Array(bin.length);
            for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
            const z = sy.Tensor.zeros(w.type as 'float32', w.dims);
            z.bytes().set(u);
            return z;
          };
          const t2w = (t: InstanceType<PageApi['Tensor']>) => {
            const u = t.bytes();
            let s = '';
            for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]!);
            return { type: t.type, dims: [...t.dims], b64: btoa(s) };
          };
          try {
            const graph = sy.parseGraph(text);
            const model = await (await sy.getBackend('wasm')).prepare(graph, { threads, onWarning: () => {} });
            const outs = await model.run(graph.inputs.map((_, i) => w2t(feeds[i]!)));
            const r = { outputs: outs.map(t2w), isolated: globalThis.crossOriginIsolated };
            await model.release();
            return r;
          } catch (e) {
            return { error: (e as Error).message };
          }
        },
        { text, feeds, threads },
      );
      if ('error' in res) return { name, status: 'error', message: res.error };
      if (res.outputs.length !== set.outputs.length)
        return { name, status: 'fail', message: `${res.outputs.length} outputs, ${set.outputs.length} expected` };
      for (let i = 0; i < res.outputs.length; i++) {
        const m = compareTensors(
          fromWire(res.outputs[i]!),
          set.outputs[i]!.value as Tensor,
          tol,
          `${set.name} output #${i}`,
        );
        if (m) return { name, status: 'fail', message: m.message };
      }
    }
    return { name, status: 'pass' };
  } catch (e) {
    return { name, status: 'error', message: (e as Error).message };
  }
}

const available = existsSync(CHROMIUM);

/** What page.html puts on window.sy. */
interface PageApi {
  parseGraph: typeof import('../../src/ir/parser.js').parseGraph;
  GraphBuilder: typeof import('../../src/ir/builder.js').GraphBuilder;
  Tensor: typeof import('../../src/ir/tensor.js').Tensor;
  getBackend: typeof import('../../src/runtime/backend.js').getBackend;
}

for (const threads of [1, 2]) {
  test(`wasm backend in Chromium, ${threads} thread(s), passes the shared conformance set`, {
    skip: !available && `no Chromium at ${CHROMIUM}`,
  }, async () => {
    const root = requireConformance();
    const file = join(REPO, 'test/conformance/wasm.expect.json');
    const exp = parseExpectations(readFileSync(file, 'utf8'), file);
    const tol = readTolerance(root);
    const results = await withPage(true, async (page) => {
      assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true, 'page is cross-origin isolated');
      const out: TestResult[] = [];
      for (const dir of discoverTests(root)) out.push(await runInPage(page, dir, threads, tol));
      return out;
    });
    const suite: SuiteResult = {
      backend: 'wasm',
      results,
      passed: results.filter((r) => r.status === 'pass').length,
      failed: results.filter((r) => r.status === 'fail' || r.status === 'error').length,
      skipped: 0,
    };
    const gate = checkExpectations(suite, exp);
    console.log(
      `# conformance on wasm in Chromium (${threads} thread(s)): ${suite.passed} passed, ${suite.failed} failed`,
    );
    assert.ok(
      gate.ok,
      [
        ...gate.unexpected.map((u) => `unexpected failure ${u.name}: ${u.message}`),
        ...gate.stale.map((s) => `stale ${s}`),
      ].join('\n'),
    );
  });
}

test('a page without cross-origin isolation runs single-threaded and says why', {
  skip: !available && `no Chromium at ${CHROMIUM}`,
}, async () => {
  const warning = await withPage(false, (page) =>
    page.evaluate(async () => {
      const sy = (window as unknown as { sy: PageApi }).sy;
      const b = new sy.GraphBuilder();
      const x = b.input('x', 'float32', [4]);
      b.output(b.op('Relu', [x]), 'y');
      const warnings: string[] = [];
      const model = await (await sy.getBackend('wasm')).prepare(b.build(), {
        threads: 4,
        onWarning: (m: string) => warnings.push(m),
      });
      const [y] = await model.run([new sy.Tensor('float32', new Float32Array([-1, 2, -3, 4]), [4])]);
      await model.release();
      return { warnings, y: Array.from(y!.data as Float32Array) };
    }),
  );
  assert.deepEqual(warning.y, [0, 2, 0, 4]);
  assert.match(warning.warnings.join('\n'), /single-threaded.*not cross-origin isolated/);
});

test('the browser bundle (dist/browser) runs the wasm backend with worker threads', {
  skip: !available && `no Chromium at ${CHROMIUM}`,
}, async () => {
  const build = spawnSync(process.execPath, [join(REPO, 'scripts/build-browser.js')], { stdio: 'inherit' });
  assert.equal(build.status, 0, 'scripts/build-browser.js failed');
  const r = await withPage(
    true,
    (page) =>
      page.evaluate(async () => {
        const sy = (window as unknown as { sy: typeof import('../../src/index.js') }).sy;
        const b = new sy.GraphBuilder();
        const x = b.input('x', 'float32', [64, 64]);
        b.output(b.op('Relu', [b.op('MatMul', [x, x])]), 'y');
        const warnings: string[] = [];
        const s = await sy.Session.create(b.build(), {
          backend: 'wasm',
          threads: 2,
          onWarning: (m: string) => warnings.push(m),
        });
        const data = Float32Array.from({ length: 64 * 64 }, (_, i) => ((i % 7) - 3) * 0.25);
        const out = await s.run({ x: new sy.Tensor('float32', data, [64, 64]) });
        const y = out.y!.data as Float32Array;
        let want = 0;
        for (let k = 0; k < 64; k++) want += data[k]! * data[k * 64]!;
        await s.release();
        return { warnings, y0: y[0], want: Math.max(0, want), fallbacks: [...s.fallbacks.keys()] };
      }),
    '/test/browser/bundle-page.html',
  );
  assert.deepEqual(r.warnings, [], 'no single-threaded fallback in an isolated page');
  assert.ok(Math.abs(r.y0! - r.want) < 1e-4, `y[0] = ${r.y0}, expected ${r.want}`);
  assert.deepEqual(r.fallbacks, []);
});
