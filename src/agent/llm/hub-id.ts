// Hub model ids, `hf:org/name[@revision]` (no Node imports: browsers parse them too).

export interface HubId {
  repo: string;
  revision: string;
}

const HUB_ID = /^hf:([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/;

export const isHubId = (s: string): boolean => s.startsWith('hf:');

export function parseHubId(s: string): HubId {
  const m = HUB_ID.exec(s);
  if (!m) throw new Error(`'${s}': a Hub model id is hf:org/name or hf:org/name@revision (a branch, tag or commit)`);
  return { repo: m[1]!, revision: m[2] ?? 'main' };
}
