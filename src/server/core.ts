// What computes on the server: graphs parsed from wire text over shared blob bytes, prepared with
// the server's backend, run on decoded inputs. Runs inside a worker thread (worker.ts) so the HTTP
// thread never blocks, or in-process with `--workers 0`.

import '../index.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { numericData, Tensor } from '../ir/tensor.js';
import { verifyGraph } from '../ir/verifier.js';
import { ProtocolError } from '../protocol/errors.js';
import { graphFromWire } from '../protocol/graph-wire.js';
import type { ValueSig } from '../protocol/schemas.js';
import { getBackend, type PreparedModel } from '../runtime/backend.js';
import { bindFeeds } from '../runtime/feeds.js';
import { graphWork } from './work.js';

export interface GraphMeta {
  name: string;
  nodes: number;
  inputs: ValueSig[];
  outputs: ValueSig[];
  flops?: number;
  bytes?: number;
  compileMs: number;
}

export interface Calibration {
  /** f32 FLOP/s of a matmul, bytes/s of a large elementwise add, seconds of a one-element run. */
  f32Flops: number;
  memBandwidth: number;
  launchOverhead: number;
}

interface Loaded {
  graph: Graph;
  prepared: PreparedModel;
  constBuffers: Set<ArrayBufferLike>;
}

const sig = (v: {
  name: string;
  type?: { dtype: ValueSig['dtype']; shape?: readonly (number | string)[] };
}): ValueSig => ({
  name: v.name,
  dtype: v.type?.dtype ?? 'float32',
  ...(v.type?.shape ? { shape: [...v.type.shape] } : {}),
});

/** Block the thread, like real compute would (the `--slow-ms` test knob). */
function busyWait(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class ComputeCore {
  private models = new Map<string, Loaded>();
  constructor(readonly backend: string) {}

  async init(): Promise<void> {
    await getBackend(this.backend);
  }

  has(id: string): boolean {
    return this.models.has(id);
  }

  async load(id: string, text: string, blobs: Map<string, Uint8Array>): Promise<GraphMeta> {
    const t0 = performance.now();
    const graph = graphFromWire(text, (h) => blobs.get(h));
    try {
      verifyGraph(graph);
    } catch (e) {
      throw new ProtocolError('compile_failed', `graph does not verify: ${(e as Error).message}`);
    }
    let prepared: PreparedModel;
    try {
      prepared = await (await getBackend(this.backend)).prepare(graph, {});
    } catch (e) {
      throw new ProtocolError(
        'compile_failed',
        `backend '${this.backend}' cannot compile the graph: ${(e as Error).message}`,
      );
    }
    const old = this.models.get(id);
    if (old) await old.prepared.release();
    const constBuffers = new Set<ArrayBufferLike>();
    for (const c of graph.constants()) if (c.const!.type !== 'string') constBuffers.add(numericData(c.const!).buffer);
    this.models.set(id, { graph, prepared, constBuffers });
    const work = graphWork(graph);
    return {
      name: graph.name,
      nodes: graph.nodes.length,
      inputs: graph.inputs.map(sig),
      outputs: graph.outputs.map(sig),
      ...(work ? { flops: work.flops, bytes: work.bytes } : {}),
      compileMs: performance.now() - t0,
    };
  }

  async unload(id: string): Promise<void> {
    const m = this.models.get(id);
    this.models.delete(id);
    if (m) await m.prepared.release();
  }

  async run(
    id: string,
    inputs: Map<string, Tensor>,
    wanted: string[] | undefined,
    slowMs = 0,
  ): Promise<{ outputs: [string, Tensor][]; computeMs: number; constBuffers: Set<ArrayBufferLike> }> {
    const m = this.models.get(id);
    if (!m) throw new ProtocolError('unknown_graph', `graph ${id} is not loaded`);
    let feeds: Tensor[];
    try {
      feeds = bindFeeds(m.graph, Object.fromEntries(inputs));
    } catch (e) {
      throw new ProtocolError('bad_request', (e as Error).message);
    }
    const names = m.graph.outputs.map((v) => v.name);
    for (const w of wanted ?? [])
      if (!names.includes(w))
        throw new ProtocolError('bad_request', `unknown output '${w}'; the graph's outputs are ${names.join(', ')}`);
    const t0 = performance.now();
    busyWait(slowMs);
    let outs: Tensor[];
    try {
      outs = await m.prepared.run(feeds);
    } catch (e) {
      throw new ProtocolError('run_failed', (e as Error).message);
    }
    const computeMs = performance.now() - t0;
    const outputs: [string, Tensor][] = [];
    names.forEach((n, i) => {
      if (!wanted || wanted.includes(n)) outputs.push([n, outs[i]!]);
    });
    return { outputs, computeMs, constBuffers: m.constBuffers };
  }

  /**
   * Small timed runs through the backend, best of several: enough for first estimates, which real
   * runs then refine. Peak figures are what the device does when it has the CPU, so a run's time is
   * its CPU time where that is shorter than the wall clock (other processes preempting the machine
   * at start must not make the server advertise itself as slow for its whole life).
   */
  async calibrate(): Promise<Calibration> {
    const backend = await getBackend(this.backend);
    const time = async (g: Graph, feeds: Tensor[], reps: number, cpuTime = true) => {
      const p = await backend.prepare(g, {});
      await p.run(feeds);
      let best = Infinity;
      for (let i = 0; i < reps; i++) {
        const c = process.cpuUsage();
        const t = performance.now();
        await p.run(feeds);
        const wall = performance.now() - t;
        const u = process.cpuUsage(c);
        const cpu = (u.user + u.system) / 1000;
        best = Math.min(best, cpuTime && cpu > 0 ? Math.min(wall, cpu) : wall);
      }
      await p.release();
      return best / 1000;
    };
    const n = 128;
    const mm = new GraphBuilder('calibrate-matmul');
    const a = mm.input('a', 'float32', [n, n]);
    mm.output(mm.matmul(a, mm.constant(Tensor.zeros('float32', [n, n]))), 'y');
    const tMm = await time(mm.build(), [Tensor.zeros('float32', [n, n])], 9);
    const m = 1 << 20;
    const add = new GraphBuilder('calibrate-add');
    const x = add.input('x', 'float32', [m]);
    add.output(add.add(x, x), 'y');
    const tAdd = await time(add.build(), [Tensor.zeros('float32', [m])], 5);
    const one = new GraphBuilder('calibrate-launch');
    const z = one.input('z', 'float32', [1]);
    one.output(one.add(z, z), 'y');
    // too short for CPU-time resolution
    const tOne = await time(one.build(), [Tensor.zeros('float32', [1])], 20, false);
    return { f32Flops: (2 * n * n * n) / tMm, memBandwidth: (12 * m) / tAdd, launchOverhead: tOne };
  }
}
