// Devices for runtime tests: the reference interpreter behind a chosen op set, an artificial
// asynchronous latency (as a GPU queue or a server would have) and injected failures.

import { type CompiledUnit, DeviceError, type DeviceTensor, type Unit } from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { WASM } from '../../src/cost/catalog/local.js';
import { fig } from '../../src/cost/figure.js';
import type { DeviceProfile } from '../../src/cost/profile.js';
import type { Node } from '../../src/ir/graph.js';

export class FakeDevice extends ReferenceDevice {
  runs = 0;
  failAfter = Infinity;
  constructor(
    id: string,
    private readonly only: (n: Node) => boolean = () => true,
    private readonly delayMs = 0,
  ) {
    super(id);
  }
  override supports(n: Node): true {
    return (this.only(n) ? true : `${this.id} has no kernel for ${n.op}`) as true;
  }
  override async compile(unit: Unit): Promise<CompiledUnit> {
    return super.compile(unit);
  }
  override async run(c: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    this.runs++;
    if (this.runs > this.failAfter) throw new DeviceError(`${this.id} stopped answering`, this.id);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return super.run(c, inputs);
  }
}

/** A fast profile, so the planner prefers the fake device over the host interpreter. */
export function fastProfile(id: string, gflops = 100): DeviceProfile {
  return {
    ...structuredClone(WASM),
    id,
    name: id,
    peakFlops: { f32: fig(gflops * 1e9, 'test') },
    launchOverhead: fig(1e-6, 'test'),
  };
}
