// Which of an agent's language models an offload server already serves: the server lists its
// models with fingerprints (GET /v1/info `llms`); a local model with the same fingerprint is the
// same model, so its llm nodes may run on that server through /v1/chat/completions (prefill and
// decode there, the KV cache never crossing the link) when the planner places them there. A model
// served under the same name with other weights is not used, and the notes say so.

import type { Device } from '../backends/device.js';
import type { LlmInfo } from '../protocol/llm.js';
import { modelFingerprint } from './llm/fingerprint.js';
import { EngineProvider } from './nodes/models.js';
import { RemoteLlmProvider } from './nodes/remote-llm.js';
import type { AgentResources } from './types.js';

/** What a remote device offers for LLM nodes (RemoteDevice has these). */
interface ServingDevice extends Device {
  readonly llms: LlmInfo[];
  readonly token?: string;
  readonly client: { url: string };
}

const serving = (d: Device): d is ServingDevice =>
  d.kind === 'remote' && Array.isArray((d as Partial<ServingDevice>).llms) && !!(d as Partial<ServingDevice>).client;

/** Fill `res.served` from the remote devices among `devices`; returns one note per finding. */
export async function attachServedLlms(
  res: AgentResources,
  devices: Iterable<{ device: Device } | Device>,
): Promise<string[]> {
  const notes: string[] = [];
  const remotes = [...devices].map((e) => ('device' in e ? e.device : e)).filter(serving);
  if (!remotes.length) return notes;
  for (const d of remotes)
    if (!d.llms.length)
      notes.push(`${d.id} serves no language models (start it with --llm name=path to run llm nodes there whole)`);
  // fingerprints hash every weight: only worth it when some server serves a model
  if (!remotes.some((d) => d.llms.length)) return notes;
  for (const [name, p] of res.llms) {
    if (!(p instanceof EngineProvider)) continue;
    const fp = await modelFingerprint(p.model);
    for (const d of remotes.filter((x) => x.llms.length)) {
      const same = d.llms.find((l) => l.fingerprint === fp);
      if (!same) {
        const namesake = d.llms.find((l) => l.id === name);
        notes.push(
          namesake
            ? `${d.id} serves a model named '${name}' but with other weights ` +
                `(fingerprint ${namesake.fingerprint.slice(0, 12)}, ours ${fp.slice(0, 12)}): '${name}' stays local`
            : `${d.id} does not serve model '${name}'` +
                `${d.llms.length ? ` (it serves ${d.llms.map((l) => l.id).join(', ')})` : ''}: ` +
                'its llm nodes can only run engine steps there',
        );
        continue;
      }
      let m = res.served.get(name);
      if (!m) res.served.set(name, (m = new Map()));
      m.set(
        d.id,
        new RemoteLlmProvider({
          url: `${d.client.url.replace(/\/+$/, '')}/v1`,
          model: same.id,
          token: d.token,
          name,
          deviceId: d.id,
          info: same,
        }),
      );
      notes.push(
        `${d.id} serves model '${name}' as '${same.id}' with the same weights (${same.device}, ` +
          `TTFT ${same.prefill.ms.map((x) => x.toFixed(1)).join('/')} ms ` +
          `at ${same.prefill.buckets.join('/')} tokens, ` +
          `TPOT ${same.tpotMs.toFixed(2)} ms): its llm nodes may run there`,
      );
    }
  }
  return notes;
}
