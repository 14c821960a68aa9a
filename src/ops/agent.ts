// The agent dialect: one op per agent node kind, so an agent graph is an IR graph the planner can
// place. Values are tensors: text is u8[n] (UTF-8), embeddings f32[d], a KV cache f32[2·layers,
// kv_heads, capacity, head_dim]. Model nodes carry their model as a `body` graph of nn.* ops (the
// encoder, the prefill step, the decode step) and cost what their body costs, times the steps
// they run; the others cost what their attributes say. The agent runtime executes these nodes;
// the reference interpreter cannot (tools, indexes and models are run-time resources).

import { AttrReader } from '../ir/attributes.js';
import type { Graph, Node } from '../ir/graph.js';
import { type Cost, lookupOp, type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim } from '../ir/shape.js';
import { bytesOf } from './util.js';

/** FLOPs and bytes of a whole graph: the sum of its nodes' cost rules (default: one op per output element). */
export function graphCost(g: Graph): Cost {
  let flops = 0,
    bytes = 0;
  for (const n of g.nodes) {
    const types = n.inputs.map((v) => v?.type);
    const outTypes = n.outputs.map((v) => v?.type);
    const def = lookupOp(n.op);
    if (def?.cost) {
      const c = def.cost({ node: n, attrs: new AttrReader(n.attrs, n.describe()), types, outTypes });
      flops += c.flops;
      bytes += c.bytes;
    } else {
      flops += outTypes.reduce((a, t) => a + bytesOf(t) / 4, 0);
      bytes += types.reduce((a, t) => a + bytesOf(t), 0) + outTypes.reduce((a, t) => a + bytesOf(t), 0);
    }
  }
  return { flops, bytes };
}

const bodyCache = new WeakMap<Graph, Cost>();
function bodyCost(n: Node, times = 1): Cost {
  const a = n.attrs.body;
  if (!a || a.kind !== 'graph') return { flops: 0, bytes: 0 };
  let c = bodyCache.get(a.value);
  if (!c) {
    c = graphCost(a.value);
    bodyCache.set(a.value, c);
  }
  return { flops: c.flops * times, bytes: c.bytes * times };
}

const text = () => ({ dtype: 'uint8' as const, shape: [freshDim('len')] });

function notHere(op: string): never {
  throw new Error(
    `${op} runs in the agent runtime (it needs the run's models, indexes and tools), not in a graph interpreter`,
  );
}

const ops: OpDef[] = [
  {
    name: 'agent.filter',
    inputs: ['text'],
    outputs: ['text'],
    attrs: {
      kinds: { kind: 'strings', default: [] },
      mode: { kind: 'string', default: 'redact' },
      est_bytes: { kind: 'int', default: 2048 },
    },
    infer: () => [text()],
    run: () => notHere('agent.filter'),
    // one pass of a handful of regular expressions over the text
    cost: (c) => {
      const b = c.attrs.int('est_bytes', 2048);
      return { flops: 64 * b, bytes: 2 * b };
    },
  },
  {
    name: 'agent.convert',
    inputs: ['x'],
    outputs: ['y'],
    attrs: {
      from: { kind: 'string', required: true },
      to: { kind: 'string', required: true },
      est_bytes: { kind: 'int', default: 4096 },
    },
    infer: (c) => [
      c.attrs.string('to') === 'tensor' || c.attrs.string('to') === 'tokens'
        ? { dtype: c.attrs.string('to') === 'tokens' ? 'int64' : 'float32', shape: [freshDim('n')] }
        : text(),
    ],
    run: () => notHere('agent.convert'),
    cost: (c) => {
      const b = c.attrs.int('est_bytes', 4096);
      return { flops: 16 * b, bytes: 2 * b };
    },
  },
  {
    name: 'agent.tool',
    inputs: ['args...?'],
    outputs: ['result'],
    attrs: {
      tool: { kind: 'string', required: true },
      est_ms: { kind: 'float', default: 1 },
      timeout_ms: { kind: 'float', default: 10000 },
    },
    infer: () => [text()],
    run: () => notHere('agent.tool'),
    // a tool's time is not arithmetic: the planner reads est_ms
    cost: () => ({ flops: 0, bytes: 1024 }),
  },
  {
    name: 'agent.embed',
    inputs: ['text'],
    outputs: ['vector'],
    attrs: {
      model: { kind: 'string', required: true },
      dim: { kind: 'int', required: true },
      body: { kind: 'graph' },
      weight_bytes: { kind: 'int', default: 0 },
    },
    infer: (c) => [{ dtype: 'float32', shape: [c.attrs.int('dim')] }],
    run: () => notHere('agent.embed'),
    cost: (c) => bodyCost(c.node),
  },
  {
    name: 'agent.retrieve',
    inputs: ['query'],
    outputs: ['hits'],
    attrs: {
      index: { kind: 'string', required: true },
      method: { kind: 'string', default: 'exact' },
      k: { kind: 'int', default: 4 },
      docs: { kind: 'int', default: 0 },
      dim: { kind: 'int', default: 0 },
      body: { kind: 'graph' },
    },
    infer: () => [text()],
    run: () => notHere('agent.retrieve'),
    cost: (c) => {
      const N = c.attrs.int('docs', 0),
        d = c.attrs.int('dim', 0),
        k = c.attrs.int('k', 4);
      if (c.attrs.string('method', 'exact') === 'exact')
        return c.node.attrs.body ? bodyCost(c.node) : { flops: 2 * N * d + N * Math.log2(k + 1), bytes: 4 * N * d };
      // HNSW: about ef·M distance evaluations per layer visited, ef = max(64, k)
      const visits = Math.max(64, k) * 16 * Math.max(1, Math.log2(N + 1));
      return { flops: 2 * d * visits, bytes: 4 * d * visits };
    },
  },
  {
    name: 'agent.prefill',
    inputs: ['prompt...'],
    outputs: ['kv_cache', 'first_token'],
    attrs: {
      model: { kind: 'string', required: true },
      body: { kind: 'graph' },
      prompt_tokens: { kind: 'int', default: 64 },
      layers: { kind: 'int', required: true },
      kv_heads: { kind: 'int', required: true },
      capacity: { kind: 'int', required: true },
      head_dim: { kind: 'int', required: true },
      weight_bytes: { kind: 'int', default: 0 },
      ttft_ms: { kind: 'float', default: 0 },
    },
    infer: (c) => [
      {
        dtype: 'float32',
        shape: [2 * c.attrs.int('layers'), c.attrs.int('kv_heads'), c.attrs.int('capacity'), c.attrs.int('head_dim')],
      },
      { dtype: 'int64', shape: [1] },
    ],
    run: () => notHere('agent.prefill'),
    // the body is one prefill chunk; a prompt of several chunks runs it several times
    cost: (c) => {
      const body = c.node.attrs.body;
      const chunk = body?.kind === 'graph' ? ((body.value.inputs[0]?.type?.shape?.[1] as number) ?? 1) : 1;
      return bodyCost(c.node, Math.max(1, Math.ceil(c.attrs.int('prompt_tokens', 64) / chunk)));
    },
  },
  {
    name: 'agent.decode',
    inputs: ['kv_cache', 'first_token'],
    outputs: ['text'],
    attrs: {
      model: { kind: 'string', required: true },
      body: { kind: 'graph' },
      max_tokens: { kind: 'int', default: 64 },
      weight_bytes: { kind: 'int', default: 0 },
      tpot_ms: { kind: 'float', default: 0 },
    },
    infer: () => [text()],
    run: () => notHere('agent.decode'),
    cost: (c) => bodyCost(c.node, Math.max(0, c.attrs.int('max_tokens', 64) - 1)),
  },
];

registerOps(ops);
