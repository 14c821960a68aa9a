// Page side of a profiling run (not part of the suite): one workload, per-op device times.
export async function run({ spec, variant, modelUrl }) {
  await import('/sy/dist/src/ops/index.js');
  const { importOnnx } = await import('/sy/dist/src/frontend/onnx/import.js');
  const { runPipeline, DEFAULT_PIPELINE } = await import('/sy/dist/src/passes/index.js');
  const { Tensor } = await import('/sy/dist/src/ir/tensor.js');
  const { getBackend } = await import('/sy/dist/src/runtime/backend.js');
  await import('/sy/dist/src/runtime/backends/index.js');
  const { makeInputs } = await import('/src/common/workloads.js');
  const g = importOnnx(new Uint8Array(await (await fetch(modelUrl)).arrayBuffer()), { source: spec.id });
  runPipeline(g, DEFAULT_PIPELINE);
  const inputs = makeInputs(spec);
  const feeds = g.inputs.map((v) => new Tensor('float32', inputs[v.name].data, inputs[v.name].shape));
  const m = await (await getBackend('wasm')).prepare(g, { threads: variant.threads });
  for (let i = 0; i < 3; i++) await m.run(feeds);
  m.device.profile = new Map();
  const t = performance.now();
  for (let i = 0; i < 10; i++) await m.run(feeds);
  const ms = (performance.now() - t) / 10;
  const rows = [...m.device.profile]
    .map(([k, v]) => [k, +(v.ms / 10).toFixed(3), v.calls / 10])
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  await m.release();
  return {
    firstRunMs: 0,
    medianMs: ms,
    minMs: ms,
    maxMs: ms,
    runs: 10,
    timesMs: [ms],
    info: { rows, relaxed: m.device.relaxed },
  };
}
