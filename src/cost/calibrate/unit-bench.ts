// Timing a graph on a Device the way the runtime runs it: lowered with the shared passes, compiled
// as one unit, constants uploaded once and kept resident, each run timed to the end of its work
// (device.finish for queue-based devices). Calibrators and the contention probe use it.

import type { CompiledUnit, Device, DeviceTensor } from '../../backends/device.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { unitOf } from '../../ir/unit.js';
import { runPipeline } from '../../passes/index.js';

export class UnitBench {
  private constructor(
    readonly device: Device,
    readonly graph: Graph,
    private readonly cu: CompiledUnit,
    private readonly ins: DeviceTensor[],
  ) {}

  /**
   * passes: what to run on the graph first (default: the runtime's kernel-level passes); feeds in
   * the order of the graph's inputs.
   */
  static async create(
    device: Device,
    graph: Graph,
    feeds: Tensor[],
    passes = ['lower', 'fuse-elementwise', 'fuse-epilogue', 'dce'],
  ): Promise<UnitBench> {
    runPipeline(graph, passes);
    const unit = unitOf(graph, graph.nodes);
    const cu = await device.compile(unit);
    const ins = await Promise.all(
      unit.inputs.map((v) => {
        const t = v.const ?? feeds[graph.inputs.indexOf(v)];
        if (!t) throw new Error(`bench graph '${graph.name}': no feed for input '${v.name}'`);
        return device.upload(t);
      }),
    );
    await device.finish?.();
    return new UnitBench(device, graph, cu, ins);
  }

  /** Run once and wait for the outputs; returns them (the caller releases or downloads). */
  async runOnce(): Promise<DeviceTensor[]> {
    const outs = await this.device.run(this.cu, this.ins);
    await this.device.finish?.();
    return outs;
  }

  /** ms of one run, to the end of its work. */
  async time(): Promise<number> {
    const t0 = performance.now();
    const outs = await this.runOnce();
    const ms = performance.now() - t0;
    this.free(outs);
    return ms;
  }

  /**
   * Untimed runs for at least `ms` (and 2 runs): WASM code starts in a baseline tier and is
   * optimised in the background, so the first tens of milliseconds of runs are slower.
   */
  async warm(ms: number): Promise<void> {
    const t0 = performance.now();
    for (let i = 0; i < 2 || performance.now() - t0 < ms; i++) await this.time();
  }

  /** Best of `repeats` runs after `warmup` untimed ones, ms. */
  async best(repeats: number, warmup = 1): Promise<number> {
    for (let i = 0; i < warmup; i++) await this.time();
    let best = Infinity;
    for (let i = 0; i < repeats; i++) best = Math.min(best, await this.time());
    return best;
  }

  /**
   * Sustained time per run, ms: `k` runs issued back to back, one wait at the end (what a GPU
   * reaches when its queue never drains), best of `repeats` batches.
   */
  async sustained(k: number, repeats = 2): Promise<number> {
    let best = Infinity;
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      for (let i = 0; i < k; i++) this.free(await this.device.run(this.cu, this.ins));
      await this.device.finish?.();
      best = Math.min(best, (performance.now() - t0) / k);
    }
    return best;
  }

  private free(outs: DeviceTensor[]): void {
    for (const o of outs) if (!this.ins.includes(o)) this.device.release(o);
  }

  dispose(): void {
    for (const t of this.ins) this.device.release(t);
  }
}
