// Page side of a profiling run (not part of the suite): one workload, per-op device times.
export async function run({ spec, variant, modelUrl }) {
  const sy = await import('/sy/dist/src/index.js');
  const { makeInputs } = await import('/src/common/workloads.js');
  const model = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const inputs = makeInputs(spec);
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, new sy.Tensor('float32', v.data, v.shape)]));
  const s = await sy.Session.create(model, { backend: 'wasm', threads: variant.threads });
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const dev = s.prepared.device;
  dev.profile = new Map();
  const t = performance.now();
  for (let i = 0; i < 10; i++) await s.run(feeds);
  const ms = (performance.now() - t) / 10;
  const rows = [...dev.profile].map(([k, v]) => [k, +(v.ms / 10).toFixed(3), v.calls / 10]).sort((a, b) => b[1] - a[1]).slice(0, 8);
  await s.release();
  return { firstRunMs: 0, medianMs: ms, minMs: ms, maxMs: ms, runs: 10, timesMs: [ms], info: { rows, relaxed: dev.relaxed, isolated: globalThis.crossOriginIsolated } };
}
