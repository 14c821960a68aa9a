// Structural and typing checks on a graph. Each problem names the op, the value and the rule.

import type { Graph, Node, TensorType, Value } from './graph.js';
import { inferNode, OpError, opDefOf } from './infer.js';
import { arity } from './op-def.js';
import { formatType } from './text-common.js';

export interface VerifyOptions {
  /** Also re-run shape inference and check the recorded types agree with it. */
  types?: boolean;
}

function typesAgree(recorded: TensorType, inferred: TensorType): boolean {
  if (recorded.dtype !== inferred.dtype || (recorded.wrap ?? []).join() !== (inferred.wrap ?? []).join()) return false;
  if (!recorded.shape || !inferred.shape) return true;
  if (recorded.shape.length !== inferred.shape.length) return false;
  // A symbolic dim on either side may stand for the other's value.
  return recorded.shape.every(
    (d, i) => d === inferred.shape![i] || typeof d === 'string' || typeof inferred.shape![i] === 'string',
  );
}

/** Throws an OpError listing every problem found (up to 20). */
export function verifyGraph(g: Graph, opts: VerifyOptions = {}): void {
  const problems = graphProblems(g, opts);
  if (problems.length) {
    throw new OpError(`graph '${g.name}' is invalid:\n  - ${problems.slice(0, 20).join('\n  - ')}`);
  }
}

/** Every value of a graph and of the subgraphs inside it, with its type (to undo a trial inference). */
function typeSnapshot(nodes: Node[], out: [Value, TensorType | undefined][] = []): [Value, TensorType | undefined][] {
  for (const n of nodes) {
    for (const o of n.outputs) if (o) out.push([o, o.type]);
    for (const a of Object.values(n.attrs)) {
      if (a.kind !== 'graph') continue;
      for (const v of [...a.value.inputs, ...a.value.captures]) out.push([v, v.type]);
      typeSnapshot(a.value.nodes, out);
    }
  }
  return out;
}

/** A subgraph: its own checks, and captures that line up with the node's trailing inputs. */
function subgraphProblems(n: Node, opts: VerifyOptions): string[] {
  const out: string[] = [];
  const graphs = Object.keys(n.attrs)
    .sort()
    .flatMap((k) => {
      const a = n.attrs[k]!;
      return a.kind === 'graph' ? [[k, a.value] as const] : [];
    });
  if (!graphs.length) return out;
  const caps = graphs[0]![1].captures.length;
  for (const [k, sg] of graphs) {
    if (sg.captures.length !== caps)
      out.push(
        `${n.describe()}: subgraph '${k}' captures ${sg.captures.length} values, '${graphs[0]![0]}' ` +
          `${caps} (they must share one list)`,
      );
    if (n.inputs.length < sg.captures.length)
      out.push(
        `${n.describe()}: subgraph '${k}' captures ${sg.captures.length} values but the node has ` +
          `${n.inputs.length} inputs`,
      );
    sg.captures.forEach((c, i) => {
      const v = n.inputs[n.inputs.length - sg.captures.length + i];
      if (c.type && v?.type && formatType(c.type) !== formatType(v.type) && c.type.dtype !== v.type.dtype) {
        out.push(
          `${n.describe()}: capture '${c.name}' of '${k}' is ${formatType(c.type)} but is bound to ` +
            `${formatType(v.type)}`,
        );
      }
    });
    out.push(...graphProblems(sg, { ...opts, types: false }).map((p) => `in subgraph '${k}' of ${n.describe()}: ${p}`));
  }
  return out;
}

function graphProblems(g: Graph, opts: VerifyOptions): string[] {
  const problems: string[] = [];
  const defined = new Set<Value>();
  const names = new Map<string, Value>();
  const define = (v: Value, where: string) => {
    const other = names.get(v.name);
    if (other && other !== v)
      problems.push(`${where}: value '${v.name}' is defined twice (SSA requires one definition)`);
    names.set(v.name, v);
    defined.add(v);
  };
  for (const v of g.inputs) {
    if (!v.type) problems.push(`graph input '${v.name}' has no type`);
    define(v, 'graph input');
  }
  for (const v of g.captures) define(v, 'captured value');
  for (const c of g.constants()) define(c, 'constant');

  for (const n of g.nodes) {
    problems.push(...verifyNode(n, defined, opts), ...subgraphProblems(n, opts));
    for (const o of n.outputs) if (o) define(o, n.describe());
    if (problems.length >= 20) break;
  }
  for (const v of g.outputs) {
    if (!defined.has(v)) problems.push(`graph output '${v.name}' is never defined`);
  }
  return problems;
}

function verifyNode(n: Node, defined: Set<Value>, opts: VerifyOptions): string[] {
  const out: string[] = [];
  const where = n.describe();
  let def;
  try {
    def = opDefOf(n);
  } catch (e) {
    return [(e as Error).message];
  }
  const [_min, max] = arity(def.inputs);
  let last = n.inputs.length;
  while (last > 0 && n.inputs[last - 1] === null) last--;
  if (last > max) out.push(`${where}: takes at most ${max} inputs, got ${last}`);
  def.inputs.forEach((spec, i) => {
    if (!spec.endsWith('?') && !spec.endsWith('...') && !n.inputs[i])
      out.push(`${where}: required input ${spec} (#${i}) is missing`);
  });
  n.inputs.forEach((v, i) => {
    if (v && !defined.has(v))
      out.push(
        `${where}: input #${i} '${v.name}' is used before it is defined (not in topological order, or undefined)`,
      );
  });
  const specs = def.attrs ?? {};
  for (const [k, a] of Object.entries(n.attrs)) {
    const s = specs[k];
    if (!s) {
      out.push(`${where}: '${k}' is not an attribute of ${n.op}`);
      continue;
    }
    const ok =
      a.kind === s.kind ||
      (s.kind === 'float' && a.kind === 'int') ||
      (s.kind === 'floats' && a.kind === 'ints') ||
      (s.kind === 'ints' && a.kind === 'int');
    if (!ok) out.push(`${where}: attribute '${k}' must be ${s.kind}, got ${a.kind}`);
  }
  for (const [k, s] of Object.entries(specs)) {
    if (s.required && !(k in n.attrs)) out.push(`${where}: required attribute '${k}' is missing`);
  }
  if (opts.types && !out.length && n.inputs.every((v) => !v || v.type)) {
    // inferring a control-flow node re-infers its bodies: a check must leave their types as they were
    const snapshot = Object.values(n.attrs).some((a) => a.kind === 'graph') ? typeSnapshot([n]) : [];
    try {
      const inferred = inferNode(n);
      n.outputs.forEach((o, i) => {
        const t = inferred[i];
        if (o?.type && t && !typesAgree(o.type, t)) {
          out.push(
            `${where}: output '${o.name}' is recorded as ${formatType(o.type)} but the op's rule gives ` +
              `${formatType(t)}`,
          );
        }
      });
    } catch (e) {
      out.push((e as Error).message);
    } finally {
      for (const [v, t] of snapshot) v.type = t;
    }
  }
  return out;
}
