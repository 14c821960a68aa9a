// The placed Device instances reach retrieval: an exact search placed on a device runs on that very
// device object (the one the session's DeviceSet holds), and opens no device of its own (the
// index's own backend names one that cannot be opened, so a second device would fail the run).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import '../../src/index.js';
import { agentGraph } from '../../src/agent/graph/builder.js';
import { functionEmbedder } from '../../src/agent/nodes/models.js';
import { ExactIndex } from '../../src/agent/retrieval/exact.js';
import type { CompiledUnit, DeviceTensor, Unit } from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import type { Tensor } from '../../src/ir/tensor.js';

/** A reference device that counts what ran on it. */
class CountingDevice extends ReferenceDevice {
  compiled = 0;
  ran = 0;
  uploads = 0;
  override async compile(unit: Unit): Promise<CompiledUnit> {
    this.compiled++;
    return super.compile(unit);
  }
  override async run(unit: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    this.ran++;
    return super.run(unit, inputs);
  }
  override async upload(t: Tensor): Promise<DeviceTensor> {
    this.uploads++;
    return super.upload(t);
  }
}

const vec = (t: string) => Float32Array.from({ length: 4 }, (_, i) => (t.charCodeAt(i % t.length) % 7) + i);

describe('placed devices', () => {
  it('exact retrieval runs on the placed Device instance and opens no device of its own', async () => {
    const index = new ExactIndex(4, { backend: 'no-such-backend' });
    for (const [i, t] of ['alpha', 'beta', 'gamma', 'delta'].entries()) index.add(vec(t), { id: String(i), text: t });
    const host = new CountingDevice({ id: 'cpu' });
    const placed = new CountingDevice({ id: 'accel' });
    const a = await agentGraph('placed')
      .input('q')
      .model('enc', functionEmbedder('enc', 4, vec))
      .index('docs', index, 'enc')
      .retrieve('search', { index: 'docs', query: '{{inputs.q}}', k: 2 })
      .output('search')
      .prepare({
        devices: new Map([
          ['cpu', host],
          ['accel', placed],
        ]),
        defaultDevice: 'cpu',
      });
    const placement = new Map([['search', { device: 'accel' }]]);
    const r = await a.runner.run({ inputs: { q: 'gamma' }, placement }).done();
    const hits = r.outputs.search as { text: string }[];
    assert.equal(hits[0]!.text, 'gamma');
    assert.equal(r.records[0]!.device, 'accel');
    assert.ok(placed.compiled > 0 && placed.ran > 0, 'the search graph ran on the placed device');
    assert.equal(host.ran, 0, 'nothing of the search ran on the host device');
    // a second search reuses the program and the documents already resident on the device
    const uploads = placed.uploads;
    await a.runner.run({ inputs: { q: 'beta' }, placement }).done();
    assert.equal(placed.uploads, uploads + 1, 'only the query is uploaded again');
    // without a placed device the index would open its own backend: that is the path the run avoided
    await assert.rejects(index.search(vec('beta'), 2), /no-such-backend/);
    a.dispose();
  });
});
