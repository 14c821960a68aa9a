// Offload benchmark (npm run bench:offload): prints tables, asserts nothing. Loopback only.
//   1. round-trip overhead beyond compute for 1 KB, 1 MB and 64 MB tensors (target <= 2 ms at 1 MB)
//   2. requests/s and p50/p99 under a bounded load (autocannon): one server, nginx over one,
//      nginx over N servers
//   3. bytes a first and a second session upload
// `--quick` shortens everything; `--servers N` sets the fleet size (default 3).

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import '../src/index.js';
import { RemoteClient, type RemoteDevice } from '../src/backends/remote/index.js';
import { ms, table } from '../src/cli/table.js';
import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/graph.js';
import { Tensor } from '../src/ir/tensor.js';
import { encodeFrame, frameBytes } from '../src/protocol/framing.js';
import { graphToWire } from '../src/protocol/graph-wire.js';
import { Session } from '../src/runtime/session.js';
import { type Fleet, type FleetServer, findNginx, startFleet, startServeProcess } from '../src/server/fleet.js';

const quick = process.argv.includes('--quick');
const nServers = Number(process.argv[process.argv.indexOf('--servers') + 1]) || 3;
const TOKEN = 'bench-token';
const MB = 1 << 20;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const median = (xs: number[]) => pct(xs, 0.5);

function identity(n: number): Graph {
  const g = new GraphBuilder('identity');
  g.output(g.op('Identity', [g.input('x', 'float32', [n])]), 'y');
  return g.build();
}

function mlp(seed: number, n: number, hidden: number): Graph {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const w = (a: number, b: number) => new Tensor('float32', Float32Array.from({ length: a * b }, rnd), [a, b]);
  const g = new GraphBuilder(`mlp${seed}`);
  const x = g.input('x', 'float32', ['b', n]);
  g.output(
    g.op('Tanh', [g.matmul(g.relu(g.matmul(x, g.constant(w(n, hidden), 'w1'))), g.constant(w(hidden, n), 'w2'))]),
    'y',
  );
  return g.build();
}

const ECHO = `const http = require('node:http');
const s = http.createServer((q, r) => { const c = []; q.on('data', (d) => c.push(d)); q.on('end', () => { const b = Buffer.concat(c); r.writeHead(200, { 'content-length': b.length }); r.end(b); }); });
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

/** The platform's floor: fetch to a bare node:http echo server in another process, same sizes. */
async function echoFloor(sizes: [number, number][]): Promise<Map<number, number>> {
  const p = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((r) =>
      createInterface({ input: p.stdout! }).once('line', (l) => r(Number(l))),
    );
    const out = new Map<number, number>();
    for (const [bytes, reps] of sizes) {
      const body = new Uint8Array(bytes);
      const t: number[] = [];
      for (let i = 0; i < reps + 3; i++) {
        const s0 = performance.now();
        await (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body })).arrayBuffer();
        if (i >= 3) t.push(performance.now() - s0);
      }
      out.set(bytes, median(t));
    }
    return out;
  } finally {
    p.kill();
  }
}

async function roundTrips(url: string): Promise<string> {
  const c = new RemoteClient({ url, token: TOKEN });
  const rows: (string | number)[][] = [];
  const sizes = [
    ['1 KB', 1 << 10, quick ? 100 : 500],
    ['1 MB', MB, quick ? 50 : 200],
    ['64 MB', 64 * MB, quick ? 3 : 10],
  ] as const;
  const floor = await echoFloor(sizes.map(([, b, r]) => [b, r]));
  for (const [label, bytes, reps] of sizes) {
    const n = bytes / 4;
    const w = await graphToWire(identity(n));
    await c.ensureGraph(w);
    const x = new Tensor('float32', new Float32Array(n).fill(1), [n]);
    const over: number[] = [],
      total: number[] = [],
      server: number[] = [];
    for (let i = 0; i < reps + 3; i++) {
      const r = await c.run(w.id, [['x', x]], { deadlineMs: 60_000 });
      if (i < 3) continue; // warm-up
      total.push(r.ms);
      over.push(r.ms - r.meta.computeMs);
      server.push(r.meta.serverMs - r.meta.computeMs);
    }
    const f = floor.get(bytes)!;
    rows.push([
      label,
      reps,
      ms(median(total)),
      ms(median(over)),
      ms(pct(over, 0.9)),
      ms(median(server)),
      ms(median(over) - median(server)),
      ms(f),
      ms(median(over) - f),
    ]);
  }
  return (
    table(
      [
        'tensor (in and out)',
        'runs',
        'round trip ms',
        'overhead ms p50',
        'p90',
        'in server ms',
        'client+wire ms',
        'floor ms',
        'above floor ms',
      ],
      rows,
    ) +
    '\n(overhead = round trip - server compute; floor = fetch to a bare node:http echo in another process, same bytes each way)'
  );
}

interface LoadRow {
  target: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  n: number;
}

async function load(
  target: string,
  url: string,
  graphs: { id: string; body: Uint8Array }[],
  seconds: number,
  connections: number,
): Promise<LoadRow> {
  const r = await autocannon({
    url: `${url}/v1/run`,
    method: 'POST',
    connections,
    duration: seconds,
    pipelining: 1,
    requests: graphs.map((g) => ({
      method: 'POST',
      path: '/v1/run',
      body: Buffer.from(g.body),
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/octet-stream',
        'switchyard-graph': g.id,
        'switchyard-deadline-ms': '10000',
      },
    })),
  });
  return {
    target,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    n: r.requests.total,
  };
}

async function throughput(): Promise<string> {
  const seconds = quick ? 3 : 8;
  const connections = 16;
  const graphs = Array.from({ length: 12 }, (_, i) => mlp(100 + i, 64, 256));
  const wires = await Promise.all(graphs.map(graphToWire));
  const body = frameBytes(encodeFrame([['x', new Tensor('float32', new Float32Array(4 * 64).fill(0.5), [4, 64])]]));
  const reqs = wires.map((w) => ({ id: w.id, body }));
  const rows: LoadRow[] = [];
  const notes: string[] = [];

  const one: FleetServer = await startServeProcess(['--log-level', 'warn'], TOKEN);
  try {
    const c = new RemoteClient({ url: one.url, token: TOKEN });
    for (const w of wires) await c.ensureGraph(w);
    rows.push(await load('1 server (direct)', one.url, reqs, seconds, connections));
  } finally {
    one.proc.kill('SIGTERM');
  }

  if (!findNginx()) notes.push('nginx is not installed: fleet rows skipped (npm run setup installs nginx-light)');
  else {
    for (const n of [1, nServers]) {
      const fleet: Fleet = await startFleet({
        servers: n,
        port: 0,
        token: TOKEN,
        dir: mkdtempSync(join(tmpdir(), 'sy-bench-fleet-')),
        serveArgs: ['--log-level', 'warn'],
      });
      try {
        const c = new RemoteClient({ url: fleet.url, token: TOKEN });
        for (const w of wires) await c.ensureGraph(w);
        rows.push(await load(`nginx over ${n} server${n > 1 ? 's' : ''}`, fleet.url, reqs, seconds, connections));
      } finally {
        await fleet.stop();
      }
    }
  }
  const t = table(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors'],
    rows.map((r) => [r.target, r.rps.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), r.n, r.non2xx, r.errors]),
  );
  return [
    t,
    `(${connections} connections for ${seconds} s each; 12 graphs x 64->256->64 MLP, batch 4, cycled; every run is real compute on the reference backend, 1 worker per server)`,
    ...notes,
  ].join('\n');
}

async function uploads(url: string): Promise<string> {
  const rows: (string | number)[][] = [];
  const graph = () => mlp(7, 512, 1024); // 2 x 512x1024 f32 = 4 MiB of weights
  for (const label of ['first session', 'second session', 'third session (new process would match)']) {
    const t0 = performance.now();
    const s = await Session.create(graph(), { backend: 'remote', devices: [{ kind: 'remote', url, token: TOKEN }] });
    const createMs = performance.now() - t0;
    await s.run({ x: new Tensor('float32', new Float32Array(512), [1, 512]) });
    const st = (s.preparedModel as unknown as { device: RemoteDevice }).device.client.stats;
    rows.push([label, st.blobBytesUploaded, st.blobBytesSkipped, st.graphBytesUploaded, st.runBytesSent, ms(createMs)]);
    await s.release();
  }
  return table(
    [
      'session',
      'weight bytes uploaded',
      'weight bytes skipped (server had them)',
      'graph text bytes',
      'run bytes sent',
      'create ms',
    ],
    rows,
  );
}

const header = `Switchyard offload benchmark — ${new Date().toISOString()}\n${cpus()[0]?.model ?? 'cpu'} x ${availableParallelism()}, load average ${loadavg()
  .map((x) => x.toFixed(1))
  .join(' ')}, node ${process.version}${quick ? ', --quick' : ''}\n`;
console.log(header);

const server = await startServeProcess(['--log-level', 'warn', '--max-body-mb', '300'], TOKEN);
try {
  console.log(
    '1. Loopback round trip beyond compute (server in its own process, Identity graph: the tensor goes out and comes back)\n',
  );
  console.log(await roundTrips(server.url));
  console.log(
    '\n3. Upload size per session (4 MiB of weights; blobs are content-addressed and checked before upload)\n',
  );
  console.log(await uploads(server.url));
} finally {
  server.proc.kill('SIGTERM');
}
console.log('\n2. Throughput under bounded load (autocannon)\n');
console.log(await throughput());
