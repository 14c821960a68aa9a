// A graph on the wire: its IR text (src/ir/printer.ts), with every large constant replaced by
// `sha256:<hex>` of its bytes. The text is small and readable in logs; the weights travel once each
// as blobs (PUT /v1/blobs/{sha256}) and are shared by every graph and session that uses them.
// The graph's own address is the SHA-256 of its text.

import type { Graph } from '../ir/graph.js';
import { parseGraph } from '../ir/parser.js';
import { printGraph } from '../ir/printer.js';
import type { Tensor } from '../ir/tensor.js';
import { ProtocolError } from './errors.js';
import { cachedSha256, sha256Hex } from './hash.js';

export interface WireGraph {
  /** SHA-256 of `text`. */
  id: string;
  text: string;
  /** Bytes of each referenced blob, by SHA-256. */
  blobs: Map<string, Uint8Array>;
}

const REF = /^sha256:([0-9a-f]{64})$/;
const BLOB_LINE = /^blob "(?:[^"\\]|\\.)*" = "sha256:([0-9a-f]{64})"$/gm;

export async function graphToWire(g: Graph): Promise<WireGraph> {
  // printing is synchronous and hashing is not: print placeholders, hash, then substitute
  const nonce = `@blob-${Math.random().toString(36).slice(2)}-`;
  const pending: Tensor[] = [];
  const draft = printGraph(g, { blobData: (t) => `${nonce}${pending.push(t) - 1}` });
  const hashes = await Promise.all(pending.map((t) => cachedSha256(t, () => t.bytes())));
  const blobs = new Map<string, Uint8Array>();
  pending.forEach((t, i) => blobs.set(hashes[i]!, t.bytes()));
  const text = draft.replace(new RegExp(`"${nonce}(\\d+)"`, 'g'), (_m, i: string) => `"sha256:${hashes[Number(i)]}"`);
  return { id: await sha256Hex(text), text, blobs };
}

/** Blob hashes a graph text refers to, in order, without parsing it. */
export function blobRefs(text: string): string[] {
  return [...new Set([...text.matchAll(BLOB_LINE)].map((m) => m[1]!))];
}

/** Parse a wire graph; `lookup` gives a blob's bytes (shared, not copied when aligned). */
export function graphFromWire(text: string, lookup: (sha: string) => Uint8Array | undefined): Graph {
  const missing = blobRefs(text).filter((h) => !lookup(h));
  if (missing.length) {
    throw new ProtocolError(
      'missing_blobs',
      `graph refers to ${missing.length} blob(s) the server does not hold; PUT them first`,
      { missing },
    );
  }
  try {
    return parseGraph(text, {
      blob: (name, ref) => {
        const m = REF.exec(ref);
        if (!m) throw new Error(`blob "${name}" must be "sha256:<64 hex>", got ${JSON.stringify(ref.slice(0, 80))}`);
        return lookup(m[1]!)!;
      },
    });
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError('compile_failed', `graph text does not parse: ${(e as Error).message}`);
  }
}
