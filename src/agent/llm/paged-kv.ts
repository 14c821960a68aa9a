// A paged KV cache: one pool of fixed-size blocks per layer on the device, shared by every
// sequence of a batching engine. A sequence holds a block table (block numbers in position order),
// grows it a block at a time as it writes positions, and gives every block back when it finishes
// or is aborted. Admission reserves the blocks a sequence may reach (prompt + max_tokens), so a
// running sequence never finds the pool empty and nothing has to be preempted. Block 0 is never
// handed out: padding rows of a step write there.

import type { Device, DeviceTensor } from '../../backends/device.js';
import { Tensor } from '../../ir/tensor.js';
import type { LlmConfig } from './config.js';
import { formatBytes } from './kv-cache.js';

export class PagedSequence {
  readonly blocks: number[] = [];
  /** Positions written. */
  length = 0;
  released = false;
  /** Decode steps taken and the rows of those steps together (the mean batch it ran in). */
  decodeSteps = 0;
  batchRows = 0;
  constructor(
    readonly pool: PagedKvPool,
    readonly id: number,
    readonly reserved: number,
  ) {}

  /** Pool row of logical position p. */
  row(p: number): number {
    const bs = this.pool.blockSize;
    const blk = this.blocks[Math.floor(p / bs)];
    if (blk === undefined)
      throw new Error(`sequence ${this.id}: position ${p} has no block (holds ${this.blocks.length})`);
    return blk * bs + (p % bs);
  }

  /** Take blocks until positions [0, n) have rows. */
  grow(n: number): void {
    const need = Math.ceil(n / this.pool.blockSize);
    if (need > this.reserved)
      throw new Error(`sequence ${this.id}: ${n} positions need ${need} blocks, it reserved ${this.reserved}`);
    while (this.blocks.length < need) this.blocks.push(this.pool.take());
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.pool.give(this);
  }
}

export class PagedKvPool {
  /** [k0, v0, k1, v1, …], each [blocks * blockSize, kv_heads * head_dim]. */
  tensors: DeviceTensor[];
  private free: number[];
  private reservedBlocks = 0;
  private nextId = 1;
  readonly live = new Set<PagedSequence>();

  private constructor(
    readonly device: Device,
    readonly config: LlmConfig,
    readonly blockSize: number,
    readonly numBlocks: number,
    tensors: DeviceTensor[],
  ) {
    this.tensors = tensors;
    // low numbers first, so a lightly loaded pool touches little memory
    this.free = Array.from({ length: numBlocks - 1 }, (_, i) => numBlocks - 1 - i);
  }

  get rows(): number {
    return this.numBlocks * this.blockSize;
  }
  get bytes(): number {
    return PagedKvPool.bytesFor(this.config, this.rows);
  }
  /** Blocks neither held nor promised to an admitted sequence. */
  get available(): number {
    return this.numBlocks - 1 - this.reservedBlocks;
  }
  get freeBlocks(): number {
    return this.free.length;
  }

  static bytesFor(c: LlmConfig, rows: number): number {
    return 2 * c.numLayers * rows * c.numKvHeads * c.headDim * 4;
  }

  static async create(
    device: Device,
    c: LlmConfig,
    blockSize: number,
    numBlocks: number,
    owner: string,
  ): Promise<PagedKvPool> {
    if (!(Number.isInteger(blockSize) && blockSize >= 1))
      throw new Error(`${owner}: KV block size must be a positive integer, got ${blockSize}`);
    if (!(Number.isInteger(numBlocks) && numBlocks >= 2))
      throw new Error(`${owner}: a paged KV pool needs at least 2 blocks (one is the padding block), got ${numBlocks}`);
    const rows = blockSize * numBlocks;
    const zero = Tensor.zeros('float32', [rows, c.numKvHeads * c.headDim]);
    const tensors: DeviceTensor[] = [];
    try {
      for (let i = 0; i < 2 * c.numLayers; i++) tensors.push(await device.upload(zero));
    } catch (e) {
      for (const t of tensors) device.release(t);
      throw new Error(
        `${owner}: could not allocate the paged KV pool (${numBlocks} blocks of ${blockSize} positions, ` +
          `${formatBytes(PagedKvPool.bytesFor(c, rows))}) on '${device.id}': ${(e as Error).message}`,
      );
    }
    return new PagedKvPool(device, c, blockSize, numBlocks, tensors);
  }

  blocksFor(positions: number): number {
    return Math.ceil(positions / this.blockSize);
  }

  /** A sequence that may reach `positions`; undefined when the pool cannot promise its blocks now. */
  admit(positions: number): PagedSequence | undefined {
    const need = this.blocksFor(positions);
    if (need > this.numBlocks - 1)
      throw new Error(
        `a sequence of ${positions} positions needs ${need} KV blocks; the pool has ${this.numBlocks - 1}`,
      );
    if (need > this.available) return undefined;
    this.reservedBlocks += need;
    const s = new PagedSequence(this, this.nextId++, need);
    this.live.add(s);
    return s;
  }

  take(): number {
    const b = this.free.pop();
    if (b === undefined) throw new Error('the paged KV pool is out of blocks (reservations are broken)');
    return b;
  }

  give(s: PagedSequence): void {
    for (const b of s.blocks) this.free.push(b);
    s.blocks.length = 0;
    this.reservedBlocks -= s.reserved;
    this.live.delete(s);
  }

  /** Take a step's output pools as the pool, freeing the old tensors. */
  replace(next: DeviceTensor[]): void {
    for (const t of this.tensors) this.device.release(t);
    this.tensors = next;
  }

  dispose(): void {
    for (const t of this.tensors) this.device.release(t);
    this.tensors = [];
  }
}
