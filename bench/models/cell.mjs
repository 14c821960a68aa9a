// One measurement cell, in its own process: node bench/models/cell.mjs '<json job>' -> one JSON line.
// job = { engine: 'switchyard-wasm'|'ort-web-wasm'|'ort-node', threads, model, shape, runs, root? }
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
const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => rnd() - 0.5 + Math.sin(i / 97));
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
        const o = await s.run({ [s.graph.inputs[0].name]: new sy.Tensor('float32', data, dims) });
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
      const o = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', data, dims) });
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
const times = [],
  cpu = [];
for (let i = 0; i < job.runs; i++) {
  const t = performance.now(),
    c = process.cpuUsage();
  out = await e.run();
  times.push(performance.now() - t);
  const d = process.cpuUsage(c);
  // CPU time of the whole process (every thread): what a loaded machine distorts least
  cpu.push((d.user + d.system) / 1000);
}
const rss = process.resourceUsage().maxRSS * 1024; // peak resident set, bytes
console.log(
  JSON.stringify({
    ...job,
    createMs,
    firstRunMs,
    medianMs: median(times),
    medianCpuMs: median(cpu),
    minMs: Math.min(...times),
    times,
    peakRssMB: rss / 2 ** 20,
    fp: fingerprint(out),
    ...e.info(),
  }),
);
process.exit(0);
