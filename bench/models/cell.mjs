// One measurement cell, in its own process: node bench/models/cell.mjs '<json job>' -> one JSON line.
// job = { engine: 'switchyard-wasm'|'ort-web-wasm'|'ort-node', threads, model, shape, runs, root?,
//         input?: { file, dtype: 'float32'|'int64' }, expected?: file }
// input: a saved input (the torch zoo's, raw little-endian) instead of the seeded pattern; expected:
// torch's float32 output for it, compared here with the whole first output (`vsTorch`).
// first run = create (from the model bytes in memory) + the first inference; then 2 warm-ups and
// `runs` timed runs. Outputs are fingerprinted (first output: sum, sum |x|, first values) so the
// orchestrator compares them with onnxruntime-node's.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const job = JSON.parse(process.argv[2]);
const bytes = new Uint8Array(fs.readFileSync(job.model));
const dims = job.shape;
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
// a smooth pattern plus noise, in the range image models are fed (normalised pixels)
const count = dims.reduce((a, b) => a * b, 1);
const dtype = job.input?.dtype ?? 'float32';
const readRaw = (file, Type) => {
  const b = fs.readFileSync(file);
  return new Type(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const data = job.input
  ? readRaw(job.input.file, dtype === 'int64' ? BigInt64Array : Float32Array)
  : Float32Array.from({ length: count }, (_, i) => rnd() - 0.5 + Math.sin(i / 97));
if (data.length !== count) throw new Error(`${job.input.file}: ${data.length} values, the shape [${dims}] needs ${count}`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

function fingerprint(arr) {
  let sum = 0,
    abs = 0;
  for (let i = 0; i < arr.length; i++) {
    sum += Number(arr[i]);
    abs += Math.abs(Number(arr[i]));
  }
  return { n: arr.length, sum, abs, head: Array.from(arr.slice(0, 8), Number) };
}

/** Largest |out - torch| over the whole output, relative to torch's largest |x|. */
function versusTorch(arr) {
  if (!job.expected) return undefined;
  const want = readRaw(job.expected, Float32Array);
  if (want.length !== arr.length) return { error: `${arr.length} values, torch gave ${want.length}` };
  let maxAbs = 0,
    scale = 0;
  for (let i = 0; i < want.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(Number(arr[i]) - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { maxAbs, rel: maxAbs / (scale || 1) };
}

async function engine() {
  if (job.engine === 'switchyard-wasm') {
    const root = job.root ?? fileURLToPath(new URL('../../', import.meta.url));
    const sy = await import(`${root}/dist/src/index.js`);
    let s;
    return {
      create: async () => {
        s = await sy.Session.create(bytes, { backend: 'wasm', threads: job.threads });
      },
      run: async () => {
        const o = await s.run({ [s.graph.inputs[0].name]: new sy.Tensor(dtype, data, dims) });
        return o[s.outputNames[0]].data;
      },
      info: () => ({ fallbacks: Object.fromEntries(s.fallbacks) }),
    };
  }
  const ort = job.engine === 'ort-node' ? (await import('onnxruntime-node')).default : await import('onnxruntime-web');
  let s;
  if (job.engine === 'ort-web-wasm') {
    ort.env.wasm.numThreads = job.threads;
    ort.env.wasm.simd = true;
    ort.env.logLevel = 'error';
  }
  const opts =
    job.engine === 'ort-node'
      ? { intraOpNumThreads: job.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' }
      : { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  return {
    create: async () => {
      s = await ort.InferenceSession.create(bytes, opts);
    },
    run: async () => {
      const o = await s.run({ [s.inputNames[0]]: new ort.Tensor(dtype, data, dims) });
      return o[s.outputNames[0]].data;
    },
    info: () => ({}),
  };
}

const e = await engine();
const t0 = performance.now();
await e.create();
const createMs = performance.now() - t0;
let out = await e.run();
const firstRunMs = performance.now() - t0;
for (let i = 0; i < Math.min(2, job.runs); i++) await e.run();
const times = [];
for (let i = 0; i < job.runs; i++) {
  const t = performance.now();
  out = await e.run();
  times.push(performance.now() - t);
}
const rss = process.resourceUsage().maxRSS * 1024; // peak resident set, bytes
console.log(
  JSON.stringify({
    ...job,
    createMs,
    firstRunMs,
    medianMs: median(times),
    minMs: Math.min(...times),
    times,
    peakRssMB: rss / 2 ** 20,
    fp: fingerprint(out),
    vsTorch: versusTorch(out),
    ...e.info(),
  }),
);
process.exit(0);
