// A paged KV cache: one pool of fixed-size blocks per layer on the device, shared by every
// sequence of a batching engine. A sequence holds a block table (block numbers in position order),
// grows it a block at a time as it writes positions, and gives every block back when it finishes
// or is aborted. Admission reserves the blocks a sequence may reach (prompt + max_tokens), so a
// running sequence never finds the pool empty and nothing has to be preempted. Block 0 is never
// handed out: padding rows of a step write there. Full blocks are kept for prefix reuse
// (prefix-cache.ts): a block may be held by several sequences (a reference count per block), and
// one no sequence holds stays cached until the pool needs it.

import type { Device, DeviceTensor } from '../../backends/device.js';
import { Tensor } from '../../ir/tensor.js';
import type { LlmConfig } from './config.js';
import { formatBytes } from './kv-cache.js';
import { PrefixIndex } from './prefix-cache.js';
import { rowWriter } from './row-writes.js';

export class PagedSequence {
  readonly blocks: number[] = [];
  /** Positions written. */
  length = 0;
  /** Positions found in the prefix cache at admission: the prefill starts there. */
  cached = 0;
  /** The token at each position written (what the chain hashes of its full blocks are made of). */
  readonly tokens: number[] = [];
  /** Chain hashes of its full blocks, in order. */
  readonly hashes: string[] = [];
  /** New blocks taken so far (of `reserved`). */
  taken = 0;
  released = false;
  /** Decode steps taken and the rows of those steps together (the mean batch it ran in). */
  decodeSteps = 0;
  batchRows = 0;
  constructor(
    readonly pool: PagedKvPool,
    readonly id: number,
    /** New blocks it may take (the blocks it may reach less those found in the cache). */
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
    const reach = this.reserved + this.cached / this.pool.blockSize;
    if (need > reach) throw new Error(`sequence ${this.id}: ${n} positions need ${need} blocks, it reserved ${reach}`);
    while (this.blocks.length < need) {
      this.blocks.push(this.pool.take());
      this.taken++;
    }
  }

  /** A step wrote `tokens` at pos0..: remember them and register the blocks they filled. */
  wrote(pos0: number, tokens: readonly number[]): void {
    if (this.released) return;
    for (let i = 0; i < tokens.length; i++) this.tokens[pos0 + i] = tokens[i]!;
    const bs = this.pool.blockSize;
    while (this.hashes.length < Math.floor(this.tokens.length / bs)) {
      const k = this.hashes.length;
      const toks = this.tokens.slice(k * bs, (k + 1) * bs);
      if (toks.length < bs || toks.some((t) => t === undefined)) break;
      this.hashes.push(this.pool.prefixes.register(this.blocks[k]!, this.hashes[k - 1] ?? '', toks));
    }
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
  /** Blocks neither held nor cached. */
  private free: number[];
  /** Sequences per block. */
  private readonly refs: Int32Array;
  /** New blocks admitted sequences may still take. */
  private promised = 0;
  private nextId = 1;
  readonly live = new Set<PagedSequence>();
  readonly prefixes = new PrefixIndex();
  /** Whether admission looks for cached prefixes (blocks are registered either way). */
  reuse = true;

  private constructor(
    readonly device: Device,
    readonly config: LlmConfig,
    readonly blockSize: number,
    readonly numBlocks: number,
    tensors: DeviceTensor[],
  ) {
    this.tensors = tensors;
    this.refs = new Int32Array(numBlocks);
    // low numbers first, so a lightly loaded pool touches little memory
    this.free = Array.from({ length: numBlocks - 1 }, (_, i) => numBlocks - 1 - i);
  }

  get rows(): number {
    return this.numBlocks * this.blockSize;
  }
  get bytes(): number {
    return PagedKvPool.bytesFor(this.config, this.rows);
  }
  /** Blocks neither held nor promised to an admitted sequence (idle cached blocks count: they can be evicted). */
  get available(): number {
    return this.free.length + this.prefixes.idleCount - this.promised;
  }
  /** Blocks no sequence holds (free or idle in the prefix cache). */
  get freeBlocks(): number {
    return this.free.length + this.prefixes.idleCount;
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
    const tensors: DeviceTensor[] = [];
    try {
      // a tensor each: devices that keep the host's data (the reference) are written in place
      for (let i = 0; i < 2 * c.numLayers; i++)
        tensors.push(await device.upload(Tensor.zeros('float32', [rows, c.numKvHeads * c.headDim])));
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

  /**
   * A sequence that may reach `positions`; undefined when the pool cannot promise its blocks now.
   * Given its prompt, the sequence starts with the cached blocks of the prompt's longest cached
   * prefix (`cached` positions; at least the prompt's last token is left to compute, for its logits).
   */
  admit(positions: number, prompt?: readonly number[]): PagedSequence | undefined {
    const need = this.blocksFor(positions);
    if (need > this.numBlocks - 1)
      throw new Error(
        `a sequence of ${positions} positions needs ${need} KV blocks; the pool has ${this.numBlocks - 1}`,
      );
    const bs = this.blockSize;
    const hit =
      prompt && this.reuse && prompt.length > bs
        ? this.prefixes.lookup(prompt, bs, Math.min(need, Math.floor((prompt.length - 1) / bs)))
        : [];
    const fresh = need - hit.length;
    const pinned = hit.filter((b) => this.refs[b] === 0).length;
    if (fresh > this.available - pinned) return undefined;
    for (const b of hit) if (this.refs[b]++ === 0) this.prefixes.unpark(b);
    this.promised += fresh;
    const s = new PagedSequence(this, this.nextId++, fresh);
    s.blocks.push(...hit);
    s.cached = s.length = hit.length * bs;
    for (const b of hit) s.hashes.push(this.prefixes.hashOf(b)!);
    for (let i = 0; i < s.cached; i++) s.tokens.push(prompt![i]!);
    this.live.add(s);
    return s;
  }

  take(): number {
    const b = this.free.pop() ?? this.prefixes.evict();
    if (b === undefined || this.promised <= 0)
      throw new Error('the paged KV pool is out of blocks (reservations are broken)');
    this.promised--;
    this.refs[b] = 1;
    return b;
  }

  give(s: PagedSequence): void {
    // last block first: the leaves of a chain are parked (evicted) before the blocks they follow
    for (let i = s.blocks.length - 1; i >= 0; i--) {
      const b = s.blocks[i]!;
      if (--this.refs[b]! > 0) continue;
      if (this.prefixes.isCached(b)) this.prefixes.park(b);
      else this.free.push(b);
    }
    s.blocks.length = 0;
    this.promised -= s.reserved - s.taken;
    this.live.delete(s);
  }

  /** Write a step's new key/value rows ([rows, kv width] per layer, k0, v0, k1, …) in place. */
  async writeRows(rows: ArrayLike<number>, fresh: DeviceTensor[]): Promise<void> {
    const write = rowWriter(this.device)!;
    try {
      for (let j = 0; j < this.tensors.length; j++) await write(this.tensors[j]!, rows, fresh[j]!);
    } finally {
      for (const t of fresh) this.device.release(t);
    }
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
