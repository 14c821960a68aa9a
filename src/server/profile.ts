// What the server says about its device in GET /v1/info: calibrated at start, priced by flag.

import { hostname, totalmem } from 'node:os';
import { registeredOps } from '../ir/op-def.js';
import type { ServerProfile } from '../protocol/profile.js';
import type { Calibration } from './core.js';
import { MB, type ServerOptions } from './options.js';

export function buildProfile(o: ServerOptions, c: Calibration, port: number): ServerProfile {
  const measured = `calibrated at start (${o.backend} backend)`;
  const workers = Math.max(1, o.workers);
  return {
    id: `switchyard@${hostname()}:${port}`,
    name: `Switchyard offload server (${o.backend}, ${workers} worker${workers > 1 ? 's' : ''})`,
    kind: o.backend === 'webgpu' ? 'gpu' : 'cpu',
    backend: o.backend,
    peakFlops: {
      f32: { value: c.f32Flops * workers, source: measured, note: '128x128 matmul, per worker times workers' },
    },
    memBandwidth: { value: c.memBandwidth, source: measured, note: '4 MiB elementwise add' },
    launchOverhead: { value: c.launchOverhead, source: measured, note: 'one-element graph run' },
    memCapacity: {
      value: Math.min(totalmem(), o.maxStoreMb * MB),
      source: 'os.totalmem() and --max-store-mb',
      estimate: true,
    },
    pricePerHour: {
      value: o.pricePerHour,
      source: o.pricePerHour ? '--price-per-hour' : 'default (no price given)',
      estimate: !o.pricePerHour,
    },
    concurrency: workers,
    supportedOps: registeredOps()
      .map((d) => d.name)
      .filter((n) => !n.startsWith('agent.'))
      .sort(),
  };
}
