// prepareOnDevice's `fallback` option with a device that fails on cue: units move to the fallback,
// values already computed are reused, values lost with the device are recomputed, and every switch
// is recorded; without a fallback the error surfaces.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import {
  type CompiledUnit,
  type Device,
  DeviceError,
  type DeviceTensor,
  type Unit,
} from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import type { Node } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { type DeviceFallback, prepareOnDevice } from '../../src/runtime/single-device.js';
import { closeTo, input, mlp } from '../helpers/offload.js';

/** The reference device, minus Softmax, failing its Nth run (and losing its tensors if asked). */
class Flaky implements Device {
  readonly kind = 'remote' as const;
  readonly id = 'flaky';
  private inner = new ReferenceDevice('inner');
  runs = 0;
  dead = false;
  constructor(
    private failAt: number,
    private loseTensors = false,
  ) {}
  supports(n: Node): true | string {
    return n.op === 'nn.Softmax' ? 'no softmax here' : true;
  }
  compile(u: Unit): Promise<CompiledUnit> {
    return this.inner.compile(u);
  }
  async run(c: CompiledUnit, ins: DeviceTensor[]): Promise<DeviceTensor[]> {
    if (++this.runs === this.failAt) {
      this.dead = true;
      throw new DeviceError('device lost', this.id);
    }
    return this.inner.run(c, ins);
  }
  upload(t: Tensor) {
    return this.inner.upload(t);
  }
  async download(t: DeviceTensor) {
    if (this.dead && this.loseTensors) throw new DeviceError('tensor lost with the device', this.id);
    return this.inner.download(t);
  }
  release() {}
  async dispose() {}
}

test('a unit that fails moves to the fallback; the earlier unit is reused', async () => {
  const g = mlp(60);
  const x = input(60, 3);
  const dev = new Flaky(2);
  const events: DeviceFallback[] = [];
  const p = await prepareOnDevice(g, dev, { fallback: new ReferenceDevice('cpu'), onFallback: (e) => events.push(e) });
  const [y] = await p.run([x]);
  assert.ok(closeTo(y!, interpret(mlp(60), [x])[0]!));
  assert.equal(dev.runs, 2, 'the first unit ran once, on the device');
  assert.deepEqual(
    events.map((e) => [e.phase, e.step, e.from, e.to]),
    [['run', 2, 'flaky', 'cpu']],
  );
  assert.equal(p.deviceFallbacks.length, 1);
  // within retryAfterMs the device is skipped
  await p.run([x]);
  assert.equal(dev.runs, 2);
});

test('values lost with the device are recomputed on the fallback', async () => {
  const g = mlp(61);
  const x = input(61, 2);
  const dev = new Flaky(2, true);
  const p = await prepareOnDevice(g, dev, { fallback: new ReferenceDevice('cpu'), retryAfterMs: 0 });
  const [y] = await p.run([x]);
  assert.ok(closeTo(y!, interpret(mlp(61), [x])[0]!));
  assert.deepEqual(
    p.deviceFallbacks.map((e) => e.phase),
    ['run'],
  );
});

test('a value lost before anything else failed is recomputed on the fallback', async () => {
  const g = mlp(62);
  const x = input(62, 2);
  const dev = new Flaky(99, true);
  dev.dead = true; // every download fails, every run works
  const p = await prepareOnDevice(g, dev, { fallback: new ReferenceDevice('cpu'), retryAfterMs: 0 });
  const [y] = await p.run([x]);
  assert.ok(closeTo(y!, interpret(mlp(62), [x])[0]!));
  assert.ok(p.deviceFallbacks.some((e) => e.phase === 'download'));
});

test('without a fallback the device error surfaces', async () => {
  const p = await prepareOnDevice(mlp(63), new Flaky(1), {});
  await assert.rejects(p.run([input(63, 1)]), /device lost/);
});
