// One measurement cell, in its own process: node bench/models/cell.mjs '<json job>' -> one JSON line.
// job = { engine: 'switchyard-wasm'|'ort-web-wasm'|'ort-node', threads, model, shape, runs, root?,
//         input?: { file, dtype: 'float32'|'int64' }, expected?: file, extra?: [{ name, dtype, shape, fill }] }
// input: a saved input (the torch zoo's, raw little-endian) instead of the seeded pattern; expected:
// torch's float32 output for it, compared here with the whole first output (`vsTorch`); extra: the
// other inputs of a multi-input model (a recurrent state, a sample rate), filled with one value.
// Switchyard gets the graph specialised to the fed shapes; `referenceOps` lists what its plan ran on
// the reference path (control flow driven from the host, bodies on WASM, does not count).
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
if (data.length !== count)
  throw new Error(`${job.input.file}: ${data.length} values, the shape [${dims}] needs ${count}`);
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

const CONTROL = new Set(['nn.If', 'nn.Loop', 'nn.Scan', 'nn.SequenceMap']);
const ARRAYS = { float32: Float32Array, int64: BigInt64Array };

/** Feeds by input name: the main input (the first one not in job.extra), and each extra input filled with its value. */
function feedsFor(names, tensor) {
  const extra = new Map((job.extra ?? []).map((e) => [e.name, e]));
  const feeds = {};
  for (const name of names) {
    const e = extra.get(name);
    if (!e) {
      if (Object.values(feeds).some((f) => f.main)) throw new Error(`input ${name}: no feed given (job.extra)`);
      feeds[name] = { main: true, t: tensor(dtype, data, dims) };
      continue;
    }
    const n = e.shape.reduce((a, b) => a * b, 1);
    const v = new ARRAYS[e.dtype](n).fill(e.dtype === 'int64' ? BigInt(e.fill ?? 0) : (e.fill ?? 0));
    feeds[name] = { t: tensor(e.dtype, v, e.shape) };
  }
  return Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, f.t]));
}

async function engine() {
  if (job.engine === 'switchyard-wasm') {
    const root = job.root ?? fileURLToPath(new URL('../../', import.meta.url));
    const sy = await import(`${root}/dist/src/index.js`);
    let s, feeds;
    return {
      create: async () => {
        // the graph specialised to the shapes fed (what onnxruntime sees at run time too)
        const g = sy.importOnnx(bytes);
        feeds = feedsFor(
          g.inputs.map((v) => v.name),
          (t, d, v) => new sy.Tensor(t, d, v),
        );
        for (const v of g.inputs) v.type = { ...v.type, shape: [...feeds[v.name].dims] };
        s = await sy.Session.create(g, { backend: 'wasm', threads: job.threads });
      },
      run: async () => {
        const o = await s.run(feeds);
        return o[s.outputNames[0]].data;
      },
      info: () => {
        const all = Object.fromEntries(s.fallbacks);
        // control flow driven from the host with its bodies on WASM is not a reference-path op
        const onReference = Object.keys(all).filter((k) => !CONTROL.has(k.split(' ')[0]));
        return { fallbacks: all, referenceOps: onReference };
      },
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
      const o = await s.run(feedsFor(s.inputNames, (t, d, v) => new ort.Tensor(t, d, v)));
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
    vsTorch: versusTorch(out),
    ...e.info(),
  }),
);
process.exit(0);
