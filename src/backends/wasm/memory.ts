// One linear memory for everything the device holds: weights (and their packed copies),
// activations, worker scratch. A first-fit free list with exact-size reuse: a session's second
// run gets back the blocks of its first, so steady-state runs neither grow memory nor allocate.
// wasm32 addresses 4 GiB at most; requests past that fail with the size and the limit.

import { dtypeBytes } from '../../ir/dtype.js';
import type { Node, Value } from '../../ir/graph.js';
import { isStatic, numel } from '../../ir/shape.js';
import type { Unit } from '../device.js';

export const PAGE = 65536;
export const MAX_PAGES = 65536; // 4 GiB
export const MAX_BYTES = PAGE * MAX_PAGES;
/** Bytes below this are reserved: null, the pool's control block. */
export const HEAP_BASE = 65536;
const ALIGN = 64;

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export class WasmMemory {
  readonly memory: WebAssembly.Memory;
  private top = HEAP_BASE;
  private readonly sizes = new Map<number, number>();
  private readonly free = new Map<number, number[]>();
  /** Counters for tests and the trace: grows and fresh (non-reused) allocations. */
  stats = { grows: 0, fresh: 0, reused: 0, inUse: 0, highWater: 0 };
  private f32?: Float32Array;
  private u8?: Uint8Array;

  constructor(
    readonly shared: boolean,
    initialBytes = 16 * 2 ** 20,
  ) {
    const pages = Math.max(2, Math.ceil(initialBytes / PAGE));
    this.memory = new WebAssembly.Memory({
      initial: pages,
      maximum: MAX_PAGES,
      shared,
    } as WebAssembly.MemoryDescriptor);
  }

  get buffer(): ArrayBufferLike {
    return this.memory.buffer;
  }

  /** Views are refreshed after a grow (a grown buffer is a new object). */
  get F32(): Float32Array {
    if (!this.f32 || this.f32.buffer !== this.memory.buffer || this.f32.byteLength !== this.memory.buffer.byteLength)
      this.f32 = new Float32Array(this.memory.buffer);
    return this.f32;
  }
  get U8(): Uint8Array {
    if (!this.u8 || this.u8.buffer !== this.memory.buffer || this.u8.byteLength !== this.memory.buffer.byteLength)
      this.u8 = new Uint8Array(this.memory.buffer);
    return this.u8;
  }

  alloc(bytes: number, what = 'tensor'): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const list = this.free.get(size);
    let p: number;
    if (list && list.length) {
      p = list.pop()!;
      this.stats.reused++;
    } else {
      if (this.top + size > MAX_BYTES) {
        throw new Error(
          `WASM memory: ${what} needs ${formatBytes(bytes)} but only ${formatBytes(MAX_BYTES - this.top)} of ` +
            `the 4 GiB wasm32 limit is left (${formatBytes(this.top)} in use)`,
        );
      }
      p = this.top;
      this.top += size;
      const need = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (need > 0) {
        // grow by at least a quarter of the current size so a model's first run grows a few times only
        const cur = this.memory.buffer.byteLength / PAGE;
        const want = Math.min(MAX_PAGES - cur, Math.max(need, Math.ceil(cur / 4)));
        this.memory.grow(want);
        this.stats.grows++;
      }
      this.stats.fresh++;
    }
    this.sizes.set(p, size);
    this.stats.inUse += size;
    this.stats.highWater = Math.max(this.stats.highWater, this.stats.inUse);
    return p;
  }

  release(p: number): void {
    const size = this.sizes.get(p);
    if (size === undefined) return;
    this.sizes.delete(p);
    this.stats.inUse -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(p);
  }

  /** Bytes reserved so far (the memory's committed top). */
  get used(): number {
    return this.top;
  }
}

/**
 * Throws when a unit cannot fit in wasm32 memory: a tensor over the limit, or more bytes live at
 * once than the limit (constants always; intermediates from their node to their last use).
 */
export function checkUnitFits(unit: Unit): void {
  const bytesOf = (v: Value) =>
    v.type?.shape && isStatic(v.type.shape) ? numel(v.type.shape) * dtypeBytes(v.type.dtype) : 0;
  const lastUse = new Map<Value, number>();
  unit.nodes.forEach((n, i) => {
    for (const v of n.inputs) if (v) lastUse.set(v, i);
  });
  for (const v of unit.outputs) lastUse.set(v, unit.nodes.length);
  let live = 0,
    peak = 0;
  const counted = new Set<Value>();
  const add = (v: Value, n: Node) => {
    if (counted.has(v)) return;
    counted.add(v);
    const bytes = bytesOf(v);
    if (bytes > MAX_BYTES)
      throw new Error(
        `${n.describe()}: tensor '${v.name}' needs ${formatBytes(bytes)}, more than the 4 GiB wasm32 memory ` +
          `limit of the WASM backend`,
      );
    live += bytes;
  };
  unit.nodes.forEach((n, i) => {
    for (const v of n.inputs) if (v) add(v, n);
    for (const v of n.outputs) if (v) add(v, n);
    peak = Math.max(peak, live);
    for (const v of [...n.inputs, ...n.outputs])
      if (v && !v.const && (lastUse.get(v) ?? i) <= i && counted.has(v)) {
        live -= bytesOf(v);
        lastUse.set(v, Infinity);
      }
  });
  if (peak > MAX_BYTES)
    throw new Error(
      `the model needs at least ${formatBytes(peak)} of WASM memory for its tensors live at once; the wasm32 ` +
        `limit is 4 GiB (use the webgpu backend, or split the model)`,
    );
}
