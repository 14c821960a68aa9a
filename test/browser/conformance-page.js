// Page side of the Chromium conformance run: fetch each test's model and tensors, run them on the
// webgpu backend (navigator.gpu, SwiftShader here) and compare with the stored outputs, by the
// same rule as the Node runner.
import { compareTensors, DEFAULT_TOLERANCE, listAdapters, readTensorFile, Session } from '/dist/browser/switchyard.js';

async function bytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function runOne(t, tolerance) {
  const t0 = performance.now();
  let session;
  try {
    session = await Session.create(await bytes(t.model), { backend: 'webgpu' });
    for (const set of t.sets) {
      const ins = await Promise.all(set.inputs.map(async (u) => readTensorFile(await bytes(u), u)));
      const outs = await Promise.all(set.outputs.map(async (u) => readTensorFile(await bytes(u), u)));
      if (ins.length !== session.inputNames.length)
        throw new Error(`${ins.length} input files for ${session.inputNames.length} inputs`);
      const feeds = {};
      session.inputNames.forEach((n, i) => {
        feeds[n] = ins[i];
      });
      const got = await session.run(feeds);
      for (let i = 0; i < outs.length; i++) {
        const name = session.outputNames[i];
        const m = compareTensors(got[name], outs[i], tolerance, `${set.name} output #${i} '${name}'`);
        if (m) return { name: t.name, status: 'fail', message: m.message, ms: performance.now() - t0 };
      }
    }
    return { name: t.name, status: 'pass', ms: performance.now() - t0 };
  } catch (e) {
    return { name: t.name, status: 'error', message: String(e?.message ?? e), ms: performance.now() - t0 };
  } finally {
    await session?.release();
  }
}

window.runConformance = async (tests, tol) => {
  const tolerance = tol ?? DEFAULT_TOLERANCE;
  const results = [];
  for (const t of tests) results.push(await runOne(t, tolerance));
  return results;
};
window.adapterInfo = async () => (await listAdapters()).map((a) => ({ ...a.info, featureLevel: a.featureLevel }));
window.pageReady = true;
