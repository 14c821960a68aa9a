// Grouping pass: IR nodes -> placeable units. An elementwise node whose only producer feeds
// nothing else joins that producer's unit (what a fused kernel would do); if there are still
// more units than the planner should see, single-in single-out chains are merged. Every merge
// is recorded with its reason.

import { opSignature } from '../cost/signature.js';
import { addWork, nodeWork, typeBytes, type Work } from '../cost/work.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { type Unit, unitOf } from '../ir/unit.js';

/** A unit with the device the plan put it on and when it predicted it would run. */
export interface PlacedUnit {
  id: string;
  unit: Unit;
  /** Planned device id. */
  device: string;
  predictedStartMs: number;
  predictedEndMs: number;
  /** The plan's tasks this unit runs (several when a chain on one device was merged). */
  tasks?: string[];
  /** Predicted time at work, without waits (default: end - start). */
  predictedBusyMs?: number;
}

/**
 * The plan of a single-device backend: maximal runs of nodes the device supports become its units;
 * each node it does not support becomes a unit on the host (the reference interpreter), recorded
 * in `fallbacks` by op with the device's reason, never silently.
 */
export function singleDevicePlan(
  g: Graph,
  device: string,
  host: string,
  supports: (n: Node) => true | string,
): { placed: PlacedUnit[]; fallbacks: Map<string, string> } {
  const fallbacks = new Map<string, string>();
  const placed: PlacedUnit[] = [];
  let run: Node[] = [];
  const add = (nodes: Node[], on: string) => {
    const id = `${on === host ? 'host' : 'unit'}${placed.length}`;
    placed.push({ id, unit: unitOf(g, nodes), device: on, predictedStartMs: 0, predictedEndMs: 0 });
  };
  const flush = () => {
    if (run.length) add(run, device);
    run = [];
  };
  for (const n of g.nodes) {
    const ok = device === host ? true : supports(n);
    if (ok === true) {
      run.push(n);
      continue;
    }
    flush();
    add([n], host);
    if (!fallbacks.has(n.op)) fallbacks.set(n.op, ok);
  }
  flush();
  return { placed, fallbacks };
}

export interface PlaceUnit {
  id: string;
  nodes: Node[];
  work: Work;
  signatures: string[];
  /** Constant (weight) bytes read by the unit: resident on its device. */
  weightBytes: number;
  /** Largest single tensor the unit touches: checked against per-binding limits. */
  maxTensorBytes: number;
  /** Largest activation it produces, plus weights: a crude working set. */
  workingBytes: number;
}

const elems = (v: Value | null | undefined) =>
  v?.type?.shape ? v.type.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1) : 0;

function isElementwiseAfter(n: Node, producer: Node): boolean {
  const w = nodeWork(n);
  const out = n.outputs.reduce((a, v) => a + elems(v), 0);
  const fromProducer = n.inputs.find((v) => v?.producer === producer);
  return out > 0 && out === elems(fromProducer) && w.flops <= 8 * out;
}

export function groupUnits(g: Graph, maxUnits: number, notes: string[]): PlaceUnit[] {
  const users = g.users();
  const outputs = new Set(g.outputs);
  const parent = new Map<Node, Node>();
  const find = (n: Node): Node => {
    let r = n;
    while (parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  for (const n of g.nodes) parent.set(n, n);
  let fused = 0;
  for (const n of g.nodes) {
    const producers = [...new Set(n.inputs.filter((v) => v && !v.isConst && v.producer).map((v) => v!.producer!))];
    if (producers.length !== 1) continue;
    const u = producers[0]!;
    const onlyHere = u.outputs.every((v) => !v || (!outputs.has(v) && (users.get(v) ?? []).every((x) => x === n)));
    if (onlyHere && isElementwiseAfter(n, u)) {
      parent.set(n, find(u));
      fused++;
    }
  }
  if (fused) notes.push(`fused ${fused} elementwise node(s) into their producers`);

  const groups = new Map<Node, Node[]>();
  for (const n of g.nodes) {
    const r = find(n);
    (groups.get(r) ?? groups.set(r, []).get(r)!).push(n);
  }
  let units = [...groups.values()];

  // merge chains while there are too many units: a unit whose only consumer unit has it as only producer
  let merged = 0;
  while (units.length > maxUnits) {
    const unitOf = new Map<Node, number>();
    units.forEach((u, i) => u.forEach((n) => unitOf.set(n, i)));
    const succ = units.map(() => new Set<number>());
    const pred = units.map(() => new Set<number>());
    units.forEach((u, i) =>
      u.forEach((n) =>
        n.inputs.forEach((v) => {
          const p = v?.producer && unitOf.get(v.producer);
          if (p !== undefined && p !== i) {
            succ[p]!.add(i);
            pred[i]!.add(p);
          }
        }),
      ),
    );
    const i = units.findIndex((_, i) => succ[i]!.size === 1 && pred[[...succ[i]!][0]!]!.size === 1);
    if (i < 0) break;
    const j = [...succ[i]!][0]!;
    units[i] = [...units[i]!, ...units[j]!];
    units = units.filter((_, k) => k !== j);
    merged++;
  }
  if (merged) notes.push(`merged ${merged} chain link(s) to keep ${units.length} units (limit ${maxUnits})`);
  else if (units.length > maxUnits)
    notes.push(`${units.length} units exceed the limit ${maxUnits} but no chain is left to merge`);

  const order = new Map(g.nodes.map((n, i) => [n, i]));
  const used = new Set<string>();
  return units.map((nodes) => {
    nodes.sort((a, b) => order.get(a)! - order.get(b)!);
    const base = nodes[0]!.name || `${nodes[0]!.op.slice(nodes[0]!.op.indexOf('.') + 1)}_${order.get(nodes[0]!)}`;
    let id = base;
    for (let k = 2; used.has(id); k++) id = `${base}#${k}`;
    used.add(id);
    const works = nodes.map(nodeWork);
    const consts = new Set(nodes.flatMap((n) => n.inputs.filter((v) => v?.isConst) as Value[]));
    const weightBytes = [...consts].reduce((a, v) => a + typeBytes(v.type), 0);
    const tensors = nodes.flatMap((n) => [...n.inputs, ...n.outputs]).filter((v): v is Value => !!v);
    const maxTensorBytes = Math.max(0, ...tensors.map((v) => typeBytes(v.type)));
    const act = Math.max(0, ...nodes.flatMap((n) => n.outputs).map((v) => typeBytes(v?.type)));
    return {
      id,
      nodes,
      work: works.reduce(addWork),
      signatures: nodes.map(opSignature),
      weightBytes,
      maxTensorBytes,
      workingBytes: weightBytes + act,
    };
  });
}
