// After placement: a chain of units on the same device (u's outputs feed only v, v reads only
// u's) becomes one unit, on devices where a unit boundary costs something (a GPU's submit and
// wait for completion, a server round trip). The plan keeps its finer grain for placing (a tower
// may be cut anywhere); devices whose units cost nothing extra keep the plan's units, so traces
// line up with the plan one to one.

import type { Graph, Value } from '../ir/graph.js';
import { unitOf } from '../ir/unit.js';
import type { PlacedUnit } from './units.js';

/** mergeOn(device): whether chains on that device are merged. */
export function mergeChains(
  graph: Graph,
  placed: PlacedUnit[],
  mergeOn: (device: string) => boolean = () => true,
): PlacedUnit[] {
  let units = placed.map((p) => ({
    ...p,
    tasks: p.tasks ?? [p.id],
    predictedBusyMs: p.predictedBusyMs ?? p.predictedEndMs - p.predictedStartMs,
  }));
  for (;;) {
    const producer = new Map<Value, number>();
    units.forEach((u, i) =>
      u.unit.nodes.forEach((n) =>
        n.outputs.forEach((o) => {
          if (o) producer.set(o, i);
        }),
      ),
    );
    const preds = units.map(
      (u) => new Set(u.unit.inputs.map((v) => producer.get(v)).filter((i): i is number => i !== undefined)),
    );
    const succs = units.map(() => new Set<number>());
    preds.forEach((ps, i) => ps.forEach((p) => succs[p]!.add(i)));
    const i = units.findIndex((u, i) => {
      if (succs[i]!.size !== 1) return false;
      const j = [...succs[i]!][0]!;
      return preds[j]!.size === 1 && units[j]!.device === u.device && mergeOn(u.device);
    });
    if (i < 0) return units;
    const j = [...succs[i]!][0]!;
    const a = units[i]!,
      b = units[j]!;
    const tasks = [...a.tasks, ...b.tasks];
    const merged: PlacedUnit & { tasks: string[]; predictedBusyMs: number } = {
      id: `${tasks[0]}…${tasks.at(-1)}`,
      unit: unitOf(graph, [...a.unit.nodes, ...b.unit.nodes]),
      device: a.device,
      predictedStartMs: a.predictedStartMs,
      predictedEndMs: Math.max(a.predictedEndMs, b.predictedEndMs),
      predictedBusyMs: a.predictedBusyMs + b.predictedBusyMs,
      tasks,
    };
    units = units.map((u, k) => (k === i ? merged : u)).filter((_, k) => k !== j);
  }
}
