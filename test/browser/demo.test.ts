// End-to-end tests of the demo page (the static build in dist/demo, served with COOP/COEP on
// 127.0.0.1) in Debian's Chromium: devices found, plan and timeline drawn, models run on WebGPU,
// on WASM (threaded, cross-origin isolated) and on the offload server with results equal to
// Node's, the server killed mid-run with the fallback shown, live re-planning on an SLA change,
// readable errors. Screenshots go to test-results/ (git-ignored).
//
// A device whose backend is not in this build is skipped with the reason the page gives, so the
// same file runs as the backends land.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import type { Page } from 'playwright-core';
import '../../src/index.js';
import { disposeDevices } from '../../src/agent/devices.js';
import { loadAgent } from '../../src/agent/load.js';
import { deviceSetOf } from '../../src/agent/plan.js';
import type { NodePlacement, NodeRecord } from '../../src/agent/runtime/run.js';
import { randomFeeds } from '../../src/cli/random-inputs.js';
import { compareTensors } from '../../src/conformance/compare.js';
import type { DType } from '../../src/ir/dtype.js';
import { Tensor } from '../../src/ir/tensor.js';
import { discoverDevices } from '../../src/runtime/devices.js';
import { Session } from '../../src/runtime/session.js';
import {
  type LaunchedBrowser,
  launchChromium,
  openPage,
  type StaticServer,
  startStaticServer,
} from '../helpers/browser.js';
import { CLI, REPO } from '../helpers/paths.js';

const RESULTS = join(REPO, 'test-results');
const MODELS = join(REPO, 'examples/models');
const TOL = { rtol: 1e-4, atol: 1e-5 };

interface PageResult {
  outputs: Record<string, { type: string; dims: number[]; data: number[] }>;
  devicesUsed: string[];
  fallbacks: { unit: string; from: string; to: string; reason: string }[];
  plan: { deadlineMs?: number; objective: string; assignments: { task: string; device: string }[] };
  notes: string[];
}
interface DemoConfig {
  model?: string;
  devices?: Partial<Record<'wasm' | 'webgpu' | 'remote', boolean>>;
  remoteUrl?: string;
  token?: string;
  deadlineMs?: number;
  useDeadline?: boolean;
  objective?: 'latency' | 'cost';
  /** units only on the checked devices: a test of one device must not depend on the planner's pick */
  exclusive?: boolean;
}

let server: StaticServer;
let browser: LaunchedBrowser;
let page: Page;
let errors: string[];

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  const build = spawnSync(process.execPath, [join(REPO, 'scripts/demo.js'), 'build'], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  assert.equal(build.status, 0, `npm run build:demo failed:\n${build.stdout}\n${build.stderr}`);
  server = await startStaticServer({ '/': join(REPO, 'dist/demo') });
  browser = await launchChromium();
  ({ page, errors } = await openPage(browser.browser, `${server.url}/`));
  await page
    .waitForFunction(() => (window as unknown as { demo?: { ready: boolean } }).demo?.ready === true, null, {
      timeout: 120_000,
    })
    .catch((e: Error) => {
      throw new Error(`the demo did not start: ${e.message}\n${errors.join('\n')}`);
    });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const demo = <T>(fn: string, arg?: unknown): Promise<T> =>
  page.evaluate(
    ([f, a]) => {
      const d = (window as unknown as { demo: Record<string, unknown> }).demo;
      const v = d[f as string];
      return typeof v === 'function' ? (v as (x: unknown) => Promise<unknown>).call(d, a) : v;
    },
    [fn, arg] as const,
  ) as Promise<T>;

async function configure(c: DemoConfig): Promise<void> {
  await demo('configure', { exclusive: false, ...c });
}

async function shot(name: string): Promise<void> {
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(RESULTS, `demo-${name}.png`), fullPage: true });
}

/** Node's answer for the same model and the same seeded inputs (reference interpreter). */
async function nodeOutputs(model: string, seed = 1): Promise<Record<string, Tensor>> {
  const s = await Session.create(readFileSync(join(MODELS, model)), { backend: 'reference' });
  const out = await s.run(randomFeeds(s.graph, seed));
  await s.release();
  return out;
}

async function assertEqualsNode(model: string, r: PageResult): Promise<void> {
  const want = await nodeOutputs(model);
  assert.deepEqual(Object.keys(r.outputs).sort(), Object.keys(want).sort());
  for (const [name, o] of Object.entries(r.outputs)) {
    const w = want[name]!;
    const data = /int64|uint64/.test(o.type) ? BigInt64Array.from(o.data.map(BigInt)) : o.data;
    const got = Tensor.from(o.type as DType, data as number[], o.dims);
    const m = compareTensors(got, w, TOL, `${model} output '${name}'`);
    assert.equal(m, undefined, m?.message);
  }
}

/** Skip when the page has no backend of this kind (the backend has not landed in this build). */
async function requireDevice(t: TestContext, kind: string): Promise<boolean> {
  const devices = await demo<{ id: string; kind: string }[]>('devices');
  if (devices.some((d) => d.kind === kind)) return true;
  const notes = await demo<string[]>('notes');
  const why = notes.find((n) => n.startsWith(kind)) ?? `no ${kind} device`;
  t.skip(`${why} (this build has no ${kind} device)`);
  return false;
}

test('the page starts cross-origin isolated, probes WebGPU and WASM threads, plans and runs on the host; outputs equal Node', async () => {
  const probes = await demo<{
    gpu?: { ok: boolean; info?: Record<string, string> };
    wasm: { isolated: boolean; threads: number; simd: boolean };
  }>('probes');
  assert.equal(probes.wasm.isolated, true, 'the build must be served cross-origin isolated');
  assert.ok(probes.wasm.simd, 'WASM SIMD');
  assert.ok(probes.wasm.threads >= 2, `threads usable: ${probes.wasm.threads}`);
  assert.equal(probes.gpu?.ok, true, `WebGPU adapter: ${JSON.stringify(probes.gpu)}`);
  assert.equal(await page.locator('#isolation').textContent(), 'cross-origin isolated');

  await configure({ model: 'two-tower.onnx', devices: { wasm: false, webgpu: false, remote: false } });
  // the UI's Run button, as a person would
  await page.click('#run');
  await page.waitForFunction(
    () => (window as unknown as { demo: { result?: unknown } }).demo.result !== undefined,
    null,
    { timeout: 60_000 },
  );
  const r = await demo<PageResult>('result');
  assert.deepEqual(r.devicesUsed, ['cpu']);
  await assertEqualsNode('two-tower.onnx', r);
  assert.ok((await page.locator('svg.plan-graph g.unit').count()) >= 4, 'plan graph has unit boxes');
  assert.ok((await page.locator('svg.timeline rect.bar.measured').count()) >= 4, 'timeline has measured bars');
  assert.ok((await page.locator('.out-card[data-output=scores] .topk-row').count()) === 5);
  // hovering a unit shows the planner's reason
  await page.hover('svg.plan-graph g.unit >> nth=0');
  assert.match((await page.locator('.tooltip').textContent()) ?? '', /earliest finish|cheapest|only device|fastest/i);
  await shot('host');
  // the Perfetto trace: Chrome trace-event JSON with the run's spans
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#trace')]);
  const trace = JSON.parse(readFileSync((await download.path())!, 'utf8')) as {
    traceEvents: { ph: string; cat: string; name: string }[];
  };
  assert.ok(
    trace.traceEvents.some((e) => e.ph === 'X' && e.cat === 'run'),
    'measured spans',
  );
  assert.ok(
    trace.traceEvents.some((e) => e.ph === 'X' && e.cat === 'plan'),
    'predicted spans',
  );
});

test('changing the SLA re-plans live: deadline and objective reach the plan without a new session', async () => {
  await configure({
    model: 'mini-encoder.onnx',
    devices: { wasm: false, webgpu: false, remote: false },
    useDeadline: false,
    objective: 'latency',
  });
  assert.equal((await demo<PageResult['plan']>('plan')).deadlineMs, undefined);
  await page.fill('#deadline-ms', '42');
  await page.dispatchEvent('#deadline-ms', 'change');
  await page.waitForFunction(
    () => (window as unknown as { demo: { plan?: { deadlineMs?: number } } }).demo.plan?.deadlineMs === 42,
    null,
    { timeout: 10_000 },
  );
  await page.click('input[name=objective][value=cost] + span');
  await page.waitForFunction(
    () => (window as unknown as { demo: { plan?: { objective: string } } }).demo.plan?.objective === 'cost',
    null,
    { timeout: 10_000 },
  );
  assert.match((await page.locator('svg.timeline .deadline-label').textContent()) ?? '', /deadline 42/);
  const r = await demo<PageResult>('run');
  await assertEqualsNode('mini-encoder.onnx', r);
  await shot('sla');
});

test('a broken model file gives a readable error, not a blank page', async () => {
  await page.setInputFiles('.drop input[type=file]', {
    name: 'broken.onnx',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('this is not a protobuf'),
  });
  await page.waitForSelector('.error:not([hidden])', { timeout: 10_000 });
  const text = (await page.locator('.error').textContent()) ?? '';
  assert.match(text, /could not be loaded|broken\.onnx|model/i, text);
  assert.ok(await page.locator('.sidebar').isVisible());
  // the model that worked stays loaded and selected
  assert.equal(await page.locator('#model').inputValue(), 'mini-encoder.onnx');
  await shot('error');
  await configure({ model: 'two-tower.onnx', devices: { wasm: false, webgpu: false, remote: false } });
  assert.equal(await demo('error'), undefined);
});

test('WebGPU: a model runs on the adapter and equals Node', async (t) => {
  await configure({
    model: 'mini-encoder.onnx',
    devices: { webgpu: true, wasm: false, remote: false },
    useDeadline: false,
    objective: 'latency',
    exclusive: true,
  });
  if (!(await requireDevice(t, 'webgpu'))) return;
  const r = await demo<PageResult>('run');
  const gpu = (await demo<{ id: string; kind: string }[]>('devices')).find((d) => d.kind === 'webgpu')!.id;
  assert.ok(r.devicesUsed.includes(gpu), `ran on ${r.devicesUsed.join(', ')}`);
  await assertEqualsNode('mini-encoder.onnx', r);
  await shot('webgpu');
});

test('WASM: threaded in the cross-origin-isolated page, equals Node', async (t) => {
  await configure({
    model: 'mini-encoder.onnx',
    devices: { webgpu: false, wasm: true, remote: false },
    useDeadline: false,
    objective: 'latency',
  });
  if (!(await requireDevice(t, 'wasm'))) return;
  const r = await demo<PageResult>('run');
  const wasm = (await demo<{ id: string; kind: string }[]>('devices')).find((d) => d.kind === 'wasm')!.id;
  assert.ok(r.devicesUsed.includes(wasm), `ran on ${r.devicesUsed.join(', ')}`);
  assert.ok(!r.notes.some((n) => /single-thread|one thread/i.test(n)), r.notes.join('\n'));
  await assertEqualsNode('mini-encoder.onnx', r);
  await shot('wasm');
});

// ---------- the offload server ----------
// The transformer block's units take milliseconds on the host interpreter, so the planner sends
// them to the server when its profile and the measured link say it is faster (as it does here).

async function startOffload(origin: string): Promise<{ url: string; token: string; proc: ChildProcess }> {
  const token = 'demo-test-token';
  const args = [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--token', token, '--cors-origin', origin];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`switchyard serve did not report its address:\n${out}`)), 30_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /https?:\/\/(127\.0\.0\.1|localhost):\d+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0].replace('localhost', '127.0.0.1'));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`switchyard serve exited (code ${code}):\n${out}`));
    });
  });
  return { url, token, proc };
}

test('remote: the offload server runs the model for the page, results equal Node', async (t) => {
  const srv = await startOffload(server.url);
  try {
    await configure({
      model: 'mini-encoder.onnx',
      devices: { webgpu: false, wasm: false, remote: true },
      remoteUrl: srv.url,
      token: srv.token,
      useDeadline: false,
      objective: 'latency',
      exclusive: true,
    });
    if (!(await requireDevice(t, 'remote'))) return;
    const r = await demo<PageResult>('run');
    assert.ok(
      r.devicesUsed.some((d) => d.startsWith('remote')),
      `ran on ${r.devicesUsed.join(', ')}`,
    );
    await assertEqualsNode('mini-encoder.onnx', r);
    await shot('remote');
  } finally {
    srv.proc.kill('SIGKILL');
  }
});

test('remote: the server is killed in the middle of a run; the page falls back and still equals Node', async (t) => {
  const srv = await startOffload(server.url);
  try {
    await configure({
      model: 'mini-encoder.onnx',
      devices: { webgpu: false, wasm: false, remote: true },
      remoteUrl: srv.url,
      token: srv.token,
      useDeadline: false,
      objective: 'latency',
    });
    if (!(await requireDevice(t, 'remote'))) return;
    // kill the server when the run sends its first unit to it: the request in flight dies with it
    let killed = false;
    await page.route(`${srv.url}/v1/run**`, async (route) => {
      if (!killed) {
        killed = true;
        srv.proc.kill('SIGKILL');
        await new Promise((r) => srv.proc.once('exit', r));
      }
      await route.continue().catch(() => route.abort('connectionrefused'));
    });
    const r = await demo<PageResult>('run');
    await page.unroute(`${srv.url}/v1/run**`);
    assert.ok(killed, 'the run never reached the server');
    assert.ok(r.fallbacks.length > 0, 'a fallback is recorded');
    assert.ok(
      r.fallbacks.every((f) => f.from.startsWith('remote')),
      JSON.stringify(r.fallbacks),
    );
    await assertEqualsNode('mini-encoder.onnx', r);
    assert.ok((await page.locator('.notes.bad li').count()) > 0, 'the fallback is shown');
    await shot('fallback');
  } finally {
    srv.proc.kill('SIGKILL');
  }
});

// ---------- agent graphs ----------

interface AgentSummary {
  text: string;
  tokenEvents: number;
  streamed: number[];
  records: NodeRecord[];
  ttftMs?: number;
  tpotMs?: number;
  totalMs: number;
  sla: { ttftMs?: number; tpotMs?: number };
  met: { ttft?: boolean; tpot?: boolean };
  placement: Record<string, NodePlacement>;
  devices: { id: string; kind: string }[];
  inputs: Record<string, string>;
}

/** Node's answer for the same graph, input and placement, on devices of the same kinds as the page's. */
async function nodeAgent(page: AgentSummary): Promise<{ text: string; records: NodeRecord[] }> {
  const kinds = [...new Set(page.devices.map((d) => d.kind))];
  const discovery = await discoverDevices({
    devices: kinds.map((kind) => ({ kind: kind as 'reference' | 'wasm' })),
    calibration: 'never',
  });
  assert.deepEqual(
    discovery.entries.map((e) => e.device.id).sort(),
    page.devices.map((d) => d.id).sort(),
    'the same device ids in Node and the page',
  );
  const devices = deviceSetOf(discovery.entries);
  const agent = await loadAgent(join(REPO, 'examples/agent/rag.yaml'), { devices });
  try {
    const run = agent.runner.run({ inputs: page.inputs, placement: new Map(Object.entries(page.placement)) });
    const r = await run.done();
    return { text: r.text, records: r.records };
  } finally {
    agent.dispose();
    await disposeDevices(devices);
  }
}

test('agent graph: ?model=agent:rag loads the RAG example, streams the answer on WASM, equals Node; TTFT/TPOT re-plan', async () => {
  // its own tab, opened with the URL preset, as a person would share it
  const { page: p, errors: agentErrors } = await openPage(
    browser.browser,
    `${server.url}/?model=agent:rag&devices=wasm`,
  );
  try {
    await p.waitForFunction(() => (window as unknown as { demo?: { ready: boolean } }).demo?.ready === true, null, {
      timeout: 60_000,
    });
    const err = await p.evaluate(() => (window as unknown as { demo: { error?: string } }).demo.error);
    assert.equal(err, undefined, `the page shows an error: ${err}`);
    assert.equal(await p.locator('#model').inputValue(), 'agent:rag');
    assert.equal(
      await p.locator('input[name=sla][value=tokens]').isChecked(),
      true,
      'TTFT/TPOT is the SLA of an agent graph',
    );
    assert.equal(
      await p.locator('#agent-question').inputValue(),
      'Hi, I am jane@example.com. My parcel weighs 3 kg and goes to zone B. How much is shipping?',
    );
    // watch the answer in the DOM: its length each time it changes while the run is still going
    await p.evaluate(() => {
      const w = window as unknown as { seen: number[]; demo: { busy: boolean } };
      w.seen = [];
      new MutationObserver(() => {
        if (w.demo.busy) w.seen.push(document.getElementById('agent-answer')!.textContent!.length);
      }).observe(document.getElementById('agent-answer')!, { childList: true, characterData: true, subtree: true });
    });
    await p.click('#run');
    await p.waitForFunction(() => (window as unknown as { demo: { agent?: unknown } }).demo.agent !== undefined, null, {
      timeout: 60_000,
    });
    const r = (await p.evaluate(() => (window as unknown as { demo: { agent: unknown } }).demo.agent)) as AgentSummary;
    const seen = await p.evaluate(() => (window as unknown as { seen: number[] }).seen);
    assert.ok(r.tokenEvents > 1, `token events: ${r.tokenEvents}`);
    const partial = new Set(seen.filter((n) => n > 0 && n < r.text.length));
    assert.ok(
      partial.size >= 1,
      `the answer grew in the page before the run ended (lengths seen while running: ${seen.join(', ')}; final ${r.text.length})`,
    );
    assert.equal(await p.locator('#agent-answer').textContent(), r.text);
    // where each node ran: the host for JS nodes, the page's WASM device for model nodes
    const answer = r.records.find((x) => x.node === 'answer' && x.llm)!;
    assert.ok(answer, JSON.stringify(r.records));
    assert.ok(r.ttftMs! > 0 && r.tpotMs! > 0, `TTFT ${r.ttftMs}, TPOT ${r.tpotMs}`);
    assert.equal(r.sla.ttftMs, 3000);
    assert.equal(await p.locator('#agent-nodes tbody tr').count(), r.records.length);
    assert.match((await p.locator('.agent-summary').textContent()) ?? '', /TTFT.*TPOT.*SLA(met|missed)/);
    // Node: the same graph, question and placement on devices of the same kinds give the same answer
    const want = await nodeAgent(r);
    assert.equal(r.text, want.text, "the page's answer equals Node's");
    assert.deepEqual(
      r.records.map((x) => `${x.node}@${x.llm ? `${x.llm.prefillDevice}/${x.llm.decodeDevice}` : x.device}`),
      want.records.map((x) => `${x.node}@${x.llm ? `${x.llm.prefillDevice}/${x.llm.decodeDevice}` : x.device}`),
    );
    await p.mouse.move(0, 0);
    await p.screenshot({ path: join(RESULTS, 'demo-agent.png'), fullPage: true });
    // the run as a Perfetto trace: the answer's prefill and decode on the device they ran on
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#trace')]);
    const trace = JSON.parse(readFileSync((await download.path())!, 'utf8')) as {
      traceEvents: { ph: string; name: string }[];
    };
    assert.ok(
      trace.traceEvents.some((e) => e.ph === 'X' && e.name.startsWith('answer.decode')),
      'the trace has the decode span',
    );
    // a TTFT target no device can meet: the plan (made again, no reload) says so
    await p.fill('#ttft-ms', '0.01');
    await p.dispatchEvent('#ttft-ms', 'change');
    await p.waitForFunction(
      () => (window as unknown as { demo: { agentPlan?: { feasible: boolean } } }).demo.agentPlan?.feasible === false,
      null,
      { timeout: 10_000 },
    );
    assert.match((await p.locator('.agent-summary').textContent()) ?? '', /infeasible/);
    // a TPOT no device can decode at: the planner refuses, and the page says why in words
    await p.fill('#tpot-ms', '0.0001');
    await p.dispatchEvent('#tpot-ms', 'change');
    await p.waitForSelector('.error:not([hidden])', { timeout: 10_000 });
    assert.match((await p.locator('.error').textContent()) ?? '', /No plan meets this service level.*TPOT/s);
    // expected, nothing else: the absent offload server's refused probe (as on the main page), and
    // the 404 for tokenizer_config.json, an optional file the model loader asks for
    const bad = agentErrors.filter(
      (e) =>
        !/ERR_CONNECTION_REFUSED|Failed to fetch|net::ERR_FAILED/.test(e) &&
        !/status of 404 .*\/tokenizer_config\.json\)$/.test(e),
    );
    assert.deepEqual(bad, []);
  } finally {
    await p.close();
  }
});

test('no page errors were logged', () => {
  // failed fetches of an absent offload server are expected; anything else is a bug
  const bad = errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to fetch|net::ERR_FAILED/.test(e));
  assert.deepEqual(bad, []);
});
