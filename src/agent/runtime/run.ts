// The runner of an agent graph: what a loaded graph runs with (its resources and the placed
// devices), the placement of a node resolved to device ids, and a run as a stream of events with
// its result. The scheduling is execution.ts; what each node does is its kind's (nodes/<kind>.ts).

import { kindOf } from '../nodes/registry.js';
import type {
  AgentEvent,
  AgentGraph,
  AgentResources,
  AgentResult,
  DeviceSet,
  NodePlacement,
  ResolvedPlacement,
  RunOptions,
} from '../types.js';
import { Channel } from './channel.js';
import { Execution } from './execution.js';

export type {
  AgentEvent,
  AgentResources,
  AgentResult,
  DeviceSet,
  LlmStats,
  NodePlacement,
  NodeRecord,
  RunOptions,
} from '../types.js';
export { emptyResources } from '../types.js';
export { show } from './show.js';

export class AgentRun implements AsyncIterable<AgentEvent> {
  constructor(
    private readonly events: Channel<AgentEvent>,
    readonly result: Promise<AgentResult>,
  ) {
    result.catch(() => {});
  }
  [Symbol.asyncIterator]() {
    return this.events[Symbol.asyncIterator]();
  }
  /** Wait for the end without looking at events. */
  async done(): Promise<AgentResult> {
    return this.result;
  }
}

const isLocalWord = (d?: string) => !d || d === 'auto' || d === 'local';

export class AgentRunner {
  constructor(
    readonly graph: AgentGraph,
    readonly resources: AgentResources,
    readonly devices: DeviceSet,
  ) {}

  run(opts: RunOptions = {}): AgentRun {
    const events = new Channel<AgentEvent>();
    const result = new Execution(this, opts, events).start();
    result.then(
      () => events.close(),
      (e) => events.fail(e),
    );
    return new AgentRun(events, result);
  }

  /** Device ids a node runs on under a placement: 'host' for JS nodes. */
  deviceOf(id: string, placement?: Map<string, NodePlacement>): ResolvedPlacement {
    const n = this.graph.nodes.get(id)!;
    const pick = (...c: (string | undefined)[]) => c.find((x) => x && !isLocalWord(x)) ?? this.devices.defaultDevice;
    return kindOf(n).resolve(id, n, placement?.get(id) ?? {}, pick, this.resources);
  }
}
