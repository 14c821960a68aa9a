// The fleet's serving model, routing rule and trace simulator (planner/fleet): predictions follow
// the measured figures (TPOT per batch size, TTFT per bucket, the wait for a slot); the router
// picks the cheapest server that meets the SLA and the least-missing one when none does; on a
// fleet where one server cannot keep the TPOT target, the simulator has round-robin miss it for
// that server's share and the router meet it, at no higher cost.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  choose,
  learnTpotScale,
  predictServing,
  remainingMs,
  type ServingFigures,
} from '../../src/planner/fleet/serving.js';
import { type SimServer, simulate, type TraceRequest } from '../../src/planner/fleet/simulate.js';

const figs = (tpot1: number, tpot8: number, ttft: number): ServingFigures => ({
  prefill: { buckets: [8, 32, 128], ms: [ttft, ttft * 1.5, ttft * 3] },
  tpotMs: tpot1,
  batching: {
    slots: 8,
    blockSize: 16,
    blocks: 65,
    sizes: [1, 2, 4, 8],
    tpotMs: [tpot1, tpot1 * 1.1, tpot1 * 1.4, tpot8],
  },
});

describe('the serving model', () => {
  it('TPOT grows with the batch a request joins; a full server adds the wait for a slot', () => {
    const f = figs(10, 20, 30);
    const idle = predictServing(f, { inflight: 0, slots: 8, meanLeftMs: 0 }, { promptTokens: 20, maxTokens: 11 }, 3.6);
    assert.equal(idle.tpotMs, 10);
    assert.equal(idle.waitMs, 0);
    assert.equal(idle.ttftMs, 45); // the 32-token bucket
    assert.equal(idle.totalMs, 45 + 10 * 10);
    assert.ok(Math.abs(idle.costUsd - (3.6 / 3_600_000) * 145) < 1e-12);
    const busy = predictServing(
      f,
      { inflight: 9, slots: 8, meanLeftMs: 400 },
      { promptTokens: 20, maxTokens: 11 },
      3.6,
    );
    assert.equal(busy.batch, 8);
    // the batch's TPOT, plus the prefills of the 7 that join over its 11 tokens (its own prompt's, 45 ms)
    assert.equal(busy.tpotMs, 20 + (7 * 45) / 11);
    assert.equal(busy.waitMs, (2 * 400) / 8);
    assert.ok(busy.costUsd < idle.costUsd * 1.5, 'a batched request pays a share of the step');
  });

  it('the router takes the cheapest server that meets the SLA, else the least miss', () => {
    const fast = { figures: figs(5, 8, 10), pricePerHour: 4, state: { inflight: 0, slots: 8, meanLeftMs: 0 } };
    const mid = { figures: figs(15, 30, 20), pricePerHour: 1, state: { inflight: 0, slots: 8, meanLeftMs: 0 } };
    const slow = { figures: figs(60, 80, 40), pricePerHour: 0.3, state: { inflight: 0, slots: 8, meanLeftMs: 0 } };
    const ask = { promptTokens: 10, maxTokens: 20, ttftMs: 500, tpotMs: 20 };
    assert.equal(choose('router', [fast, mid, slow], ask, 0), 1, 'mid meets 20 ms at $1/h');
    assert.equal(
      choose('router', [fast, { ...mid, state: { inflight: 7, slots: 8, meanLeftMs: 100 } }, slow], ask, 0),
      0,
      'a crowded mid would not: fast',
    );
    assert.equal(choose('router', [slow, mid], { ...ask, tpotMs: 1 }, 0), 1, 'none meets 1 ms: the least miss');
    assert.deepEqual(
      [0, 1, 2, 3].map((t) => choose('round-robin', [fast, mid, slow], ask, t)),
      [0, 1, 2, 0],
    );
    assert.equal(
      choose('least-loaded', [{ ...fast, state: { inflight: 3, slots: 8, meanLeftMs: 0 } }, mid, slow], ask, 0),
      1,
    );
  });
});

describe('the wait from the queue, capacity and the learned TPOT scale', () => {
  it('one slot: a newcomer waits for the running one and each queued one, from their progress', () => {
    const f = { ...figs(10, 20, 30), batching: undefined };
    const queue = [
      { promptTokens: 20, tokensLeft: 5, prefilled: true }, // 5 tokens × 10 ms left
      { promptTokens: 20, tokensLeft: 11, prefilled: false }, // 45 ms prefill + 10 × 10 ms
    ];
    assert.equal(remainingMs(f, 1, queue[0]!), 50);
    assert.equal(remainingMs(f, 1, queue[1]!), 145);
    const p = predictServing(f, { inflight: 2, slots: 1, meanLeftMs: 0, queue }, { promptTokens: 20, maxTokens: 3 }, 1);
    assert.equal(p.waitMs, 195, 'the running one, then the queued one');
    const scaled = predictServing(
      f,
      { inflight: 2, slots: 1, meanLeftMs: 0, queue, tpotScale: 2 },
      { promptTokens: 20, maxTokens: 3 },
      1,
    );
    assert.equal(scaled.waitMs, 100 + 45 + 200, 'a server measured at twice its TPOT figure');
    assert.equal(scaled.tpotMs, 20);
  });

  it('eight slots: no wait while one is free; when full, the first to end frees one', () => {
    const f = figs(10, 20, 30);
    const q = (left: number) => ({ promptTokens: 20, tokensLeft: left, prefilled: true });
    const seven = Array.from({ length: 7 }, (_, i) => q(10 + i));
    const ask = { promptTokens: 20, maxTokens: 5 };
    assert.equal(predictServing(f, { inflight: 7, slots: 8, meanLeftMs: 0, queue: seven }, ask, 1).waitMs, 0);
    const nine = [...seven, q(3), q(40)];
    // full at 8: the 9th waits for the first slot (3 tokens × 20 ms), the newcomer for the next one
    const p = predictServing(f, { inflight: 9, slots: 8, meanLeftMs: 0, queue: nine }, ask, 1);
    assert.equal(p.waitMs, 200, 'the slot of the one with 10 tokens left (10 × 20 ms)');
  });

  it('a server whose KV capacity cannot hold the request is not chosen while another can', () => {
    const small = { figures: { ...figs(5, 8, 10), capacity: 64 }, pricePerHour: 0.1, state: idleState() };
    const big = { figures: { ...figs(15, 30, 20), capacity: 256 }, pricePerHour: 4, state: idleState() };
    const ask = { promptTokens: 50, maxTokens: 40, ttftMs: 500, tpotMs: 100 };
    assert.equal(predictServing(small.figures, small.state, ask, 0.1).fits, false);
    assert.equal(choose('router', [small, big], ask, 0), 1);
    assert.equal(choose('router', [small, big], { ...ask, maxTokens: 10 }, 0), 0, 'it fits: the cheaper one');
  });

  it('the TPOT scale moves toward measured / predicted, within 0.5-4', () => {
    let k = 1;
    for (let i = 0; i < 20; i++) k = learnTpotScale(k, 150, 100);
    assert.ok(Math.abs(k - 1.5) < 0.01, `${k}`);
    assert.equal(learnTpotScale(1, 0, 100), 1, 'no measurement, no change');
    for (let i = 0; i < 20; i++) k = learnTpotScale(k, 10_000, 100);
    assert.equal(k, 4);
  });
});

const idleState = () => ({ inflight: 0, slots: 8, meanLeftMs: 0 });

describe('the trace simulator', () => {
  const servers: SimServer[] = [
    { name: 'fast', figures: figs(6, 9, 15), slots: 8, pricePerHour: 4 },
    { name: 'mid', figures: figs(14, 24, 30), slots: 8, pricePerHour: 1 },
    { name: 'old', figures: figs(50, 60, 60), slots: 8, pricePerHour: 0.4 },
  ];
  const trace: TraceRequest[] = Array.from({ length: 60 }, (_, i) => ({
    atMs: i * 150,
    promptTokens: 12 + (i % 20),
    maxTokens: 16 + (i % 9),
    ttftMs: 800,
    tpotMs: 30,
  }));

  it("round-robin misses the SLA on the old server's third; the router meets it at no higher cost", () => {
    const rr = simulate(servers, trace, 'round-robin');
    const router = simulate(servers, trace, 'router');
    const att = (r: typeof rr) => r.results.filter((x) => x.meets).length / trace.length;
    assert.ok(att(rr) < 0.9, `round-robin ${att(rr)}`);
    assert.ok(
      rr.results.filter((x) => x.server === 2).every((x) => !x.meets),
      'every request on the old server misses TPOT',
    );
    assert.ok(att(router) >= 0.99, `router ${att(router)}`);
    assert.ok(router.costUsd <= rr.costUsd * 1.05, `router $${router.costUsd} vs round-robin $${rr.costUsd}`);
    assert.ok(
      router.results.filter((x) => x.server === 1).length > trace.length / 2,
      'mostly on the mid server (cheapest that meets it)',
    );
  });

  it('a prompt longer than the largest bucket is prefilled in chunks; same-length prompts share a step', () => {
    const one = servers.slice(1, 2);
    // 300 tokens: chunks of 128, 128 and 44 (bucket 128: 90 ms each) before the first token
    const long = simulate(one, [{ atMs: 0, promptTokens: 300, maxTokens: 2 }], 'router');
    assert.equal(long.results[0]!.ttftMs, 3 * 90);
    // four prompts of the 8-token bucket at once: one prefill step of 4 × 8 = 32 tokens (45 ms)
    const burst = simulate(
      one,
      Array.from({ length: 4 }, () => ({ atMs: 0, promptTokens: 6, maxTokens: 2 })),
      'router',
    );
    assert.deepEqual(
      burst.results.map((r) => r.ttftMs),
      [45, 45, 45, 45],
    );
  });

  it("a simulated request sees the TTFT and TPOT of its server's figures when alone", () => {
    const r = simulate(servers.slice(1, 2), [{ atMs: 0, promptTokens: 20, maxTokens: 5 }], 'router');
    assert.equal(r.results[0]!.ttftMs, 45);
    assert.equal(r.results[0]!.tpotMs, 14);
  });
});
