// Memory planning: liveness intervals of the values a graph computes, and offsets in one arena
// where values whose lifetimes do not overlap share space. Backends call planMemory with concrete
// sizes (symbolic dims are only known at the first run); the pass form reports the saving.

import { dtypeBytes } from '../ir/dtype.js';
import type { Graph, Value } from '../ir/graph.js';
import { isStatic, numel } from '../ir/shape.js';
import type { Pass } from './pass.js';

export interface MemoryPlan {
  /** Byte offset of each planned value in the arena. */
  offsets: Map<Value, number>;
  /** Arena size in bytes. */
  size: number;
  /** Sum of all planned sizes: what it would take without reuse. */
  naive: number;
}

export interface Interval {
  value: Value;
  first: number;
  last: number;
  bytes: number;
}

/** For each non-constant value: the step that makes it and the last step that reads it. */
export function liveness(g: Graph, sizeOf: (v: Value) => number): Interval[] {
  const end = g.nodes.length;
  const iv = new Map<Value, Interval>();
  for (const v of g.inputs) iv.set(v, { value: v, first: -1, last: -1, bytes: sizeOf(v) });
  g.nodes.forEach((n, i) => {
    for (const v of n.inputs) {
      const x = v && iv.get(v);
      if (x) x.last = Math.max(x.last, i);
    }
    for (const o of n.outputs) if (o) iv.set(o, { value: o, first: i, last: i, bytes: sizeOf(o) });
  });
  for (const v of g.outputs) {
    const x = iv.get(v);
    if (x) x.last = end;
  } // outputs live to the end
  return [...iv.values()];
}

/** Greedy by size (largest first), placing each value at the lowest offset free over its lifetime. */
export function planMemory(g: Graph, sizeOf: (v: Value) => number, align = 64): MemoryPlan {
  const ivs = liveness(g, sizeOf).sort((a, b) => b.bytes - a.bytes || a.first - b.first);
  const placed: { off: number; end: number; iv: Interval }[] = [];
  const offsets = new Map<Value, number>();
  let size = 0,
    naive = 0;
  const up = (x: number) => Math.ceil(x / align) * align;
  for (const iv of ivs) {
    const bytes = up(Math.max(iv.bytes, 1));
    naive += bytes;
    const clashes = placed.filter((p) => p.iv.first <= iv.last && iv.first <= p.iv.last).sort((a, b) => a.off - b.off);
    let off = 0;
    for (const c of clashes) {
      if (off + bytes <= c.off) break;
      off = Math.max(off, c.end);
    }
    placed.push({ off, end: off + bytes, iv });
    offsets.set(iv.value, off);
    size = Math.max(size, off + bytes);
  }
  return { offsets, size, naive };
}

/** Static size in bytes, or 0 when a dim is symbolic (planned again at run time). */
export function staticBytes(v: Value): number {
  const t = v.type;
  return t?.shape && isStatic(t.shape) ? numel(t.shape) * dtypeBytes(t.dtype) : 0;
}

const fmt = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

export const memoryPlan: Pass = {
  name: 'memory-plan',
  description: 'report the arena a backend would allocate with buffer reuse (static shapes)',
  run(g: Graph) {
    const p = planMemory(g, staticBytes);
    return {
      changed: false,
      summary: `arena ${fmt(p.size)} for ${p.offsets.size} values (${fmt(p.naive)} without reuse)`,
    };
  },
};
