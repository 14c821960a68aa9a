// Per-op profile of one model on the WASM backend: node bench/models/profile.mjs model.onnx threads "1,3,48,192" [runs]
import fs from 'node:fs';

const sy = await import(
  process.env.SY_ROOT
    ? `${process.env.SY_ROOT}/dist/src/index.js`
    : new URL('../../dist/src/index.js', import.meta.url).href
);
const [file, threads = '1', shape = '', runs = '5'] = process.argv.slice(2);
const s = await sy.Session.create(new Uint8Array(fs.readFileSync(file)), { backend: 'wasm', threads: Number(threads) });
const inp = s.graph.inputs[0];
const dims = shape.split(',').map(Number);
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd());
const feeds = { [inp.name]: new sy.Tensor('float32', data, dims) };
let t = performance.now();
await s.run(feeds);
const first = performance.now() - t;
const dev = s.prepared?.device;
const times = [];
for (let i = 0; i < Number(runs); i++) {
  t = performance.now();
  await s.run(feeds);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(`first ${first.toFixed(1)} ms, median ${times[times.length >> 1].toFixed(1)} ms`);
for (const [op, why] of s.fallbacks) console.log(`fallback ${op}: ${why}`);
if (dev && process.env.PROFILE) {
  dev.profile = new Map();
  await s.run(feeds);
  const byOp = new Map();
  for (const [k, v] of dev.profile) {
    const op = k.split(' ')[0];
    const e = byOp.get(op) ?? { ms: 0, calls: 0, cpuMs: 0 };
    e.ms += v.ms;
    e.cpuMs += v.cpuMs ?? 0;
    e.calls += v.calls;
    byOp.set(op, e);
  }
  console.log(
    [...byOp]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 15)
      .map(([k, v]) => `${k} ${v.ms.toFixed(1)}ms (cpu ${v.cpuMs.toFixed(1)}ms)/${v.calls}`)
      .join('\n'),
  );
  if (process.env.PROFILE === '2')
    console.log(
      [...dev.profile]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 25)
        .map(([k, v]) => `${k} ${v.ms.toFixed(2)}ms (cpu ${(v.cpuMs ?? 0).toFixed(2)}ms)/${v.calls}`)
        .join('\n'),
    );
}
await s.release();
