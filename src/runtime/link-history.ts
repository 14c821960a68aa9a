// Measured transfers correct the links the planner assumes. Each run's transfers to and from a
// device are compared with what its profile's link predicts (latency + bytes / bandwidth); the
// running ratio scales that device's link for the next plan. A transfer measures everything it
// waited for (a GPU readback behind queued work, a timer or a response held up while the main
// thread computed), which is what a plan that moves data back and forth has to pay.

import { fig } from '../cost/figure.js';
import type { DeviceProfile } from '../cost/profile.js';
import { hostLink, linkMs } from '../cost/transfer.js';
import type { TransferTiming } from './executor.js';

export class LinkHistory {
  private ratio = new Map<string, number>();
  /** The ratio each device's link had when the current plan was made (see corrected). */
  private used = new Map<string, number>();

  /** alpha: weight of a new run in the running ratio. */
  constructor(private readonly alpha = 0.3) {}

  /**
   * Folds one run's transfers in. Returns the devices whose running ratio has moved more than
   * `drift` times away from the one the current plan used, with this run's transfers more than
   * 1 ms off that plan's prediction in all (one slow run alone moves the mean too little).
   */
  record(transfers: TransferTiming[], profileOf: (id: string) => DeviceProfile | undefined, drift: number): string[] {
    const sums = new Map<string, { measured: number; predicted: number }>();
    for (const t of transfers) {
      const dev = t.from === 'host' ? t.to : t.from;
      const p = profileOf(dev);
      if (!p) continue;
      const s = sums.get(dev) ?? { measured: 0, predicted: 0 };
      s.measured += t.endMs - t.startMs;
      s.predicted += linkMs(t.bytes, hostLink(p));
      sums.set(dev, s);
    }
    const drifted: string[] = [];
    for (const [dev, s] of sums) {
      if (!(s.predicted > 0)) continue;
      const r = Math.max(s.measured, 1e-3) / s.predicted;
      const prev = this.ratio.get(dev);
      const now = prev === undefined ? r : prev * Math.exp(this.alpha * Math.log(r / prev));
      this.ratio.set(dev, now);
      const used = this.used.get(dev) ?? 1;
      if ((now > drift * used || now * drift < used) && Math.abs(s.measured - s.predicted * used) > 1)
        drifted.push(dev);
    }
    return drifted;
  }

  /** The measured/predicted ratio for a device's transfers (1 when none were measured). */
  ratioOf(dev: string): number {
    return this.ratio.get(dev) ?? 1;
  }

  /** The profile with its link scaled by what transfers measured (the profile itself when nothing was). */
  corrected(p: DeviceProfile): DeviceProfile {
    const r = this.ratio.get(p.id);
    if (r === undefined || !Number.isFinite(p.link.bandwidth.value)) return p;
    this.used.set(p.id, r);
    const src = `measured transfers: ${r.toFixed(2)}x the profile's link`;
    return {
      ...p,
      link: {
        bandwidth: fig(p.link.bandwidth.value / r, src, { note: p.link.bandwidth.source }),
        latency: fig(p.link.latency.value * r, src, { note: p.link.latency.source }),
      },
    };
  }
}
