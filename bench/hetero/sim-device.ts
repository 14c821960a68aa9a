// A simulated accelerator for the heterogeneous benchmark: a device that is genuinely separate
// from the host's cores (as a discrete GPU or an offload server would be), which this 2-core
// machine does not have. It sleeps for the time its own profile predicts for each unit and returns
// results memoised per node from the reference interpreter (computed once, on a priming run that
// is not timed), so it costs the host almost no CPU while it "computes", and its answers are the
// reference's (the benchmark checks them).
// What it measures is the runtime: overlap, transfers, ordering. Its arithmetic is simulated.

import type { CompiledUnit, Device, DeviceTensor, Unit } from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { fig } from '../../src/cost/figure.js';
import type { DeviceProfile } from '../../src/cost/profile.js';
import { roofline } from '../../src/cost/roofline.js';
import { addWork, nodeWork } from '../../src/cost/work.js';
import type { Value } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { evalNode } from '../../src/ops/evaluate.js';

const MEMO = new Map<string, Tensor[]>();

/**
 * A coarse fingerprint of a tensor: dims, and the sum of |x| and of x² over a sample of about 2000
 * elements, to 4 significant digits. The same value computed on another device (a few ulps apart)
 * gets the same fingerprint, so a unit's inputs match the memo whichever device produced them;
 * the sample keeps the simulator's own CPU time small (it is meant to cost the host nothing).
 */
function fingerprint(t: Tensor): string {
  const d = t.data as ArrayLike<number | bigint>;
  const step = Math.max(1, Math.floor(d.length / 2048));
  let s = 0,
    q = 0;
  for (let i = 0; i < d.length; i += step) {
    const x = Number(d[i]!);
    s += Math.abs(x);
    q += x * x;
  }
  return `${t.type}[${t.dims.join(',')}]:${s.toPrecision(4)}:${q.toPrecision(4)}`;
}

/** A separate accelerator about as fast as the WASM workers here (100 GFLOP/s), behind a 1 ms, 1 GB/s link. */
export function simProfile(id: string): DeviceProfile {
  const src = 'simulated accelerator (bench/hetero/sim-device.ts)';
  return {
    id,
    name: 'simulated accelerator (sleeps)',
    kind: 'remote',
    peakFlops: { f32: fig(100e9, src) },
    memBandwidth: fig(100e9, src),
    launchOverhead: fig(20e-6, src),
    unitOverhead: fig(200e-6, src),
    memCapacity: fig(16e9, src),
    link: { bandwidth: fig(1e9, src), latency: fig(1e-3, src) },
    pricePerHour: fig(0, src),
    origin: 'server',
    notes: ['sleeps for its predicted time; results memoised from the reference interpreter'],
  };
}

export class SimDevice implements Device {
  readonly kind = 'remote' as const;
  private readonly ref: ReferenceDevice;
  /** Runs that had to compute (a memo miss): the priming run, or a unit never seen. */
  misses = 0;

  constructor(
    readonly id: string,
    readonly profile: DeviceProfile = simProfile(id),
  ) {
    this.ref = new ReferenceDevice(id);
  }

  supports(): true {
    return true;
  }
  compile(unit: Unit): Promise<CompiledUnit> {
    return this.ref.compile(unit);
  }

  /** Node by node from the memo (computed with the reference interpreter on a miss), then sleep. */
  async run(c: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    const t0 = performance.now();
    const { unit } = c;
    const env = new Map<Value, Tensor>();
    for (let i = 0; i < unit.inputs.length; i++) env.set(unit.inputs[i]!, await this.ref.download(inputs[i]!)); // no link: already here
    const read = (v: Value | null) => (v ? (v.const ?? env.get(v)) : undefined);
    for (const n of unit.nodes) {
      const ins = n.inputs.map(read);
      const key = `${n.outputs.map((o) => o?.name).join(',')}|${ins.map((t, i) => (t ? (n.inputs[i]!.const ? 'c' : fingerprint(t)) : '-')).join(',')}`;
      let outs = MEMO.get(key);
      if (!outs) {
        this.misses++;
        outs = evalNode(n, ins);
        MEMO.set(key, outs);
      }
      n.outputs.forEach((o, i) => {
        if (o) env.set(o, outs![i]!);
      });
    }
    const w = unit.nodes.map(nodeWork).reduce(addWork);
    const ms = roofline(w, this.profile).ms + (this.profile.unitOverhead?.value ?? 0) * 1e3;
    const left = ms - (performance.now() - t0);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    return Promise.all(unit.outputs.map((v) => this.ref.upload(read(v)!)));
  }

  /** Transfers take what the profile's link says (latency + bytes / bandwidth). */
  private async link(bytes: number): Promise<void> {
    const ms = (this.profile.link.latency.value + bytes / this.profile.link.bandwidth.value) * 1e3;
    await new Promise((r) => setTimeout(r, ms));
  }

  async upload(t: Tensor): Promise<DeviceTensor> {
    await this.link(t.byteLength);
    return this.ref.upload(t);
  }
  async download(t: DeviceTensor): Promise<Tensor> {
    const x = await this.ref.download(t);
    await this.link(x.byteLength);
    return x;
  }
  release(t: DeviceTensor): void {
    this.ref.release(t);
  }
  /** Kept across sessions (the memo is what makes it cheap); nothing to free. */
  async dispose(): Promise<void> {}
}
