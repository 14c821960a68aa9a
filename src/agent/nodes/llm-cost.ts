// The planner's tasks of an llm node run by the engine: prefill and decode, each on any allowed
// device, joined by the KV cache. On a server, engine steps pay a KV cache round trip per prefill
// chunk and per decode token; a server that serves the model with the same weights may also run
// both phases through its chat route, at the TTFT and TPOT it measured plus the link (an option the
// planner tries against the plan without it).

import { hostLink } from '../../cost/transfer.js';
import { typeBytes } from '../../cost/work.js';
import type { Node } from '../../ir/graph.js';
import { llmTtftMs } from '../../protocol/llm.js';
import type { CostContext, SpecOf } from './kind.js';
import { EngineProvider } from './models.js';

const pinned = (pin?: string) => !!pin && pin !== 'auto' && pin !== 'local';

export function llmCost(id: string, n: SpecOf<'llm'>, pre: Node, dec: Node, c: CostContext): void {
  const maxTokens = dec.attrs.max_tokens!.value as number;
  const weights = pre.attrs.weight_bytes!.value as number;
  const kv = typeBytes(pre.outputs[0]!.type);
  const prompt = c.promptTokens.get(id) ?? 64;
  const prefillMs: Record<string, number> = {},
    perToken: Record<string, number> = {},
    zero: Record<string, number> = {};
  const pinPre = n.prefillDevice ?? n.device,
    pinDec = n.decodeDevice ?? n.device;
  for (const p of c.allowed(id)) {
    prefillMs[p.id] = c.estimate(pre, p, `${id}.prefill`);
    // the decode op's cost covers max_tokens - 1 steps; per token is one body step
    perToken[p.id] = c.estimate(dec, p, `${id}.decode`) / Math.max(1, maxTokens - 1);
    zero[p.id] = 0;
    if (!c.isRemote(p.id)) continue;
    // engine steps on a server: the KV cache goes there and back with every step (each prefill
    // chunk, each decode token), a round trip each
    const l = hostLink(p);
    const trip = 2 * l.latencyMs + (Number.isFinite(l.bytesPerMs) ? (2 * kv) / l.bytesPerMs : 0);
    const eng = c.res.llms.get(n.model);
    const chunk = eng instanceof EngineProvider ? eng.engine.buckets[eng.engine.buckets.length - 1]! : 128;
    const info = c.res.served.get(n.model)?.get(p.id)?.info;
    const steppedPre = c.measured(`${id}.prefill`, p.id) === undefined,
      steppedDec = c.measured(`${id}.decode`, p.id) === undefined;
    // engine steps on a server that serves the model cannot compute faster than it measured there
    if (info && steppedPre) prefillMs[p.id] = Math.max(prefillMs[p.id]!, llmTtftMs(info, prompt));
    if (info && steppedDec) perToken[p.id] = Math.max(perToken[p.id]!, info.tpotMs);
    if (steppedPre) prefillMs[p.id]! += Math.ceil(prompt / chunk) * trip;
    if (steppedDec) perToken[p.id]! += trip;
    const pinnedAway = [pinPre, pinDec].some((d) => d && d !== 'auto' && d !== 'remote' && d !== p.id);
    if (!info || pinnedAway) continue;
    const entry = c.entries.find((e) => e.device.id === p.id)?.device as { llmQueueWaitMs?: number } | undefined;
    const queue = entry?.llmQueueWaitMs ?? 0;
    // runs through the chat route keep their own history (engine steps on the same server cost otherwise)
    const measuredPre = c.measured(`${id}.prefill.chat`, p.id);
    const measuredDec = c.measured(`${id}.decode.chat`, p.id);
    const o = {
      node: id,
      device: p.id,
      // request out and first event back, the server's queue, and its measured TTFT for this prompt
      prefillMs: measuredPre ?? 2 * l.latencyMs + queue + llmTtftMs(info, prompt),
      perTokenMs: measuredDec !== undefined ? measuredDec / Math.max(1, maxTokens - 1) : info.tpotMs,
    };
    c.served.push(o);
    const basis =
      measuredPre !== undefined
        ? 'measured by earlier runs through the route'
        : `${info.source}, + link ${(2 * l.latencyMs).toFixed(2)} ms, queue ${queue.toFixed(0)} ms`;
    c.offloadNotes.push(
      `${id}: ${p.id} serves model '${n.model}' (same weights, fingerprint ${info.fingerprint.slice(0, 12)}) ` +
        `on /v1/chat/completions: TTFT ~${o.prefillMs.toFixed(1)} ms for ~${prompt} prompt tokens, ` +
        `TPOT ${o.perTokenMs.toFixed(2)} ms (${basis})`,
    );
  }
  c.localBest.set(id, { prefill: c.fastestLocal(prefillMs) ?? c.host, decode: c.fastestLocal(perToken) ?? c.host });
  const only = (rec: Record<string, number>, pin?: string) =>
    pinned(pin)
      ? Object.fromEntries(Object.entries(rec).filter(([k]) => k === pin || (pin === 'remote' && c.isRemote(k))))
      : rec;
  // the node's own target first; then the caller's (--ttft, the demo's SLA inputs) over the graph's `sla:`
  const sla = c.ag.spec.sla ?? {};
  const ttft = n.ttftMs ?? c.policy.ttftMs ?? sla.ttftMs;
  const tpot = n.tpotMs ?? c.policy.tpotMs ?? sla.tpotMs;
  const memBytes = weights + kv;
  const prefillLlm = { prefillMs: only(prefillMs, pinPre), decodeMsPerToken: only(zero, pinPre), outputTokens: 0 };
  c.task({ id: `${id}.prefill`, memBytes, llm: { ...prefillLlm, ttftMs: ttft } }, pre);
  const decodeLlm = {
    prefillMs: only(zero, pinDec),
    decodeMsPerToken: only(perToken, pinDec),
    outputTokens: Math.max(0, maxTokens - 1),
  };
  c.task({ id: `${id}.decode`, memBytes, llm: { ...decodeLlm, tpotMs: tpot } }, dec);
}
