// Prefix reuse over the paged KV cache. A full block is known by a chain hash: its own tokens and
// the hash of the block before it, so two sequences share a block exactly when they agree on every
// token up to the block's end, and then their key/value rows there are the same numbers (attention
// is causal). A block that fills is registered under its hash; when no sequence holds it any more
// it stays in the pool, idle, until a new sequence whose prompt starts the same way takes it up
// again (its prefill starts after the shared blocks) or until the pool needs the room: idle blocks
// are evicted least recently used first, and a released chain is parked from its last block back,
// so leaves go before the roots other chains may still share.

export interface CachedBlock {
  hash: string;
  parent: string;
  tokens: number[];
}

/** The chain hash of a block of tokens after the block hashed `parent` ('' for the first block). */
export function blockHash(parent: string, tokens: ArrayLike<number>): string {
  // two 32-bit FNV-1a lanes with different seeds over the parent's characters and the token ids;
  // collisions are caught anyway: a lookup compares the tokens and the parent it stored
  let a = 0x811c9dc5,
    b = 0x9e3779b9;
  const mix = (x: number) => {
    a = Math.imul(a ^ (x & 0xffff), 0x01000193);
    a = Math.imul(a ^ (x >>> 16), 0x01000193);
    b = Math.imul(b ^ x, 0x85ebca6b);
    b ^= b >>> 13;
  };
  for (let i = 0; i < parent.length; i++) mix(parent.charCodeAt(i));
  mix(tokens.length);
  for (let i = 0; i < tokens.length; i++) mix(tokens[i]!);
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export interface PrefixStats {
  /** Admissions that looked for a prefix, and the blocks they found. */
  lookups: number;
  reusedBlocks: number;
  registered: number;
  evicted: number;
}

export class PrefixIndex {
  private readonly byHash = new Map<string, number>();
  private readonly meta = new Map<number, CachedBlock>();
  /** Cached blocks no sequence holds, least recently used first (a Map keeps insertion order). */
  private readonly idle = new Map<number, true>();
  readonly stats: PrefixStats = { lookups: 0, reusedBlocks: 0, registered: 0, evicted: 0 };

  get idleCount(): number {
    return this.idle.size;
  }
  get size(): number {
    return this.meta.size;
  }

  /** The cached blocks that hold the first full blocks of `tokens`, in order, at most `maxBlocks`. */
  lookup(tokens: readonly number[], blockSize: number, maxBlocks: number): number[] {
    this.stats.lookups++;
    const out: number[] = [];
    let parent = '';
    for (let k = 0; k < maxBlocks; k++) {
      const toks = tokens.slice(k * blockSize, (k + 1) * blockSize);
      if (toks.length < blockSize) break;
      const h = blockHash(parent, toks);
      const blk = this.byHash.get(h);
      const m = blk === undefined ? undefined : this.meta.get(blk);
      if (!m || m.parent !== parent || m.tokens.some((t, i) => t !== toks[i])) break;
      out.push(blk!);
      parent = h;
    }
    this.stats.reusedBlocks += out.length;
    return out;
  }

  /** Register a block that has just filled; returns its chain hash (a duplicate stays unregistered). */
  register(block: number, parent: string, tokens: number[]): string {
    const hash = blockHash(parent, tokens);
    if (!this.byHash.has(hash) && !this.meta.has(block)) {
      this.byHash.set(hash, block);
      this.meta.set(block, { hash, parent, tokens });
      this.stats.registered++;
    }
    return hash;
  }

  isCached(block: number): boolean {
    return this.meta.has(block);
  }
  hashOf(block: number): string | undefined {
    return this.meta.get(block)?.hash;
  }
  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  /** No sequence holds the block any more: it stays cached, evictable. */
  park(block: number): void {
    this.idle.set(block, true);
  }
  /** A sequence takes a parked block up again. */
  unpark(block: number): void {
    this.idle.delete(block);
  }

  /** Forget the least recently used idle block and hand it out; undefined when none is idle. */
  evict(): number | undefined {
    const first = this.idle.keys().next();
    if (first.done) return undefined;
    const block = first.value;
    this.idle.delete(block);
    const m = this.meta.get(block)!;
    this.meta.delete(block);
    this.byHash.delete(m.hash);
    this.stats.evicted++;
    return block;
  }

  /** Hashes of the cached blocks, most recently used last, at most `limit` (what a server advertises). */
  hashes(limit = 256): string[] {
    const held = [...this.meta.keys()].filter((b) => !this.idle.has(b));
    return [...this.idle.keys(), ...held].slice(-limit).map((b) => this.meta.get(b)!.hash);
  }
}
