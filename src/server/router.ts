// The fleet router: a sidecar proxy in front of OpenAI-compatible LLM servers of different speeds
// and prices. It reads each member's measured figures from GET /v1/info (TTFT per bucket, TPOT per
// decode batch, slots; a member without them gets figures measured by the router's own probe
// completions), counts what it has in flight on each, and sends each chat completion where the
// shared serving model (planner/fleet/serving.ts) predicts it meets its TTFT/TPOT targets
// (switchyard-ttft-ms / switchyard-tpot-ms headers) at the lowest cost; round-robin and
// least-loaded are there to compare. For nginx as the balancer, GET /route answers with the chosen
// member in `x-switchyard-upstream` (auth_request + auth_request_set, see docs/fleet-routing.md).
// Prefix-aware: members advertise the conversations they keep in their prefix cache (`prefixes`,
// conversationHash of a message list); a request that starts with one is predicted to prefill
// only the rest there, so the router sends a chat's next turn where its earlier turns are cached
// when that meets the SLA at a lower cost.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  choose,
  learnTpotScale,
  type Policy,
  predictServing,
  type ServingAsk,
  type ServingFigures,
} from '../planner/fleet/serving.js';
import type { LlmInfo } from '../protocol/llm.js';
import { conversationHash, TPOT_HEADER, TTFT_HEADER } from '../protocol/llm.js';
import { probeFigures } from './router-probe.js';

export { probeFigures };

export interface MemberSpec {
  url: string;
  pricePerHour: number;
  name?: string;
  figures?: ServingFigures;
  slots?: number;
  /** The model name probe completions ask a member without /v1/info for (default 'm'). */
  model?: string;
}

/** A completion in flight on a member, as the proxy sees its stream. */
interface Running {
  startedAt: number;
  predictedMs: number;
  predictedTpotMs: number;
  promptTokens: number;
  maxTokens: number;
  /** Tokens streamed so far, and when the first and the last came. */
  tokens: number;
  firstAt?: number;
  lastAt?: number;
  first?: boolean;
}

interface Member extends MemberSpec {
  name: string;
  figures: ServingFigures;
  slots: number;
  running: Running[];
  /** Measured TPOT of the streams that ended here over the predicted one (learnTpotScale). */
  tpotScale: number;
  busyMs: number;
  busySince?: number;
  sent: number;
  /** Conversations sent here since its last report: hash -> prompt tokens (the report lags a second). */
  sentPrefixes: Map<string, number>;
}

/** A chat completion to route: the serving ask and the conversation hashes of its message prefixes. */
export interface RouteAsk extends ServingAsk {
  /** conversationHash of messages[0..k) for k = n-1 .. 1 (longest first) and of the whole list. */
  prefixes?: string[];
}

export interface RouterOptions {
  members: MemberSpec[];
  policy: Policy;
  token?: string;
  host?: string;
  port?: number;
  maxBodyBytes?: number;
  refreshMs?: number;
  /** Pass the TTFT/TPOT targets on to the member (its own admission may then refuse; default true). */
  forwardTargets?: boolean;
}

export class FleetRouter {
  readonly members: Member[] = [];
  private turn = 0;
  constructor(
    readonly policy: Policy,
    private token?: string,
  ) {}

  /** Add a member; its figures come from its /v1/info unless given (then they stay as given). */
  async add(spec: MemberSpec): Promise<void> {
    const fixed = !!spec.figures;
    const m: Member = {
      ...spec,
      name: spec.name ?? spec.url,
      figures: spec.figures!,
      slots: spec.slots ?? 1,
      running: [],
      tpotScale: 1,
      busyMs: 0,
      sent: 0,
      sentPrefixes: new Map(),
    };
    if (!fixed) await this.refreshMember(m);
    this.members.push(m);
    if (!fixed) this.live.add(m);
  }

  private live = new Set<Member>();

  private async refreshMember(m: Member): Promise<void> {
    const res = await fetch(`${m.url}/v1/info`, {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      // not a Switchyard server: measure it once with probe completions, as any OpenAI-compatible engine
      if (!m.figures) m.figures = await probeFigures(m.url, this.token, m.model);
      this.live.delete(m);
      return;
    }
    const info = (await res.json()) as { llms?: LlmInfo[]; llmQueue?: { concurrency: number } };
    const l = info.llms?.[0];
    if (!l) throw new Error(`fleet member ${m.url} serves no language model`);
    m.figures = l;
    m.sentPrefixes.clear();
    m.slots = m.slots > 1 ? m.slots : (l.batching?.slots ?? info.llmQueue?.concurrency ?? 1);
  }

  /** Re-read the live members' figures (servers keep them current with every completion). */
  async refresh(): Promise<void> {
    await Promise.all([...this.live].map((m) => this.refreshMember(m).catch(() => {})));
  }

  private state(m: Member, now: number) {
    const left = m.running.map((r) => Math.max(0, r.predictedMs - (now - r.startedAt)));
    return {
      inflight: m.running.length,
      slots: m.slots,
      meanLeftMs: left.length ? left.reduce((a, b) => a + b, 0) / left.length : 0,
      prefilling: m.running.filter((r) => !r.first).length,
      queue: m.running.map((r) => ({
        promptTokens: r.promptTokens,
        tokensLeft: r.maxTokens - r.tokens,
        prefilled: r.tokens > 0,
      })),
      tpotScale: m.tpotScale,
    };
  }

  /** The member for one completion (not one of `tried`), and what the model predicts there. */
  pick(ask: RouteAsk, tried: Member[] = []): { member: Member; predicted: ReturnType<typeof predictServing> } {
    const now = performance.now();
    const pool = this.members.filter((m) => !tried.includes(m));
    const cs = pool.map((m) => ({
      figures: m.figures,
      state: this.state(m, now),
      pricePerHour: m.pricePerHour,
      cachedTokens: this.cachedTokens(m, ask),
    }));
    const i = choose(this.policy, cs, ask, this.turn++);
    const c = cs[i]!;
    return { member: pool[i]!, predicted: predictServing(c.figures, c.state, ask, c.pricePerHour, c.cachedTokens) };
  }

  /** Prompt tokens of the request a member holds: its longest advertised (or just sent) prefix. */
  cachedTokens(m: Member, ask: RouteAsk): number {
    const held = new Map(m.figures.prefixes?.map((p) => [p.hash, p.tokens]) ?? []);
    for (const h of ask.prefixes ?? []) {
      const t = held.get(h) ?? m.sentPrefixes.get(h);
      if (t !== undefined) return Math.min(t, ask.promptTokens - 1);
    }
    return 0;
  }

  /** Note that a member got this conversation: its blocks are there until its next report. */
  sentTo(m: Member, ask: RouteAsk): void {
    if (ask.prefixes?.[0]) m.sentPrefixes.set(ask.prefixes[0], ask.promptTokens);
  }

  /**
   * Count a completion on a member until the returned function is called; `tokens(n)` notes n
   * tokens streamed (their progress feeds the wait predicted for the next requests there, and a
   * stream's measured TPOT the member's TPOT scale).
   */
  start(
    m: Member,
    predicted: { totalMs: number; tpotMs: number },
    ask: ServingAsk,
  ): (() => void) & { first(): void; tokens(n: number): void } {
    const entry: Running = {
      startedAt: performance.now(),
      predictedMs: predicted.totalMs,
      predictedTpotMs: predicted.tpotMs,
      promptTokens: ask.promptTokens,
      maxTokens: ask.maxTokens,
      tokens: 0,
    };
    if (!m.running.length) m.busySince = entry.startedAt;
    m.running.push(entry);
    m.sent++;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      m.running.splice(m.running.indexOf(entry), 1);
      if (entry.tokens >= 3 && entry.firstAt !== undefined && entry.lastAt !== undefined)
        m.tpotScale = learnTpotScale(
          m.tpotScale,
          (entry.lastAt - entry.firstAt) / (entry.tokens - 1),
          entry.predictedTpotMs,
        );
      if (!m.running.length && m.busySince !== undefined) {
        m.busyMs += performance.now() - m.busySince;
        m.busySince = undefined;
      }
    };
    const tokens = (n: number) => {
      if (!n) return;
      const now = performance.now();
      entry.firstAt ??= now;
      entry.lastAt = now;
      entry.tokens += n;
    };
    /** first: the member's first streamed bytes (its prefill is done). */
    return Object.assign(end, { first: () => void (entry.first = true), tokens });
  }

  /** $ spent so far: each member's price over the time it had a completion in flight. */
  costUsd(now = performance.now()): number {
    return this.members.reduce(
      (a, m) => a + (m.pricePerHour / 3_600_000) * (m.busyMs + (m.busySince !== undefined ? now - m.busySince : 0)),
      0,
    );
  }
}

/** Content deltas in a chunk of an SSE stream (one per token; the opening role delta is not one). */
function countTokenEvents(c: Uint8Array): number {
  const text = Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('latin1');
  let n = 0;
  for (let i = text.indexOf('"delta":{"content"'); i >= 0; i = text.indexOf('"delta":{"content"', i + 1)) n++;
  return n;
}

const askOf = (
  body: { messages?: { role?: unknown; content?: unknown }[]; max_tokens?: number; max_completion_tokens?: number },
  h: http.IncomingHttpHeaders,
): RouteAsk => {
  const msgs = body.messages ?? [];
  const chars = (body.messages ?? []).reduce(
    (a, m) => a + (typeof m.content === 'string' ? m.content.length : 0) + 8,
    0,
  );
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  return {
    promptTokens: Math.ceil(chars / 3),
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? 256,
    ttftMs: num(h[TTFT_HEADER]),
    tpotMs: num(h[TPOT_HEADER]),
    // the whole list first (what this request leaves cached), then its prefixes, longest first
    prefixes: Array.from({ length: msgs.length }, (_, k) => conversationHash(msgs.slice(0, msgs.length - k))),
  };
};

/** The router as an HTTP sidecar on 127.0.0.1 (POST /v1/chat/completions proxied, GET /route for nginx). */
export async function startRouter(
  o: RouterOptions,
): Promise<{ url: string; router: FleetRouter; close(): Promise<void> }> {
  const router = new FleetRouter(o.policy, o.token);
  for (const m of o.members) await router.add(m);
  const limit = o.maxBodyBytes ?? 4 << 20;
  const server = http.createServer(async (req, res) => {
    const fail = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
    };
    try {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/route') {
        const q = new URL(req.url!, 'http://x').searchParams;
        const { member } = router.pick({
          promptTokens: Number(q.get('prompt_tokens') ?? 32),
          maxTokens: Number(q.get('max_tokens') ?? 64),
          ttftMs: q.has('ttft_ms') ? Number(q.get('ttft_ms')) : undefined,
          tpotMs: q.has('tpot_ms') ? Number(q.get('tpot_ms')) : undefined,
        });
        res.writeHead(204, { 'x-switchyard-upstream': new URL(member.url).host }).end();
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions')
        return fail(
          404,
          'not_found',
          `the router serves POST /v1/chat/completions and GET /route, not ${req.method} ${path}`,
        );
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const c of req as AsyncIterable<Buffer>) {
        n += c.length;
        if (n > limit) return fail(413, 'payload_too_large', `body over the router's ${limit} bytes`);
        chunks.push(c);
      }
      const raw = Buffer.concat(chunks);
      const ask = askOf(JSON.parse(raw.toString('utf8')), req.headers);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const pass =
        o.forwardTargets === false
          ? ['authorization', 'switchyard-deadline-ms']
          : ['authorization', TTFT_HEADER, TPOT_HEADER, 'switchyard-deadline-ms'];
      for (const k of pass) if (typeof req.headers[k] === 'string') headers[k] = req.headers[k] as string;
      const ac = new AbortController();
      res.on('close', () => ac.abort());
      // a member that refuses (429/503: it predicts a miss, or is full) passes the request on to the next pick
      const tried: Parameters<FleetRouter['pick']>[1] = [];
      let up: Response | undefined,
        end: ReturnType<FleetRouter['start']> = Object.assign(() => {}, { first() {}, tokens(_n: number) {} }),
        name = '',
        decision = '';
      for (;;) {
        const before = router.members.map((m) => `${m.name}:${m.running.length}`).join(',');
        const { member, predicted } = router.pick(ask, tried);
        // what the router knew and predicted, for per-request logs (x-switchyard-decision)
        decision =
          `ttft=${predicted.ttftMs.toFixed(0)};tpot=${predicted.tpotMs.toFixed(1)};` +
          `wait=${predicted.waitMs.toFixed(0)};` +
          `batch=${predicted.batch};meets=${predicted.meets};inflight=${before};tries=${tried.length + 1}`;
        tried.push(member);
        end = router.start(member, predicted, ask);
        router.sentTo(member, ask);
        up = await fetch(`${member.url}/v1/chat/completions`, {
          method: 'POST',
          headers,
          body: raw,
          signal: ac.signal,
        });
        // a member whose KV cache is too small for this prompt (the router's token count is an
        // estimate) passes it on too
        let refused = up.status === 429 || up.status === 503;
        let held: Uint8Array<ArrayBuffer> | undefined;
        if (up.status === 400 && router.policy === 'router') {
          held = new Uint8Array(await up.arrayBuffer());
          refused = /"context_length_exceeded"/.test(Buffer.from(held).toString('utf8'));
        }
        if (!refused || router.policy !== 'router' || tried.length === router.members.length) {
          name = member.name;
          if (held) up = new Response(held, { status: up.status, headers: up.headers });
          break;
        }
        if (!held) await up.body?.cancel();
        end();
      }
      res.on('close', end);
      const out: Record<string, string> = { 'x-switchyard-member': name, 'x-switchyard-decision': decision };
      up.headers.forEach((v, k) => {
        if (!['content-length', 'transfer-encoding', 'connection'].includes(k)) out[k] = v;
      });
      res.writeHead(up.status, out);
      if (up.body)
        for await (const c of up.body as unknown as AsyncIterable<Uint8Array>) {
          end.first();
          end.tokens(countTokenEvents(c));
          res.write(c);
        }
      res.end();
      end();
    } catch (e) {
      if (!res.headersSent) fail(502, 'bad_gateway', `router: ${(e as Error).message}`);
      else res.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', r));
  let refreshing = false;
  const timer = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    void router.refresh().finally(() => {
      refreshing = false;
    });
  }, o.refreshMs ?? 1000);
  timer.unref();
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.address}:${a.port}`,
    router,
    close: () =>
      new Promise((r) => {
        clearInterval(timer);
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
