// What an offload server says about its device, and what the client measures about the link, in
// the shape of the cost model's DeviceProfile (src/cost on the planner branch): every number is a
// Figure {value, source, estimate?} in SI units (FLOP/s, bytes/s, seconds, bytes, $/hour), so the
// mapping is field for field: see toDeviceProfile.

import { z } from 'zod';

export const FigureSchema = z.object({
  value: z.number(),
  source: z.string(),
  estimate: z.boolean().optional(),
  note: z.string().optional(),
});
export type WireFigure = z.infer<typeof FigureSchema>;

export const PEAK_CLASSES = ['f64', 'f32', 'f16', 'bf16', 'i8'] as const;

/** The server's own device, as reported by GET /v1/info. */
export const ServerProfileSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** What computes: 'cpu' for the reference and wasm backends, 'gpu' for webgpu (Dawn). */
  kind: z.enum(['cpu', 'gpu', 'accelerator']),
  backend: z.string(),
  peakFlops: z.partialRecord(z.enum(PEAK_CLASSES), FigureSchema),
  memBandwidth: FigureSchema,
  launchOverhead: FigureSchema,
  memCapacity: FigureSchema,
  pricePerHour: FigureSchema,
  /** Runs that can compute at once (worker threads). */
  concurrency: z.number().int().positive(),
  /** Ops the server can run (the client sends only units made of these). */
  supportedOps: z.array(z.string()),
});
export type ServerProfile = z.infer<typeof ServerProfileSchema>;

/** The link from this client to the server, measured by the client. */
export interface LinkProfile {
  /** bytes/s, from timed uploads/downloads of probe bodies and of real traffic. */
  bandwidth: WireFigure;
  /** seconds one way (half the median round trip of a tiny request). */
  latency: WireFigure;
}

/** Everything the planner needs about one remote device. */
export interface RemoteDeviceProfile extends Omit<ServerProfile, 'kind' | 'supportedOps' | 'concurrency'> {
  kind: 'remote';
  /** What the server computes on. */
  serverKind: ServerProfile['kind'];
  concurrency: number;
  link: LinkProfile;
  /** Queue wait the server predicts now, seconds. */
  queueWait: WireFigure;
  url: string;
  origin: 'server';
}

export function remoteProfile(
  url: string,
  server: ServerProfile,
  link: LinkProfile,
  queueWaitMs: number,
): RemoteDeviceProfile {
  const { kind, supportedOps: _s, ...rest } = server;
  return {
    ...rest,
    kind: 'remote',
    serverKind: kind,
    link,
    url,
    origin: 'server',
    queueWait: { value: queueWaitMs / 1000, source: `${url}/v1/info` },
  };
}

/**
 * The cost model's DeviceProfile (src/cost/profile.ts), built structurally so this module does not
 * depend on src/cost: id, name, kind 'remote', peakFlops, memBandwidth, launchOverhead,
 * memCapacity, link {bandwidth, latency}, pricePerHour, origin 'server'.
 */
export function toDeviceProfile(p: RemoteDeviceProfile) {
  return {
    id: p.id,
    name: p.name,
    kind: 'remote' as const,
    peakFlops: p.peakFlops,
    memBandwidth: p.memBandwidth,
    launchOverhead: p.launchOverhead,
    memCapacity: p.memCapacity,
    link: p.link,
    pricePerHour: p.pricePerHour,
    origin: 'server' as const,
    notes: [`offload server ${p.url} (${p.backend} on ${p.serverKind}, ${p.concurrency} concurrent runs)`],
  };
}
