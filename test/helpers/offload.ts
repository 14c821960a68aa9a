// Offload servers for tests: in-process (startServer on port 0) or a child process running
// `switchyard serve` (for kill tests), and small graphs with real weights.

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import '../../src/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { type OffloadServer, type ServerOptions, startServer } from '../../src/server/app.js';
import { CLI } from './paths.js';
import { seeded } from './weights.js';

export const TOKEN = 'test-token-1234';

export function testServer(o: Partial<ServerOptions> = {}): Promise<OffloadServer> {
  return startServer({ host: '127.0.0.1', port: 0, token: TOKEN, logLevel: 'silent', workers: 1, ...o });
}

export interface Child {
  url: string;
  proc: ChildProcess;
  kill(sig?: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

/** `switchyard serve --port 0 …` in a child process; resolves once it listens. */
export function spawnServer(args: string[] = []): Promise<Child> {
  const proc = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--token', TOKEN, '--log-level', 'info', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  let err = '';
  proc.stderr!.on('data', (d) => {
    err += String(d);
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => reject(new Error(`server did not start in 90 s: ${err}`)), 90_000);
    lines.on('line', (l) => {
      try {
        const j = JSON.parse(l) as { url?: string; msg?: string };
        if (j.msg === 'switchyard offload server listening' && j.url) {
          clearTimeout(timer);
          resolve({
            url: j.url,
            proc,
            exited,
            kill: (s = 'SIGKILL') => {
              proc.kill(s);
            },
          });
        }
      } catch {
        /* not JSON */
      }
    });
    proc.on('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${c}: ${err}`));
    });
  });
}

/** x[b,n] -> matmul -> relu -> softmax -> matmul -> tanh: two units around a softmax when softmax stays local. */
export function mlp(seed: number, n = 32, hidden = 64): Graph {
  const r = seeded(seed);
  const g = new GraphBuilder(`mlp${seed}`);
  const x = g.input('x', 'float32', ['b', n]);
  const h = g.relu(g.matmul(x, g.constant(r.tensor([n, hidden]), 'w1')));
  const s = g.softmax(h);
  const y = g.op('Tanh', [g.matmul(s, g.constant(r.tensor([hidden, n]), 'w2'))]);
  g.output(y, 'y');
  return g.build();
}

export function input(seed: number, b: number, n = 32): Tensor {
  return seeded(seed + 1000).tensor([b, n], 1);
}

export function closeTo(a: Tensor, b: Tensor, tol = 1e-5): boolean {
  if (a.type !== b.type || a.dims.join() !== b.dims.join()) return false;
  const x = a.toNumbers(),
    y = b.toNumbers();
  return x.every((v, i) => Math.abs(v - y[i]!) <= tol * (1 + Math.abs(y[i]!)));
}
