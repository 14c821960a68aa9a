// From a spec (file or builder) to a checked AgentGraph: schema errors that name the node and field,
// references to models/indexes/tools/nodes that exist, conditions that parse, a forward graph
// without cycles (a cycle must be closed by an edge marked as a bounded loop), loop bodies, the
// topological order, and which nodes must stay on the device because they see private data.

import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import type { CheckContext } from '../nodes/kind.js';
import { kindOf } from '../nodes/registry.js';
import type { AgentEdge, AgentGraph, AgentLoop } from '../types.js';
import { exprRefs, parseExpr, templateRefs } from './expr.js';
import { type GraphSpec, graphSpec, NODE_KINDS } from './spec.js';

export type { AgentEdge, AgentGraph, AgentLoop } from '../types.js';

/** What the runtime brings besides the spec (TS builder resources): names that count as declared. */
export interface Declared {
  models?: Iterable<string>;
  indexes?: Iterable<string>;
  tools?: Iterable<string>;
}

export class AgentGraphError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      `${source}: ` +
        (problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`),
    );
  }
}

function describeIssue(spec: unknown, issue: ZodError['issues'][number]): string {
  const path = issue.path.map(String);
  let where = path.length ? `field '${path.join('.')}'` : 'graph';
  if (path[0] === 'nodes' && path.length === 3 && path[2] === 'kind')
    return `node '${path[1]}': 'kind' must be one of ${NODE_KINDS.join(', ')}`;
  if (path[0] === 'nodes' && path.length >= 2) {
    const node = (spec as { nodes?: Record<string, { kind?: string }> }).nodes?.[path[1]!];
    const kind = node && typeof node === 'object' && typeof node.kind === 'string' ? ` (${node.kind})` : '';
    where = `node '${path[1]}'${kind}${path.length > 2 ? `: field '${path.slice(2).join('.')}'` : ''}`;
  } else if (['models', 'indexes', 'tools', 'inputs'].includes(path[0]!) && path.length >= 2) {
    const what = { models: 'model', indexes: 'index', tools: 'tool', inputs: 'input' }[path[0]!];
    where = `${what} '${path[1]}'${path.length > 2 ? `: field '${path.slice(2).join('.')}'` : ''}`;
  } else if (path[0] === 'edges' && path.length >= 2) {
    where = `edge #${Number(path[1]) + 1}${path.length > 2 ? `: field '${path.slice(2).join('.')}'` : ''}`;
  }
  let msg = issue.message;
  if (issue.code === 'invalid_union' && path[0] === 'nodes' && path.length === 2)
    msg = `'kind' must be one of ${NODE_KINDS.join(', ')}`;
  if (issue.code === 'unrecognized_keys')
    msg = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  return `${where}: ${msg}`;
}

/** Parse YAML or JSON text into a checked graph. */
export function parseAgentGraph(text: string, source = 'graph.yaml', declared: Declared = {}): AgentGraph {
  let raw: unknown;
  try {
    raw = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new AgentGraphError(source, [
      `not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    ]);
  }
  return checkAgentGraph(raw, source, declared);
}

export function checkAgentGraph(raw: unknown, source = 'graph', declared: Declared = {}): AgentGraph {
  const parsed = graphSpec.safeParse(raw);
  if (!parsed.success) {
    // one message per node/field, the node-kind union reported once
    const seen = new Set<string>();
    const msgs: string[] = [];
    for (const i of parsed.error.issues) {
      const m = describeIssue(raw, i);
      if (!seen.has(m)) {
        seen.add(m);
        msgs.push(m);
      }
    }
    throw new AgentGraphError(source, msgs);
  }
  return analyse(parsed.data, source, declared);
}

function analyse(spec: GraphSpec, source: string, declared: Declared): AgentGraph {
  const problems: string[] = [];
  const nodes = new Map(Object.entries(spec.nodes));
  const inputs = spec.inputs ?? {};
  const has = (kind: 'models' | 'indexes' | 'tools', name: string) =>
    !!spec[kind]?.[name] || [...(declared[kind] ?? [])].includes(name);
  const names = (kind: 'models' | 'indexes' | 'tools') => [...Object.keys(spec[kind] ?? {}), ...(declared[kind] ?? [])];
  const need = (node: string, kind: 'models' | 'indexes' | 'tools', name: string) => {
    if (!has(kind, name)) {
      const list = names(kind);
      problems.push(
        `node '${node}': ${kind === 'indexes' ? 'index' : kind.slice(0, -1)} '${name}' is not declared under ${kind}` +
          (list.length ? ` (declared: ${list.join(', ')})` : ' (none are)'),
      );
    }
  };
  const reads = new Map<string, string[]>();
  const ref = (node: string, field: string, path: (string | number)[]) => {
    const head = String(path[0]);
    if (head === 'inputs') {
      const inp = path[1];
      if (inp === undefined) problems.push(`node '${node}': field '${field}' reads {{inputs}} without naming an input`);
      else if (!(String(inp) in inputs))
        problems.push(
          `node '${node}': field '${field}' reads input '${inp}', which is not declared under inputs` +
            (Object.keys(inputs).length ? ` (declared: ${Object.keys(inputs).join(', ')})` : ''),
        );
      else reads.get(node)!.push(`inputs.${inp}`);
      return;
    }
    if (!nodes.has(head))
      problems.push(`node '${node}': field '${field}' reads '${head}', which is neither a node nor inputs.*`);
    else if (head === node) problems.push(`node '${node}': field '${field}' reads its own output`);
    else reads.get(node)!.push(head);
  };
  const tmpl = (node: string, field: string, s: string | undefined) => {
    if (s === undefined) return;
    try {
      for (const r of templateRefs(s)) ref(node, field, r.path);
    } catch (e) {
      problems.push(`node '${node}': field '${field}': ${(e as Error).message}`);
    }
  };
  const deepTmpl = (node: string, field: string, v: unknown) => {
    if (typeof v === 'string') tmpl(node, field, v);
    else if (Array.isArray(v)) v.forEach((x, i) => deepTmpl(node, `${field}.${i}`, x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) deepTmpl(node, `${field}.${k}`, x);
  };

  const check: CheckContext = {
    nodes,
    need,
    template: tmpl,
    deepTemplate: deepTmpl,
    ref,
    problem: (m) => problems.push(m),
  };
  for (const id of nodes.keys()) reads.set(id, []);
  for (const [id, n] of nodes) kindOf(n).check(id, n, check);
  for (const [name, ix] of Object.entries(spec.indexes ?? {})) {
    if ('embed' in ix && ix.embed && !has('models', ix.embed))
      problems.push(`index '${name}': embed model '${ix.embed}' is not declared under models`);
  }

  // edges: given, or the data dependencies
  const edges: AgentEdge[] = [];
  if (spec.edges) {
    spec.edges.forEach((e, i) => {
      const [from, to] = Array.isArray(e) ? e : [e.from, e.to];
      const where = `edge #${i + 1} (${from} -> ${to})`;
      for (const end of [from, to]) if (!nodes.has(end)) problems.push(`${where}: '${end}' is not a node`);
      const edge: AgentEdge = { from, to };
      if (!Array.isArray(e)) {
        if (e.when !== undefined) {
          try {
            edge.when = parseExpr(e.when);
            edge.whenSrc = e.when;
            for (const r of exprRefs(edge.when))
              if (r !== 'inputs' && !nodes.has(r))
                problems.push(`${where}: condition "${e.when}" reads '${r}', which is not a node`);
          } catch (err) {
            problems.push(`${where}: condition: ${(err as Error).message}`);
          }
        }
        if (e.loop) edge.loop = { maxIterations: e.loop.maxIterations, onExhausted: e.loop.onExhausted ?? 'stop' };
      }
      edges.push(edge);
    });
  } else {
    for (const [id, rs] of reads)
      for (const r of new Set(rs)) if (!r.startsWith('inputs.')) edges.push({ from: r, to: id });
  }
  const outputs = Array.isArray(spec.output) ? spec.output : [spec.output];
  for (const o of outputs) if (!nodes.has(o)) problems.push(`output '${o}' is not a node`);
  if (problems.length) throw new AgentGraphError(source, problems);

  // forward graph must be acyclic; report one cycle by name
  const fwd = edges.filter((e) => !e.loop);
  const succ = new Map<string, string[]>([...nodes.keys()].map((k) => [k, []]));
  for (const e of fwd) succ.get(e.from)!.push(e.to);
  const order: string[] = [];
  const indeg = new Map<string, number>([...nodes.keys()].map((k) => [k, 0]));
  for (const e of fwd) indeg.set(e.to, indeg.get(e.to)! + 1);
  const ready = [...nodes.keys()].filter((k) => indeg.get(k) === 0);
  while (ready.length) {
    const k = ready.shift()!;
    order.push(k);
    for (const s of succ.get(k)!) {
      indeg.set(s, indeg.get(s)! - 1);
      if (indeg.get(s) === 0) ready.push(s);
    }
  }
  if (order.length < nodes.size) {
    const left = new Set([...nodes.keys()].filter((k) => !order.includes(k)));
    const cycle = findCycle(left, succ);
    throw new AgentGraphError(source, [
      `the edges ${cycle.join(' -> ')} form a cycle outside a bounded loop; ` +
        'mark the edge that closes it with loop: { maxIterations: N }',
    ]);
  }
  const reach = (from: string): Set<string> => {
    const seen = new Set<string>([from]);
    const stack = [from];
    while (stack.length)
      for (const s of succ.get(stack.pop()!)!)
        if (!seen.has(s)) {
          seen.add(s);
          stack.push(s);
        }
    return seen;
  };
  const loops: AgentLoop[] = [];
  for (const e of edges.filter((x) => x.loop)) {
    const fromHead = reach(e.to);
    if (!fromHead.has(e.from)) {
      throw new AgentGraphError(source, [
        `edge ${e.from} -> ${e.to} is marked as a loop, but '${e.to}' does not lead back to '${e.from}'; ` +
          'a loop edge must close a cycle',
      ]);
    }
    const body = new Set([...fromHead].filter((n) => reach(n).has(e.from)));
    loops.push({ edge: e, body });
  }
  // data must be available: a node reads only nodes that run before it, or its own loop's nodes
  const ancestors = new Map<string, Set<string>>();
  for (const k of order) {
    const a = new Set<string>();
    for (const e of fwd)
      if (e.to === k) {
        a.add(e.from);
        for (const x of ancestors.get(e.from)!) a.add(x);
      }
    ancestors.set(k, a);
  }
  for (const [id, rs] of reads) {
    for (const r of rs) {
      if (r.startsWith('inputs.')) continue;
      const inLoop = loops.some((l) => l.body.has(id) && l.body.has(r));
      if (!ancestors.get(id)!.has(r) && !inLoop)
        problems.push(`node '${id}' reads '${r}', which does not run before it; add an edge ${r} -> ${id}`);
    }
  }
  if (problems.length) throw new AgentGraphError(source, problems);

  // private data: taint flows through every node but a filter
  const privateInputs = Object.entries(inputs)
    .filter(([, s]) => s.private)
    .map(([k]) => k);
  const tainted = new Map<string, string>();
  const localOnly = new Map<string, string>();
  for (const k of order) {
    const n = nodes.get(k)!;
    const src = reads
      .get(k)!
      .map((r) =>
        r.startsWith('inputs.') ? (privateInputs.includes(r.slice(7)) ? r.slice(7) : undefined) : tainted.get(r),
      )
      .find((x) => x);
    if (!src) continue;
    localOnly.set(k, src);
    if (!kindOf(n).cleansPrivate) tainted.set(k, src);
    if (
      !kindOf(n).cleansPrivate &&
      n.device &&
      n.device !== 'local' &&
      n.device !== 'auto' &&
      /remote/.test(n.device)
    ) {
      problems.push(
        `node '${k}' reads private input '${src}' without a filter node in between, ` +
          `so it cannot run on '${n.device}'; add a filter node before it`,
      );
    }
  }
  if (problems.length) throw new AgentGraphError(source, problems);
  return { name: spec.name ?? 'agent', spec, source, nodes, order, edges, loops, reads, outputs, localOnly };
}

function findCycle(left: Set<string>, succ: Map<string, string[]>): string[] {
  const color = new Map<string, number>();
  const stack: string[] = [];
  let found: string[] | undefined;
  const dfs = (n: string): void => {
    color.set(n, 1);
    stack.push(n);
    for (const s of succ.get(n)!) {
      if (found || !left.has(s)) continue;
      if (color.get(s) === 1) {
        found = [...stack.slice(stack.indexOf(s)), s];
        return;
      }
      if (!color.get(s)) dfs(s);
    }
    stack.pop();
    color.set(n, 2);
  };
  for (const n of left) {
    if (!found && !color.get(n)) dfs(n);
  }
  return found ?? [...left];
}
