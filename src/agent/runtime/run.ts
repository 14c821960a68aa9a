// Running an agent graph. Nodes start as soon as every forward predecessor has settled (ran or was
// skipped) and at least one edge into them was taken (entry nodes need none); a node no taken edge
// reaches is skipped, which settles it for its successors (dead-path elimination), so joins after
// conditional branches work. A loop edge, when taken and under its bound, resets every node
// reachable from its head and runs them again; outputs of the previous iteration stay readable.
// Independent nodes run concurrently. Events (node start/end, tokens, loops) stream as they happen.

import type { Device } from '../../backends/device.js';
import { Tensor } from '../../ir/tensor.js';
import { evalExpr, lookupPath, renderTemplate, soleRef, truthy } from '../graph/expr.js';
import type { NodeKind, NodeSpec } from '../graph/spec.js';
import type { AgentEdge, AgentGraph } from '../graph/validate.js';
import type { Generation, GenerationResult } from '../llm/engine.js';
import type { ChatMessage, TextTokenizer } from '../llm/tokenizer.js';
import { convert } from '../nodes/convert.js';
import { redactPii } from '../nodes/filter.js';
import { type ChatRequest, type Embedder, EngineProvider, type LlmProvider } from '../nodes/models.js';
import { type RemoteLlmProvider, withLocalFallback } from '../nodes/remote-llm.js';
import { callTool, coerceArgs, parseToolCall, type ToolCall, type ToolImpl, toolsPrompt } from '../nodes/tools.js';
import type { Hit, VectorIndex } from '../retrieval/types.js';
import { Channel } from './channel.js';

export interface AgentResources {
  llms: Map<string, LlmProvider>;
  embedders: Map<string, Embedder>;
  indexes: Map<string, VectorIndex>;
  /** The embedder that turns text queries into vectors for each index. */
  indexEmbedders: Map<string, string>;
  tools: Map<string, ToolImpl>;
  tokenizers: Map<string, TextTokenizer>;
  /**
   * Models an offload server serves with the same weights (attachServedLlms): model name -> remote
   * device id -> the server's chat route. An llm node placed wholly on that device runs there.
   */
  served: Map<string, Map<string, RemoteLlmProvider>>;
}

export function emptyResources(): AgentResources {
  return {
    llms: new Map(),
    embedders: new Map(),
    indexes: new Map(),
    indexEmbedders: new Map(),
    tools: new Map(),
    tokenizers: new Map(),
    served: new Map(),
  };
}

/** Where a node runs: a device id, or for llm nodes one per phase; `fallback` is where it goes when a remote device fails. */
export interface NodePlacement {
  device?: string;
  prefill?: string;
  decode?: string;
  fallback?: { device?: string; prefill?: string; decode?: string };
}

export interface DeviceSet {
  devices: Map<string, Device>;
  /** Device for model nodes that the plan does not place. */
  defaultDevice: string;
}

export interface RunOptions {
  inputs?: Record<string, unknown>;
  placement?: Map<string, NodePlacement>;
  signal?: AbortSignal;
  /** Node executions allowed per run, besides the loop bounds (default 1000). */
  maxSteps?: number;
  /**
   * Called each time a loop edge is taken, with what ran so far: a new placement for the rest of
   * the run (re-planned with the measured times), or undefined to keep the current one.
   */
  replan?: (records: NodeRecord[]) => Map<string, NodePlacement> | undefined;
}

export interface LlmStats {
  ttftMs: number;
  tpotMs: number;
  tokens: number;
  promptTokens: number;
  prefillDevice: string;
  decodeDevice: string;
  transferMs: number;
  transferBytes: number;
  finishReason: string;
  /** How the node reached its model: the local engine, or a server's /v1/chat/completions. */
  route?: 'engine' | 'chat';
  /** Why it left a remote device for a local one, when it did. */
  fallback?: string;
}

export interface NodeRecord {
  node: string;
  kind: NodeKind;
  iteration: number;
  device: string;
  startMs: number;
  endMs: number;
  status: 'ok' | 'skipped' | 'error';
  llm?: LlmStats;
  error?: string;
}

export type AgentEvent =
  | { type: 'node-start'; node: string; kind: NodeKind; iteration: number; device: string; atMs: number }
  | { type: 'token'; node: string; text: string; atMs: number }
  | { type: 'node-end'; record: NodeRecord }
  | { type: 'loop'; from: string; to: string; iteration: number; atMs: number }
  | { type: 'warning'; message: string; atMs: number };

export interface AgentResult {
  outputs: Record<string, unknown>;
  /** The (first) output node's text. */
  text: string;
  records: NodeRecord[];
  totalMs: number;
  /** From the start of the run to the first token the output llm node streamed. */
  ttftMs?: number;
  /** Time per output token of the output llm node (its last run). */
  tpotMs?: number;
  warnings: string[];
}

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

/** Text of a value, as templates show it. */
export function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof Tensor) return `<${v.type}[${v.dims.join(',')}]>`;
  if (v instanceof Float32Array) return `<float32[${v.length}]>`;
  if (Array.isArray(v) && v.every((h) => h && typeof h === 'object' && 'text' in h && 'score' in h)) {
    return (v as { text: string }[]).map((h, i) => `[${i + 1}] ${h.text}`).join('\n');
  }
  if (typeof v === 'object' && 'text' in v && typeof (v as { text: unknown }).text === 'string')
    return (v as { text: string }).text;
  return JSON.stringify(v);
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

  /** Device id a node runs on under a placement: 'host' for JS nodes. */
  deviceOf(id: string, placement?: Map<string, NodePlacement>): { device: string; prefill?: string; decode?: string } {
    const n = this.graph.nodes.get(id)!;
    const p = placement?.get(id) ?? {};
    const pick = (...c: (string | undefined)[]) => c.find((x) => x && !isLocalWord(x)) ?? this.devices.defaultDevice;
    switch (n.kind) {
      case 'llm': {
        const prefill = pick(p.prefill, p.device, n.prefillDevice, n.device);
        const decode = pick(p.decode, p.device, n.decodeDevice, n.device);
        return { device: prefill === decode ? prefill : `${prefill}+${decode}`, prefill, decode };
      }
      case 'embed':
        return { device: pick(p.device, n.device) };
      case 'retrieve': {
        const ix = this.resources.indexes.get(n.index);
        return { device: ix?.kind === 'exact' ? pick(p.device, n.device) : 'host' };
      }
      default:
        return { device: 'host' };
    }
  }
}

type State = 'pending' | 'running' | 'done' | 'skipped';

class Execution {
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

  constructor(
    private readonly runner: AgentRunner,
    private readonly opts: RunOptions,
    private readonly events: Channel<AgentEvent>,
  ) {
    this.g = runner.graph;
    this.inputs = { ...opts.inputs };
    this.placement = opts.placement;
    opts.signal?.addEventListener('abort', () => this.ac.abort(opts.signal!.reason), { once: true });
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

  private root = (name: string): unknown => (name === 'inputs' ? this.inputs : this.outputs.get(name));

  async start(): Promise<AgentResult> {
    // inputs: declared ones must be given (or have a default); unknown ones are refused
    const declared = this.g.spec.inputs ?? {};
    for (const k of Object.keys(this.inputs))
      if (!(k in declared))
        throw new Error(
          `${this.g.source}: unknown input '${k}'; the graph's inputs are ${Object.keys(declared).join(', ') || '(none)'}`,
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
    const p = this.exec(id, n, rec, place).then(
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

  // -------------------------------------------------------------------------------------------
  // node kinds

  private render(s: string | undefined): string {
    return s === undefined ? '' : renderTemplate(s, this.root, show);
  }

  /** A template that is one {{ref}} gives the value itself; anything else its text. */
  private value(s: string): unknown {
    const ref = soleRef(s);
    return ref ? lookupPath(this.root, ref) : this.render(s);
  }

  private device(id: string): Device {
    const d = this.runner.devices.devices.get(id);
    if (!d)
      throw new Error(
        `device '${id}' is not available (devices: ${[...this.runner.devices.devices.keys()].join(', ')})`,
      );
    return d;
  }

  /**
   * The generation of an llm node under its placement: a node placed wholly on a remote device that
   * serves its model streams from that server's chat route; one with a phase on a remote device runs
   * the local engine with that phase there. Either way, when the server fails the node continues on
   * its local fallback devices (unless it says `fallback: none`, or there is no local model).
   */
  private llmGeneration(
    id: string,
    n: Extract<NodeSpec, { kind: 'llm' }>,
    provider: LlmProvider,
    req: ChatRequest,
    place: { prefill?: string; decode?: string },
  ): { gen: Generation; route: 'engine' | 'chat' } {
    const R = this.runner.resources;
    const remote = (d?: string) => !!d && this.runner.devices.devices.get(d)?.kind === 'remote';
    const served =
      place.prefill && place.prefill === place.decode ? R.served.get(n.model)?.get(place.prefill) : undefined;
    const placed = {
      prefill: place.prefill ? this.device(place.prefill) : undefined,
      decode: place.decode ? this.device(place.decode) : undefined,
    };
    if (!served && !remote(place.prefill) && !remote(place.decode))
      return { gen: provider.chat({ ...req, ...placed }), route: 'engine' };
    const local = provider instanceof EngineProvider ? provider : undefined;
    const fb = this.placement?.get(id)?.fallback ?? {};
    const pickLocal = (...c: (string | undefined)[]) =>
      c.find((d) => d && this.runner.devices.devices.has(d) && !remote(d)) ?? this.runner.devices.defaultDevice;
    const why =
      n.fallback === 'none'
        ? `node '${id}' has fallback: none, so it does not continue locally`
        : !local
          ? `model '${n.model}' has no local engine to continue on (give it a path to fall back to)`
          : '';
    const continuation = why
      ? undefined
      : {
          generate: (resume: { tokens: number[]; emittedText: string }) =>
            local!.chat({
              ...req,
              resume,
              prefill: this.device(pickLocal(fb.prefill, fb.device)),
              decode: this.device(pickLocal(fb.decode, fb.device)),
            }),
          encode: (t: string) => local!.model.tokenizer?.encode(t) ?? [],
          onFallback: (message: string) => {
            this.warnings.push(message);
            this.emit({ type: 'warning', message, atMs: this.now() });
          },
        };
    const sla = this.g.spec.sla ?? {};
    const ttft = n.ttftMs ?? sla.ttftMs,
      tpot = n.tpotMs ?? sla.tpotMs;
    // the server refuses at once when it cannot finish in the node's budget, and the node moves here
    const deadlineMs =
      n.timeoutMs ??
      (ttft !== undefined && tpot !== undefined ? ttft + tpot * Math.max(0, (req.maxTokens ?? 64) - 1) : undefined);
    const primary = served ? () => served.chat({ ...req, deadlineMs }) : () => provider.chat({ ...req, ...placed });
    return {
      gen: withLocalFallback(primary, served ? served.deviceId : place.prefill!, continuation, why, req.signal),
      route: served ? 'chat' : 'engine',
    };
  }

  private async exec(
    id: string,
    n: NodeSpec,
    rec: NodeRecord,
    place: { device: string; prefill?: string; decode?: string },
  ): Promise<unknown> {
    const R = this.runner.resources;
    // the node's own signal: the run's, or its timeout (which also stops a generation in flight)
    const nodeAc = new AbortController();
    const onRunAbort = () => nodeAc.abort(this.ac.signal.reason);
    if (this.ac.signal.aborted) onRunAbort();
    else this.ac.signal.addEventListener('abort', onRunAbort, { once: true });
    const signal = nodeAc.signal;
    const withTimeout = async <T>(p: Promise<T>, what: string): Promise<T> => {
      if (!n.timeoutMs || n.kind === 'tool') return p;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        return await Promise.race([
          p,
          new Promise<never>((_, rej) => {
            timer = setTimeout(() => {
              nodeAc.abort(new Error('timeout'));
              rej(new Error(`node '${id}': ${what} did not finish within ${n.timeoutMs} ms (timeout)`));
            }, n.timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        this.ac.signal.removeEventListener('abort', onRunAbort);
      }
    };
    switch (n.kind) {
      case 'filter': {
        const r = redactPii(this.render(n.input), {
          kinds: n.redact,
          patterns: n.patterns,
          replacement: n.replacement,
        });
        if (n.mode === 'block' && Object.keys(r.found).length) {
          throw new Error(
            `node '${id}' (filter): blocked: the input contains ${Object.entries(r.found)
              .map(([k, c]) => `${k} (${c})`)
              .join(', ')}`,
          );
        }
        return r;
      }
      case 'convert': {
        const tok = n.model ? R.tokenizers.get(n.model) : undefined;
        try {
          return convert(this.value(n.input), n.from, n.to, {
            dtype: n.dtype,
            shape: n.shape,
            header: n.header,
            mean: n.mean,
            std: n.std,
            tokenizer: tok,
          });
        } catch (e) {
          throw new Error(`node '${id}' (convert ${n.from} -> ${n.to}): ${(e as Error).message}`);
        }
      }
      case 'tool': {
        let name: string, args: Record<string, unknown>;
        if (n.call) {
          const made = (this.outputs.get(n.call) as { toolCall?: ToolCall } | undefined)?.toolCall;
          if (!made)
            throw new Error(
              `node '${id}': '${n.call}' made no tool call (guard the edge into '${id}' with when: ${n.call}.toolCall)`,
            );
          name = made.name;
          args = made.arguments;
        } else {
          name = n.tool!;
          const a = n.arguments ?? {};
          if (typeof a === 'string') {
            const v = this.value(a);
            try {
              args = (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;
            } catch {
              throw new Error(`node '${id}': arguments "${a}" did not render to a JSON object`);
            }
          } else {
            const walk = (x: unknown): unknown =>
              typeof x === 'string'
                ? this.value(x)
                : Array.isArray(x)
                  ? x.map(walk)
                  : x && typeof x === 'object'
                    ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]))
                    : x;
            args = walk(a) as Record<string, unknown>;
          }
        }
        const tool = R.tools.get(name);
        if (!tool)
          throw new Error(
            `node '${id}': tool '${name}' is not available (tools: ${[...R.tools.keys()].join(', ') || 'none'})`,
          );
        const result = await callTool(name, tool, coerceArgs(args, tool.parameters, show), id, signal, n.timeoutMs);
        if (n.call) this.conversations.get(n.call)?.push({ role: 'tool', name, content: JSON.stringify(result) });
        return result;
      }
      case 'embed': {
        const e = R.embedders.get(n.model);
        if (!e) throw new Error(`node '${id}': model '${n.model}' is not an embedding model`);
        return withTimeout(e.embed(this.render(n.input), this.device(place.device)), 'embedding');
      }
      case 'retrieve': {
        const ix = R.indexes.get(n.index);
        if (!ix) throw new Error(`node '${id}': index '${n.index}' is not available`);
        let q: unknown = /\{\{/.test(n.query) ? this.value(n.query) : this.outputs.get(n.query);
        if (typeof q === 'string' || (q && typeof q === 'object' && 'text' in q && !(q instanceof Float32Array))) {
          const emb = R.embedders.get(R.indexEmbedders.get(n.index) ?? '');
          if (!emb)
            throw new Error(
              `node '${id}': the query is text and index '${n.index}' has no embedding model to embed it; query with an embed node`,
            );
          q = await emb.embed(show(q), place.device === 'host' ? undefined : this.device(place.device));
        }
        if (q instanceof Tensor) q = q.data;
        if (!(q instanceof Float32Array)) throw new Error(`node '${id}': the query is ${typeof q}, not a vector`);
        if (ix.kind === 'exact' && place.device !== 'host') {
          const kind = this.device(place.device).kind;
          (ix as VectorIndex & { backend: string }).backend = kind === 'remote' ? 'reference' : kind;
        }
        const hits: Hit[] = await withTimeout(ix.search(q, n.k ?? 4), 'the search');
        return hits
          .filter((h) => n.minScore === undefined || h.score >= n.minScore)
          .map((h) => ({
            id: h.doc.id,
            text: h.doc.text,
            score: h.score,
            ...(h.doc.meta ? { meta: h.doc.meta } : {}),
          }));
      }
      case 'llm': {
        const provider = R.llms.get(n.model);
        if (!provider) throw new Error(`node '${id}': model '${n.model}' is not a language model`);
        let conv = this.conversations.get(id);
        if (!conv || (this.iterations.get(id) ?? 0) === 0) {
          conv = [];
          const tools = (n.tools ?? []).map((t) => [t, R.tools.get(t)!] as [string, ToolImpl]);
          const sys = [this.render(n.system), tools.length ? toolsPrompt(tools) : ''].filter(Boolean).join('\n\n');
          if (sys) conv.push({ role: 'system', content: sys });
          for (const m of n.messages ?? []) conv.push({ role: m.role, content: this.render(m.content) });
          if (n.prompt !== undefined) conv.push({ role: 'user', content: this.render(n.prompt) });
          this.conversations.set(id, conv);
        }
        const req: ChatRequest = {
          messages: [...conv],
          raw: n.chat === false,
          maxTokens: n.maxTokens ?? 64,
          temperature: n.temperature,
          topK: n.topK,
          topP: n.topP,
          seed: n.seed,
          repetitionPenalty: n.repetitionPenalty,
          stop: n.stop,
          node: id,
          signal,
        };
        const { gen, route } = this.llmGeneration(id, n, provider, req, place);
        const isOutput = this.g.outputs[0] === id;
        const stream = async () => {
          for await (const t of gen) {
            if (!t.text) continue;
            if (isOutput && this.firstTokenMs === undefined) this.firstTokenMs = this.now();
            this.emit({ type: 'token', node: id, text: t.text, atMs: this.now() });
          }
          return gen.result;
        };
        const r: GenerationResult = await withTimeout(stream(), 'generation');
        rec.llm = {
          ttftMs: r.ttftMs,
          tpotMs: r.tpotMs,
          tokens: r.tokens.length,
          promptTokens: r.promptTokens,
          prefillDevice: r.prefillDevice,
          decodeDevice: r.decodeDevice,
          transferMs: r.transferMs,
          transferBytes: r.transferBytes,
          finishReason: r.finishReason,
          route: r.fallback ? 'engine' : route,
          ...(r.fallback ? { fallback: r.fallback } : {}),
        };
        if (r.fallback)
          rec.device = r.prefillDevice === r.decodeDevice ? r.prefillDevice : `${r.prefillDevice}+${r.decodeDevice}`;
        const toolCall = n.tools?.length ? parseToolCall(r.text, n.tools) : undefined;
        conv.push({ role: 'assistant', content: r.text });
        return { text: r.text, toolCall, tokens: r.tokens.length, finishReason: r.finishReason };
      }
    }
  }
}
