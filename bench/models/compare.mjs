// Outputs of Switchyard (a backend) against onnxruntime-node on one seeded input:
//   node bench/models/compare.mjs model.onnx "1,3,48,192" [backend] [threads]
import fs from 'node:fs';
import ort from 'onnxruntime-node';

const sy = await import(
  process.env.SY_ROOT
    ? `${process.env.SY_ROOT}/dist/src/index.js`
    : new URL('../../dist/src/index.js', import.meta.url).href
);
const [file, shape, backend = 'wasm', threads = '1'] = process.argv.slice(2);
const bytes = new Uint8Array(fs.readFileSync(file));
const dims = shape.split(',').map(Number);
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const amp = Number(process.env.AMP ?? 1);
const data = Float32Array.from(
  { length: dims.reduce((a, b) => a * b, 1) },
  (_, i) => amp * (rnd() - 0.5) + amp * Math.sin(i / 97),
);
const os = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
const ref = await os.run({ [os.inputNames[0]]: new ort.Tensor('float32', data, dims) });
const s = await sy.Session.create(bytes, { backend, threads: Number(threads) });
const out = await s.run({ [s.graph.inputs[0].name]: new sy.Tensor('float32', data, dims) });
for (const name of os.outputNames) {
  const a = ref[name].data,
    b = out[name].data;
  let md = 0,
    lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    md = Math.max(md, Math.abs(Number(a[i]) - Number(b[i])));
    lo = Math.min(lo, Number(a[i]));
    hi = Math.max(hi, Number(a[i]));
  }
  console.log(
    `${name} [${ref[name].dims}] max|diff| ${md.toExponential(2)} range ${(hi - lo).toExponential(2)} rel ${(md / (hi - lo || 1)).toExponential(2)}`,
  );
}
for (const [op, why] of s.fallbacks) console.log(`fallback ${op}: ${why}`);
await s.release();
