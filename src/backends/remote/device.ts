// RemoteDevice: a Device whose units compute on an offload server. compile() sends the unit as IR
// text with its large constants as content-addressed blobs (uploaded only when the server lacks
// them); run() sends the unit's inputs in one tensor frame with a deadline and gets its outputs back.
// Tensors a remote unit produces are returned to the client at once: they are what the local
// fallback reuses when the server dies later in the run, and what the next unit sends back
// (the heterogeneous runtime can keep them server-side once the protocol grows handles).

import type { DType } from '../../ir/dtype.js';
import { Graph, type Node } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { graphToWire, type WireGraph } from '../../protocol/graph-wire.js';
import type { LlmInfo } from '../../protocol/llm.js';
import { type LinkProfile, type RemoteDeviceProfile, remoteProfile } from '../../protocol/profile.js';
import type { Info, RunResultMeta } from '../../protocol/schemas.js';
import { type CompiledUnit, type Device, type DeviceTensor, hostOnlyReason, type Unit } from '../device.js';
import { RemoteClient, type RemoteClientOptions, RemoteError } from './client.js';

export interface RemoteDeviceOptions extends RemoteClientOptions {
  /** Budget of every run, ms (the server refuses early when it cannot meet it). Default 30000. */
  deadlineMs?: number;
  /** Ops to keep local even when the server could run them. */
  unsupportedOps?: string[];
  /** Measure link bandwidth with probe bodies of this many bytes at connect (0: skip). Default 256 KiB. */
  probeBytes?: number;
  id?: string;
}

/** A tensor the client holds for the remote device (see the note at the top). */
class HeldTensor implements DeviceTensor {
  constructor(readonly tensor: Tensor) {}
  get type(): DType {
    return this.tensor.type;
  }
  get dims(): readonly number[] {
    return this.tensor.dims;
  }
}

interface RemoteUnit extends CompiledUnit {
  wire: WireGraph;
  /** positions in unit.inputs that are fed (constants travel in the graph) */
  fed: number[];
}

export interface RemoteRunRecord {
  graph: string;
  ms: number;
  meta: RunResultMeta;
}

export class RemoteDevice implements Device {
  readonly kind = 'remote' as const;
  readonly id: string;
  readonly client: RemoteClient;
  private supported: Set<string>;
  private link: LinkProfile;
  /** Last run of each unit: round trip and the server's queue/compute split (for traces and the cost model). */
  readonly lastRuns: RemoteRunRecord[] = [];

  private constructor(
    private opts: RemoteDeviceOptions,
    client: RemoteClient,
    private serverInfo: Info,
    link: LinkProfile,
  ) {
    this.client = client;
    this.id = client.deviceId;
    const deny = new Set(opts.unsupportedOps ?? []);
    this.supported = new Set(serverInfo.profile.supportedOps.filter((op) => !deny.has(op)));
    this.link = link;
  }

  /** Check the server (health, protocol version, info) and measure the link. */
  static async connect(opts: RemoteDeviceOptions): Promise<RemoteDevice> {
    const client = new RemoteClient({ ...opts, deviceId: opts.id ?? `remote:${opts.url.replace(/\/+$/, '')}` });
    const rtts: number[] = [];
    await client.health(opts.timeoutMs ?? 10_000);
    for (let i = 0; i < 3; i++) rtts.push(await client.ping());
    const info = await client.info();
    const link = await measureLink(client, rtts, opts.probeBytes ?? 256 << 10, info.limits.maxProbeBytes);
    return new RemoteDevice(opts, client, info, link);
  }

  supports(node: Node): true | string {
    if (!this.supported.has(node.op)) return `the offload server at ${this.client.url} has no ${node.op}`;
    // control flow, sequences and strings run locally (the wire carries numeric tensors)
    return hostOnlyReason(node) ?? true;
  }

  async compile(unit: Unit): Promise<CompiledUnit> {
    const g = new Graph(`unit`);
    const fed: number[] = [];
    unit.inputs.forEach((v, i) => {
      if (!v.const) {
        fed.push(i);
        g.inputs.push(v);
      }
    });
    g.nodes = unit.nodes;
    g.outputs = unit.outputs;
    // no opsets: imported nodes are already in their canonical (opset-independent) form
    const wire = await graphToWire(g);
    await this.client.ensureGraph(wire);
    const c: RemoteUnit = { unit, wire, fed };
    return c;
  }

  async run(c: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    const u = c as RemoteUnit;
    const feeds = u.fed.map((i) => [u.unit.inputs[i]!.name, (inputs[i] as HeldTensor).tensor] as const);
    const bytes = feeds.reduce((a, [, t]) => a + t.byteLength, 0);
    const limit = this.serverInfo.limits.maxBodyBytes;
    if (bytes > limit) {
      throw new RemoteError(
        'payload_too_large',
        `${this.client.url}: the unit's inputs are ${bytes} bytes, over the server's body limit of ${limit} bytes`,
        413,
        undefined,
        {},
        this.id,
      );
    }
    const send = () => this.client.run(u.wire.id, feeds, { deadlineMs: this.opts.deadlineMs ?? 30_000 });
    let r;
    try {
      r = await send();
    } catch (e) {
      // the server restarted or evicted the graph: upload it again (blobs only where missing), once
      if (!(e instanceof RemoteError) || e.code !== 'unknown_graph') throw e;
      this.client.forget();
      await this.client.ensureGraph(u.wire);
      r = await send();
    }
    this.lastRuns.push({ graph: u.wire.id, ms: r.ms, meta: r.meta });
    if (this.lastRuns.length > 100) this.lastRuns.shift();
    this.observe(
      r.ms - r.meta.serverMs,
      feeds.reduce((a, [, t]) => a + t.byteLength, 0) + [...r.outputs.values()].reduce((a, t) => a + t.byteLength, 0),
    );
    return u.unit.outputs.map((v) => {
      const t = r.outputs.get(v.name);
      if (!t)
        throw new RemoteError(
          'bad_response',
          `${this.client.url}: run result lacks output '${v.name}'`,
          undefined,
          undefined,
          {},
          this.id,
        );
      return new HeldTensor(t);
    });
  }

  async upload(t: Tensor): Promise<DeviceTensor> {
    return new HeldTensor(t);
  }
  async download(t: DeviceTensor): Promise<Tensor> {
    return (t as HeldTensor).tensor;
  }
  release(): void {}
  async dispose(): Promise<void> {}

  /** Bearer token the device was connected with (the chat route takes the same). */
  get token(): string | undefined {
    return this.opts.token;
  }

  /** Language models the server serves on /v1/chat/completions, with their measured figures. */
  get llms(): LlmInfo[] {
    return this.serverInfo.llms ?? [];
  }

  /** How long a chat completion sent now would wait for the server's LLM worker, ms. */
  get llmQueueWaitMs(): number {
    return this.serverInfo.llmQueue?.estimatedWaitMs ?? 0;
  }

  /** What the planner needs: the server's profile, the measured link, the price and current queue. */
  profile(): RemoteDeviceProfile {
    return remoteProfile(this.client.url, this.serverInfo.profile, this.link, this.serverInfo.queue.estimatedWaitMs);
  }

  /** Refresh the server's profile and queue (GET /v1/info). */
  async refresh(): Promise<RemoteDeviceProfile> {
    this.serverInfo = await this.client.info();
    return this.profile();
  }

  /** Fold a real transfer into the bandwidth figure (time on the wire beyond the server's own time). */
  private observe(wireMs: number, bytes: number): void {
    const lat = this.link.latency.value * 2 * 1000;
    if (bytes < 1 << 20 || wireMs <= lat) return;
    const bw = bytes / ((wireMs - lat) / 1000);
    this.link.bandwidth = { value: 0.8 * this.link.bandwidth.value + 0.2 * bw, source: 'measured (probes and runs)' };
  }
}

async function measureLink(
  client: RemoteClient,
  rtts: number[],
  probeBytes: number,
  maxProbe: number,
): Promise<LinkProfile> {
  rtts.sort((a, b) => a - b);
  const rtt = rtts[rtts.length >> 1]!;
  const latency = { value: rtt / 2000, source: `measured: median of ${rtts.length} empty round trips / 2` };
  const n = Math.min(probeBytes, maxProbe);
  if (n <= 0) return { latency, bandwidth: { value: 1e9, source: 'assumed (no probe)', estimate: true } };
  const { upMs, downMs } = await client.probe(n);
  const up = n / Math.max(1e-6, (upMs - rtt) / 1000);
  const down = n / Math.max(1e-6, (downMs - rtt) / 1000);
  return {
    latency,
    bandwidth: { value: Math.min(up, down), source: `measured: ${n}-byte probes up and down (slower of the two)` },
  };
}
