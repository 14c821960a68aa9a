// How an llm node reaches its model under its placement: a node placed wholly on a remote device
// that serves its model streams from that server's chat route; one with a phase on a remote device
// runs the local engine with that phase there; otherwise the engine runs on the placed local
// devices. Either remote way, when the server fails the node continues on its local fallback
// devices (unless it says `fallback: none`, or there is no local model).

import type { Generation } from '../llm/engine.js';
import type { ExecContext, SpecOf } from './kind.js';
import { type ChatRequest, EngineProvider, type LlmProvider } from './models.js';
import { withLocalFallback } from './remote-llm.js';

export function llmGeneration(
  n: SpecOf<'llm'>,
  provider: LlmProvider,
  req: ChatRequest,
  c: ExecContext,
): { gen: Generation; route: 'engine' | 'chat' } {
  const { id, place, devices } = c;
  const remote = (d?: string) => !!d && devices.devices.get(d)?.kind === 'remote';
  const served =
    place.prefill && place.prefill === place.decode ? c.res.served.get(n.model)?.get(place.prefill) : undefined;
  const placed = {
    prefill: place.prefill ? c.device(place.prefill) : undefined,
    decode: place.decode ? c.device(place.decode) : undefined,
  };
  if (!served && !remote(place.prefill) && !remote(place.decode))
    return { gen: provider.chat({ ...req, ...placed }), route: 'engine' };
  const local = provider instanceof EngineProvider ? provider : undefined;
  const fb = c.placement?.fallback ?? {};
  const pickLocal = (...cands: (string | undefined)[]) =>
    cands.find((d) => d && devices.devices.has(d) && !remote(d)) ?? devices.defaultDevice;
  const why =
    n.fallback === 'none'
      ? `node '${id}' has fallback: none, so it does not continue locally`
      : !local
        ? `model '${n.model}' has no local engine to continue on (give it a path to fall back to)`
        : '';
  const continuation =
    why || !local
      ? undefined
      : {
          generate: (resume: { tokens: number[]; emittedText: string }) =>
            local.chat({
              ...req,
              resume,
              prefill: c.device(pickLocal(fb.prefill, fb.device)),
              decode: c.device(pickLocal(fb.decode, fb.device)),
            }),
          encode: (t: string) => local.model.tokenizer?.encode(t) ?? [],
          onFallback: (message: string) => c.warn(message),
        };
  const sla = c.graph.spec.sla ?? {};
  const ttft = n.ttftMs ?? sla.ttftMs,
    tpot = n.tpotMs ?? sla.tpotMs;
  // the server refuses at once when it cannot finish in the node's budget, and the node moves here
  const budget =
    ttft !== undefined && tpot !== undefined ? ttft + tpot * Math.max(0, (req.maxTokens ?? 64) - 1) : undefined;
  const deadlineMs = n.timeoutMs ?? budget;
  const primary = served ? () => served.chat({ ...req, deadlineMs }) : () => provider.chat({ ...req, ...placed });
  return {
    gen: withLocalFallback(primary, served ? served.deviceId : place.prefill!, continuation, why, req.signal),
    route: served ? 'chat' : 'engine',
  };
}
