// Where the time of a GPU run goes: the same two-tower graph on `backend: 'webgpu'` (one unit,
// one submit, one readback) and on `backend: 'auto'` with every unit on the WebGPU device (units,
// a queue wait after each, readbacks through the executor), with the device calls timed.
//   node scripts/device/unit-cost.mjs [adapter] [seq] [d]   (after npm run build)
import '../../dist/src/index.js';
import { twoTowers } from '../../dist/bench/hetero/workloads.js';
import { WebGpuDevice } from '../../dist/src/backends/webgpu/device.js';
import { MemoryStore } from '../../dist/src/cost/history.js';
import { Session } from '../../dist/src/runtime/session.js';

const [adapter = 'default', seq = '128', d = '768'] = process.argv.slice(2);
const calls = {};
for (const m of ['run', 'finish', 'upload', 'download', 'downloadMany']) {
  const f = WebGpuDevice.prototype[m];
  WebGpuDevice.prototype[m] = async function (...a) {
    const t0 = performance.now();
    try {
      return await f.apply(this, a);
    } finally {
      (calls[m] ??= []).push(performance.now() - t0);
    }
  };
}
const w = twoTowers(Number(seq), Number(d), 6);
const feeds = w.feeds();
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(label, opts, runs = 30) {
  const s = await Session.create(w.graph(), opts);
  for (let i = 0; i < 3; i++) await s.run(feeds);
  for (const k in calls) delete calls[k];
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    ts.push(performance.now() - t0);
  }
  const per = Object.entries(calls)
    .map(([k, v]) => `${k} ${(v.length / runs).toFixed(0)}x ${med(v).toFixed(2)}`)
    .join(', ');
  const units =
    s.hetero?.lastReport?.units.map((u) => `${u.device}:${(u.endMs - u.startMs).toFixed(2)}`).join(' ') ?? '';
  console.log(
    `${label.padEnd(34)} median ${med(ts).toFixed(2)} ms | device calls (per run, median ms): ` +
      `${per}${units ? ` | units ${units}` : ''}`,
  );
  await s.release();
}
console.log(`two towers ${seq}x${d}, 6 layers each, adapter ${adapter}`);
await time('webgpu backend', { backend: 'webgpu', adapter });
await time('auto, all on webgpu', {
  backend: 'auto',
  history: new MemoryStore(),
  policy: { objective: 'latency', allow: ['webgpu'] },
});
await time('auto, all on webgpu, no contention', {
  backend: 'auto',
  contention: 'ignore',
  history: new MemoryStore(),
  policy: { objective: 'latency', allow: ['webgpu'] },
});
process.exit(0);
