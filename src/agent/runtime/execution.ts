// Running an agent graph. Nodes start as soon as every forward predecessor has settled (ran or was
// skipped) and at least one edge into them was taken (entry nodes need none); a node no taken edge
// reaches is skipped, which settles it for its successors (dead-path elimination), so joins after
// conditional branches work. A loop edge, when taken and under its bound, resets every node
// reachable from its head and runs them again; outputs of the previous iteration stay readable.
// Independent nodes run concurrently. Events (node start/end, tokens, loops) stream as they happen.
// What a node does is its kind's execute (nodes/<kind>.ts); this file only schedules.

import { evalExpr, truthy } from '../graph/expr.js';
import type { ChatMessage } from '../llm/tokenizer.js';
import { kindOf } from '../nodes/registry.js';
import type {
  AgentEdge,
  AgentEvent,
  AgentGraph,
  AgentResources,
  AgentResult,
  DeviceSet,
  NodePlacement,
  NodeRecord,
  ResolvedPlacement,
  RunOptions,
} from '../types.js';
import type { Channel } from './channel.js';
import { nodeContext, type RunState } from './node-context.js';
import { show } from './show.js';

type State = 'pending' | 'running' | 'done' | 'skipped';

/** What a run needs of its runner: the graph, what it runs with, and where each node runs. */
export interface RunnerView {
  readonly graph: AgentGraph;
  readonly resources: AgentResources;
  readonly devices: DeviceSet;
  deviceOf(id: string, placement?: Map<string, NodePlacement>): ResolvedPlacement;
}

export class Execution {
  private readonly g: AgentGraph;
  private readonly t0 = performance.now();
  private readonly state = new Map<string, State>();
  private readonly activated = new Set<string>();
  private readonly outputs = new Map<string, unknown>();
  private readonly iterations = new Map<string, number>();
  private readonly loopCounts = new Map<AgentEdge, number>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly conversations = new Map<string, ChatMessage[]>();
  private readonly records: NodeRecord[] = [];
  private readonly warnings: string[] = [];
  private readonly ac = new AbortController();
  private readonly inputs: Record<string, unknown>;
  private placement?: Map<string, NodePlacement>;
  private steps = 0;
  private resetting = 0;
  private firstTokenMs?: number;
  private finish!: { resolve: () => void; reject: (e: unknown) => void };
  private failed = false;
  private readonly root = (name: string): unknown => (name === 'inputs' ? this.inputs : this.outputs.get(name));
  /** What every node's execution shares with the run. */
  private readonly shared: RunState;

  constructor(
    private readonly runner: RunnerView,
    private readonly opts: RunOptions,
    private readonly events: Channel<AgentEvent>,
  ) {
    this.g = runner.graph;
    this.inputs = { ...opts.inputs };
    this.placement = opts.placement;
    opts.signal?.addEventListener('abort', () => this.ac.abort(opts.signal!.reason), { once: true });
    this.shared = {
      graph: this.g,
      res: runner.resources,
      devices: runner.devices,
      root: this.root,
      outputs: this.outputs,
      conversations: this.conversations,
      signal: this.ac.signal,
      warn: (message) => {
        this.warnings.push(message);
        this.emit({ type: 'warning', message, atMs: this.now() });
      },
      token: (node, text) => {
        if (this.g.outputs[0] === node && this.firstTokenMs === undefined) this.firstTokenMs = this.now();
        this.emit({ type: 'token', node, text, atMs: this.now() });
      },
    };
  }

  private now() {
    return performance.now() - this.t0;
  }
  private emit(e: AgentEvent) {
    this.events.push(e);
  }
  private preds(id: string) {
    return this.g.edges.filter((e) => !e.loop && e.to === id);
  }

  async start(): Promise<AgentResult> {
    // inputs: declared ones must be given (or have a default); unknown ones are refused
    const declared = this.g.spec.inputs ?? {};
    for (const k of Object.keys(this.inputs))
      if (!(k in declared))
        throw new Error(
          `${this.g.source}: unknown input '${k}'; ` +
            `the graph's inputs are ${Object.keys(declared).join(', ') || '(none)'}`,
        );
    for (const [k, s] of Object.entries(declared)) {
      if (this.inputs[k] === undefined) {
        if (s.default === undefined) throw new Error(`${this.g.source}: input '${k}' is missing`);
        this.inputs[k] = s.default;
      }
    }
    for (const id of this.g.order) this.state.set(id, 'pending');
    for (const id of this.g.order) if (!this.preds(id).length) this.activated.add(id);
    await new Promise<void>((resolve, reject) => {
      this.finish = { resolve, reject };
      this.tick();
    });
    const outputs: Record<string, unknown> = {};
    for (const o of this.g.outputs) outputs[o] = this.outputs.get(o);
    const first = this.g.outputs[0]!;
    const lastLlm = [...this.records].reverse().find((r) => r.node === first && r.llm);
    return {
      outputs,
      text: show(outputs[first]),
      records: this.records,
      totalMs: this.now(),
      ttftMs: this.firstTokenMs,
      tpotMs: lastLlm?.llm?.tpotMs,
      warnings: this.warnings,
    };
  }

  private fail(e: unknown) {
    if (this.failed) return;
    this.failed = true;
    this.ac.abort(e);
    this.finish.reject(e);
  }

  private tick(): void {
    if (this.failed || this.resetting) return;
    let changed = true;
    while (changed) {
      changed = false;
      for (const id of this.g.order) {
        if (this.state.get(id) !== 'pending') continue;
        const preds = this.preds(id);
        if (
          !preds.every((e) => {
            const s = this.state.get(e.from);
            return s === 'done' || s === 'skipped';
          })
        )
          continue;
        if (this.activated.has(id)) {
          this.launch(id);
        } else {
          this.state.set(id, 'skipped');
          this.records.push({
            node: id,
            kind: this.g.nodes.get(id)!.kind,
            iteration: this.iterations.get(id) ?? 0,
            device: '-',
            startMs: this.now(),
            endMs: this.now(),
            status: 'skipped',
          });
          this.emit({ type: 'node-end', record: this.records[this.records.length - 1]! });
          changed = true;
        }
      }
    }
    if (!this.running.size) this.finish.resolve();
  }

  private launch(id: string): void {
    const max = this.opts.maxSteps ?? 1000;
    if (++this.steps > max) {
      this.fail(new Error(`${this.g.source}: the run exceeded ${max} node executions`));
      return;
    }
    const n = this.g.nodes.get(id)!;
    this.state.set(id, 'running');
    const iteration = this.iterations.get(id) ?? 0;
    const place = this.runner.deviceOf(id, this.placement);
    const rec: NodeRecord = {
      node: id,
      kind: n.kind,
      iteration,
      device: place.device,
      startMs: this.now(),
      endMs: 0,
      status: 'ok',
    };
    this.emit({ type: 'node-start', node: id, kind: n.kind, iteration, device: place.device, atMs: rec.startMs });
    const p = this.exec(id, rec, place).then(
      (value) => {
        rec.endMs = this.now();
        this.records.push(rec);
        this.emit({ type: 'node-end', record: rec });
        this.outputs.set(id, value);
        this.iterations.set(id, iteration + 1);
        this.running.delete(id);
        this.state.set(id, 'done');
        this.activated.delete(id);
        void this.follow(id);
      },
      (e: unknown) => {
        rec.endMs = this.now();
        rec.status = 'error';
        rec.error = (e as Error).message;
        this.records.push(rec);
        this.emit({ type: 'node-end', record: rec });
        this.running.delete(id);
        this.fail(e);
      },
    );
    this.running.set(id, p);
  }

  /** Take the edges out of a finished node, then run what became ready. */
  private async follow(id: string): Promise<void> {
    try {
      for (const e of this.g.edges.filter((x) => x.from === id)) {
        if (e.when && !truthy(evalExpr(e.when, this.root))) continue;
        if (!e.loop) {
          this.activated.add(e.to);
          continue;
        }
        const count = this.loopCounts.get(e) ?? 0;
        if (count >= e.loop.maxIterations) {
          const msg = `loop ${e.from} -> ${e.to} reached its bound of ${e.loop.maxIterations} iterations`;
          if (e.loop.onExhausted === 'error') throw new Error(`${this.g.source}: ${msg}`);
          this.warnings.push(msg);
          this.emit({ type: 'warning', message: msg, atMs: this.now() });
          continue;
        }
        this.loopCounts.set(e, count + 1);
        await this.reset(e.to);
        this.activated.add(e.to);
        this.emit({ type: 'loop', from: e.from, to: e.to, iteration: count + 1, atMs: this.now() });
        const next = this.opts.replan?.(this.records);
        if (next) {
          const moved = [...next]
            .filter(([k, p]) => JSON.stringify(this.placement?.get(k)) !== JSON.stringify(p))
            .map(([k]) => k);
          this.placement = next;
          if (moved.length) {
            const msg = `re-planned after loop iteration ${count + 1}: ${moved
              .map((k) => {
                const p = next.get(k)!;
                return `${k} -> ${p.device ?? `${p.prefill}/${p.decode}`}`;
              })
              .join(', ')}`;
            this.warnings.push(msg);
            this.emit({ type: 'warning', message: msg, atMs: this.now() });
          }
        }
      }
    } catch (err) {
      this.fail(err);
      return;
    }
    this.tick();
  }

  /** Put every node reachable from `head` back to pending, after those running have finished. */
  private async reset(head: string): Promise<void> {
    const reach = new Set([head]);
    const stack = [head];
    while (stack.length) {
      const k = stack.pop()!;
      for (const e of this.g.edges)
        if (!e.loop && e.from === k && !reach.has(e.to)) {
          reach.add(e.to);
          stack.push(e.to);
        }
    }
    this.resetting++;
    try {
      for (;;) {
        const busy = [...reach].filter((k) => this.running.has(k)).map((k) => this.running.get(k)!);
        if (!busy.length) break;
        await Promise.allSettled(busy);
      }
    } finally {
      this.resetting--;
    }
    for (const k of reach) {
      this.state.set(k, 'pending');
      this.activated.delete(k);
    }
  }

  private exec(id: string, record: NodeRecord, place: ResolvedPlacement): Promise<unknown> {
    const n = this.g.nodes.get(id)!;
    const iteration = this.iterations.get(id) ?? 0;
    const node = { id, record, place, iteration };
    const { ctx, done } = nodeContext(this.shared, node, this.placement?.get(id), n.timeoutMs);
    return kindOf(n).execute(n, ctx).finally(done);
  }
}
