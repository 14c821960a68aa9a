// Transfer cost per edge. Each device has a link to the host; data between two non-host devices
// goes through the host (store and forward), so it pays both links.

import type { DeviceProfile } from './profile.js';

export interface Link {
  latencyMs: number;
  bytesPerMs: number;
}

export function hostLink(p: DeviceProfile): Link {
  return { latencyMs: p.link.latency.value * 1e3, bytesPerMs: p.link.bandwidth.value / 1e3 };
}

/** Time to move `bytes` over one link; same device or empty tensors cost 0. */
export function linkMs(bytes: number, l: Link): number {
  return l.latencyMs + (Number.isFinite(l.bytesPerMs) ? bytes / l.bytesPerMs : 0);
}

/** Effective link between two devices that both hang off the host. */
export function viaHost(a: Link, b: Link): Link {
  const bw =
    1 /
    ((Number.isFinite(a.bytesPerMs) ? 1 / a.bytesPerMs : 0) + (Number.isFinite(b.bytesPerMs) ? 1 / b.bytesPerMs : 0));
  return { latencyMs: a.latencyMs + b.latencyMs, bytesPerMs: bw };
}
