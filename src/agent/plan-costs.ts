// Costs of model nodes (embed, prefill, decode) for the agent planner, steady and first run apart.
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
import { runPipeline } from '../passes/index.js';
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

/** Steady time of a model node on a device from its body, ms; undefined without a body. */
export function steadyModelMs(est: Estimator, n: Node, p: DeviceProfile, host: DeviceProfile): number | undefined {
  const b = bodyOf(n);
  if (!b) return undefined;
  const steps = stepsOf(n);
  const w = nodeWork(n);
  const step = { flops: w.flops / steps, bytes: w.bytes / steps, dtype: w.dtype, launches: b.nodes.length };
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
  const b = bodyOf(n);
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
  return firstRunOf(kernelsOf(b), p, new Set(), ratio, device.kind === 'reference', n.op !== 'agent.decode').ms;
}

/** The body as the device will compile it (lowered and fused, as DeviceProgram does): what compiles, what packs. */
const lowered = new WeakMap<Graph, Node[]>();
function kernelsOf(b: Graph): Node[] {
  let ns = lowered.get(b);
  if (!ns) {
    // the plan's body graphs are built for planning alone (the engine builds its own), and their
    // cost was taken (and cached) before: lowering one is safe
    runPipeline(b, ['lower', 'fuse-elementwise', 'fuse-epilogue', 'dce']);
    ns = [...b.nodes];
    lowered.set(b, ns);
  }
  return ns;
}
