// Profiling a fleet member that is not a Switchyard server (any OpenAI-compatible engine, no
// /v1/info): streamed probe completions give its TTFT at two prompt lengths and its TPOT, in the
// shape of the figures a Switchyard server publishes, so the router predicts it like any other.

import type { ServingFigures } from '../planner/fleet/serving.js';

/**
 * Figures of an OpenAI-compatible member without /v1/info, from streamed probe completions: TTFT
 * at two prompt lengths (in the router's own estimate of tokens, characters / 3) and TPOT, one at a time.
 */
export async function probeFigures(url: string, token?: string, model = 'm'): Promise<ServingFigures> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const once = async (promptTokens: number) => {
    const t0 = performance.now();
    const content = 'the quick brown fox '.repeat(Math.ceil((3 * promptTokens) / 20)).slice(0, 3 * promptTokens - 8);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model, messages: [{ role: 'user', content }], max_tokens: 8, stream: true }),
    });
    if (res.status !== 200) throw new Error(`fleet member ${url}: a probe completion answered ${res.status}`);
    const at: number[] = [];
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>)
      for (const line of Buffer.from(c).toString('utf8').split('\n'))
        if (line.startsWith('data: {') && line.includes('"delta":{"content"')) at.push(performance.now() - t0);
    if (at.length < 2) throw new Error(`fleet member ${url}: a probe completion streamed ${at.length} tokens`);
    return { ttftMs: at[0]!, tpotMs: (at[at.length - 1]! - at[0]!) / (at.length - 1) };
  };
  await once(16); // first touches
  const buckets = [16, 64];
  const runs = [];
  for (const n of buckets) runs.push(await once(n));
  return {
    prefill: { buckets, ms: runs.map((r) => r.ttftMs) },
    tpotMs: runs.reduce((a, r) => a + r.tpotMs, 0) / runs.length,
  };
}
