// The context one node execution gets (ExecContext): its templates rendered over the run's
// outputs and inputs, its signal (the run's, or its timeout's, which also stops a generation in
// flight), the placed Device instances, and the run's shared state (conversations, warnings,
// streamed tokens).

import type { Device } from '../../backends/device.js';
import { lookupPath, renderTemplate, soleRef } from '../graph/expr.js';
import type { ChatMessage } from '../llm/tokenizer.js';
import type { ExecContext } from '../nodes/kind.js';
import type { AgentGraph, AgentResources, DeviceSet, NodePlacement, NodeRecord, ResolvedPlacement } from '../types.js';
import { show } from './show.js';

/** What the run shares with every node it executes. */
export interface RunState {
  graph: AgentGraph;
  res: AgentResources;
  devices: DeviceSet;
  root: (name: string) => unknown;
  outputs: Map<string, unknown>;
  conversations: Map<string, ChatMessage[]>;
  signal: AbortSignal;
  warn(message: string): void;
  token(node: string, text: string): void;
}

export function placedDevice(devices: DeviceSet, id: string): Device {
  const d = devices.devices.get(id);
  if (!d) throw new Error(`device '${id}' is not available (devices: ${[...devices.devices.keys()].join(', ')})`);
  return d;
}

/** The node's context, and `done()` to call when it settled (detaches it from the run's signal). */
export function nodeContext(
  s: RunState,
  node: { id: string; record: NodeRecord; place: ResolvedPlacement; iteration: number },
  placement: NodePlacement | undefined,
  timeoutMs: number | undefined,
): { ctx: ExecContext; done(): void } {
  const ac = new AbortController();
  const onRunAbort = () => ac.abort(s.signal.reason);
  if (s.signal.aborted) onRunAbort();
  else s.signal.addEventListener('abort', onRunAbort, { once: true });
  const render = (t: string | undefined) => (t === undefined ? '' : renderTemplate(t, s.root, show));
  const withTimeout = async <T>(p: Promise<T>, what: string): Promise<T> => {
    if (!timeoutMs) return p;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, rej) => {
          timer = setTimeout(() => {
            ac.abort(new Error('timeout'));
            rej(new Error(`node '${node.id}': ${what} did not finish within ${timeoutMs} ms (timeout)`));
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  const ctx: ExecContext = {
    ...node,
    placement,
    res: s.res,
    devices: s.devices,
    graph: s.graph,
    signal: ac.signal,
    withTimeout,
    render,
    value(t) {
      const ref = soleRef(t);
      return ref ? lookupPath(s.root, ref) : render(t);
    },
    output: (id) => s.outputs.get(id),
    device: (id) => placedDevice(s.devices, id),
    conversations: s.conversations,
    warn: (m) => s.warn(m),
    token: (text) => s.token(node.id, text),
  };
  return { ctx, done: () => s.signal.removeEventListener('abort', onRunAbort) };
}
