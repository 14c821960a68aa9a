// Costs of model nodes (embed, prefill, decode) for the agent planner, steady and first run apart.
// Each device is costed on the graph that runs there: the engine's (or embedder's) graph for that
// device (bodyOn), lowered on a copy as the device compiles it (kernelsOf). No body is built for
// planning alone: a model no engine runs has none (a host task); a server is costed by roofline on
// the body the lowering attached (the engine's graph for its placed device).
// Steady: each step of the model is a unit run of its body graph: the body's FLOPs and bytes with
// one launch per kernel, estimated per step (the device's re-fit curve where units ran on it, so
// the per-unit fixed cost is what this machine showed), times the steps; a decode step also
// downloads its logits and samples them on the host. First run: an engine (or embedder) that has
// not compiled the step's graph on the device compiles it, uploads and packs its weights and uses
// it for the first time (cost/first-run.ts), scaled by what first runs measured on the device.

import type { Device } from '../backends/device.js';
import type { Estimator } from '../cost/estimator.js';
import { firstRunOf } from '../cost/first-run.js';
import { type DeviceProfile, peakFlopsFor } from '../cost/profile.js';
import { hostLink, linkMs } from '../cost/transfer.js';
import { nodeWork } from '../cost/work.js';
import type { Graph, Node } from '../ir/graph.js';
import { graphCost } from '../ops/agent.js';
import { kernelForm } from './llm/program.js';
import { EngineProvider, ModelEmbedder } from './nodes/models.js';
import type { AgentResources } from './types.js';

export function bodyOf(n: Node): Graph | undefined {
  const b = n.attrs.body;
  return b?.kind === 'graph' ? b.value : undefined;
}

/** How many times a model node runs its body: prompt chunks, decode steps, one embedding. */
export function stepsOf(n: Node): number {
  if (n.op === 'agent.decode') return Math.max(1, ((n.attrs.max_tokens?.value as number | undefined) ?? 64) - 1);
  if (n.op === 'agent.prefill') {
    const chunk = (bodyOf(n)?.inputs[0]?.type?.shape?.[1] as number | undefined) ?? 1;
    return Math.max(1, Math.ceil(((n.attrs.prompt_tokens?.value as number | undefined) ?? 64) / chunk));
  }
  return 1;
}

/**
 * The body a model node runs on `device`: the graph its engine (or embedder) compiles there, which
 * may differ per device (the step ops a device has kernels for). Without an engine, or on a server
 * (its roofline takes the lowered body), the node's own body.
 */
export function bodyOn(n: Node, device: Device | undefined, res: AgentResources): Graph | undefined {
  const b = bodyOf(n);
  const model = n.attrs.model?.value as string | undefined;
  if (!b || !device || !model || device.kind === 'remote') return b;
  if (n.op === 'agent.embed') {
    const e = res.embedders.get(model);
    const tokens = (b.inputs[0]?.type?.shape?.[1] as number | undefined) ?? 32;
    return e instanceof ModelEmbedder ? e.graphFor(device, tokens) : b;
  }
  const e = res.llms.get(model);
  if (!(e instanceof EngineProvider)) return b;
  const prompt = (n.attrs.prompt_tokens?.value as number | undefined) ?? 64;
  return e.engine.stepGraph(device, n.op === 'agent.decode' ? 1 : e.engine.bucketOf(prompt));
}

const bodyWork = new WeakMap<Graph, { flops: number; bytes: number }>();
function workOf(b: Graph): { flops: number; bytes: number } {
  let w = bodyWork.get(b);
  if (!w) bodyWork.set(b, (w = graphCost(b)));
  return w;
}

/**
 * Steady time of a model node on a device, ms: the FLOPs and bytes of the body it runs there, one
 * launch per kernel of that body as the device compiles it; undefined without a body.
 */
export function steadyModelMs(
  est: Estimator,
  n: Node,
  p: DeviceProfile,
  host: DeviceProfile,
  device?: Device,
  res?: AgentResources,
): number | undefined {
  const b = res ? bodyOn(n, device, res) : bodyOf(n);
  if (!b) return undefined;
  const steps = stepsOf(n);
  const w = workOf(b);
  const launches = device ? kernelsOf(b, device.kind).length : b.nodes.length;
  const step = { flops: w.flops, bytes: w.bytes, dtype: nodeWork(n).dtype, launches };
  let ms = est.estimate(step, p).ms;
  if (n.op === 'agent.decode') {
    // each token: the logits come back to the host and are sampled there
    const vocab = (b.outputs[0]?.type?.shape?.at(-1) as number | undefined) ?? 0;
    const down = p.id === host.id ? 0 : linkMs(vocab * 4, hostLink(p));
    ms += down + ((vocab * 8) / peakFlopsFor(host, 'float32')) * 1e3;
  }
  return ms * steps;
}

/**
 * What the node's first run on `device` costs beyond a steady one, ms: 0 when its graph is
 * compiled there already (or the model is not one the engine runs); `tokens` picks the prefill bucket.
 */
export function coldExtraMs(
  n: Node,
  p: DeviceProfile,
  device: Device | undefined,
  res: AgentResources,
  ratio: number,
): number {
  const b = bodyOn(n, device, res);
  const model = n.attrs.model?.value as string | undefined;
  if (!b || !device || !model) return 0;
  if (n.op === 'agent.embed') {
    const e = res.embedders.get(model);
    if (!(e instanceof ModelEmbedder) || e.isCompiled(device)) return 0;
  } else {
    const e = res.llms.get(model);
    const tokens = n.op === 'agent.decode' ? 1 : ((n.attrs.prompt_tokens?.value as number | undefined) ?? 64);
    if (!(e instanceof EngineProvider) || e.engine.isCompiled(device, tokens)) return 0;
  }
  // the decode graph shares the engine's weight cache with the prefill graphs: their upload and
  // packing are the prefill's
  const kernels = kernelsOf(b, device.kind);
  return firstRunOf(kernels, p, new Set(), ratio, device.kind === 'reference', n.op !== 'agent.decode').ms;
}

/**
 * The body as a device of `kind` compiles it (DeviceProgram's passes, on a copy: the body is the
 * engine's graph, which it compiles itself and must not find changed): what launches, compiles, packs.
 */
const lowered = new WeakMap<Graph, Map<string, Graph>>();
function loweredOf(b: Graph, kind: string): Graph {
  let byKind = lowered.get(b);
  if (!byKind) lowered.set(b, (byKind = new Map()));
  let g = byKind.get(kind);
  if (!g) byKind.set(kind, (g = kernelForm(b, kind)));
  return g;
}
export const kernelsOf = (b: Graph, kind: string): Node[] => loweredOf(b, kind).nodes;

/** What the plan costs for a model node on `device`: its body there and that body as the device compiles it. */
export function costedGraphs(
  n: Node,
  device: Device,
  res: AgentResources,
): { body: Graph; kernels: Graph } | undefined {
  const body = bodyOn(n, device, res);
  if (!body) return undefined;
  return { body, kernels: loweredOf(body, device.kind) };
}
