// The tool node kind: calls a tool with arguments rendered from templates, or runs the tool call an
// llm node made (its result joins that node's conversation for the next loop iteration). Tools are
// JavaScript: they run on the host, under the node's (or the tool's) timeout.

import { show } from '../runtime/show.js';
import { type NodeKindDef, onHost, singlePlacement } from './kind.js';
import { callTool, coerceArgs, type ToolCall } from './tools.js';

/** Arguments of a `tool:` node: a template that renders to JSON, or an object of templates. */
function argumentsOf(id: string, a: Record<string, unknown> | string, value: (s: string) => unknown) {
  if (typeof a === 'string') {
    const v = value(a);
    try {
      return (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;
    } catch {
      throw new Error(`node '${id}': arguments "${a}" did not render to a JSON object`);
    }
  }
  const walk = (x: unknown): unknown =>
    typeof x === 'string'
      ? value(x)
      : Array.isArray(x)
        ? x.map(walk)
        : x && typeof x === 'object'
          ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]))
          : x;
  return walk(a) as Record<string, unknown>;
}

export const toolKind: NodeKindDef<'tool'> = {
  kind: 'tool',
  models: () => [],
  referenceTokens: (_n, per) => per,
  check(id, n, c) {
    if (!!n.tool === !!n.call)
      c.problem(
        `node '${id}' (tool): give exactly one of 'tool' (with 'arguments') or 'call' ` +
          '(an llm node whose tool call to run)',
      );
    if (n.tool) {
      c.need(id, 'tools', n.tool);
      c.deepTemplate(id, 'arguments', n.arguments);
    }
    if (!n.call) return;
    const target = c.nodes.get(n.call);
    if (!target) c.problem(`node '${id}' (tool): field 'call' names '${n.call}', which is not a node`);
    else if (target.kind !== 'llm' || !target.tools?.length) {
      const is = target.kind === 'llm' ? 'an llm node without tools' : `a ${target.kind} node`;
      c.problem(`node '${id}' (tool): field 'call' must name an llm node with tools; '${n.call}' is ${is}`);
    } else c.ref(id, 'call', [n.call]);
  },
  lower(id, n, c) {
    const attrs = { tool: n.tool ?? `${n.call}.toolCall`, est_ms: 1, timeout_ms: n.timeoutMs ?? 10000 };
    const value = c.g.op('agent.tool', c.ins, attrs, id);
    return { value, ops: [value.producer!] };
  },
  cost: (id, _n, ops, c) => c.hostTask(id, ops[0]!, (ops[0]!.attrs.est_ms?.value as number | undefined) ?? 1),
  pin: (n) => n.device,
  placementOf: singlePlacement,
  resolve: onHost,
  async execute(n, c) {
    let name: string, args: Record<string, unknown>;
    if (n.call) {
      const made = (c.output(n.call) as { toolCall?: ToolCall } | undefined)?.toolCall;
      if (!made)
        throw new Error(
          `node '${c.id}': '${n.call}' made no tool call (guard the edge into '${c.id}' with when: ${n.call}.toolCall)`,
        );
      name = made.name;
      args = made.arguments;
    } else {
      name = n.tool!;
      args = argumentsOf(c.id, n.arguments ?? {}, c.value);
    }
    const tool = c.res.tools.get(name);
    if (!tool) {
      const have = [...c.res.tools.keys()].join(', ') || 'none';
      throw new Error(`node '${c.id}': tool '${name}' is not available (tools: ${have})`);
    }
    // tools run under their own timeout (callTool), not the node's race
    const result = await callTool(name, tool, coerceArgs(args, tool.parameters, show), c.id, c.signal, n.timeoutMs);
    if (n.call) c.conversations.get(n.call)?.push({ role: 'tool', name, content: JSON.stringify(result) });
    return result;
  },
};
