// A generation's KV cache as bytes, for prefill/decode disaggregation across servers (Splitwise,
// DistServe): a prefill server computes the prompt's keys and values and stores them as one
// content-addressed blob; a decode server fetches it (streamed, checked against its SHA-256),
// loads it into its own cache and decodes from there. Layout: "SYKV1\n", a u32 LE header length,
// the JSON header (model fingerprint, layers, kv_heads, head_dim, positions), then per layer the
// key and the value rows [kv_heads, positions, head_dim] as float32 LE.

import { createHash } from 'node:crypto';
import type { LlmConfig } from './config.js';

const MAGIC = new TextEncoder().encode('SYKV1\n');

export interface KvRows {
  /** Positions filled (the prompt's length). */
  positions: number;
  /** [k0, v0, k1, v1, …], each [kv_heads, positions, head_dim]. */
  layers: Float32Array[];
}

export interface KvHeader {
  fingerprint: string;
  layers: number;
  kvHeads: number;
  headDim: number;
  positions: number;
}

export function encodeKv(rows: KvRows, c: LlmConfig, fingerprint: string): { bytes: Uint8Array; sha256: string } {
  const header: KvHeader = {
    fingerprint,
    layers: c.numLayers,
    kvHeads: c.numKvHeads,
    headDim: c.headDim,
    positions: rows.positions,
  };
  const h = new TextEncoder().encode(JSON.stringify(header));
  const per = c.numKvHeads * rows.positions * c.headDim * 4;
  const bytes = new Uint8Array(MAGIC.length + 4 + h.length + rows.layers.length * per);
  bytes.set(MAGIC, 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, h.length, true);
  bytes.set(h, MAGIC.length + 4);
  let o = MAGIC.length + 4 + h.length;
  for (const l of rows.layers) {
    if (l.length * 4 !== per) throw new Error(`KV rows of ${l.length} floats, expected ${per / 4}`);
    bytes.set(new Uint8Array(l.buffer, l.byteOffset, l.byteLength), o);
    o += per;
  }
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Rows from a blob, after checking that it was made by the same model (fingerprint and shape). */
export function decodeKv(bytes: Uint8Array, c: LlmConfig, fingerprint: string): KvRows {
  const bad = (why: string) => new Error(`KV blob: ${why}`);
  if (bytes.length < MAGIC.length + 4 || !MAGIC.every((b, i) => bytes[i] === b))
    throw bad('not a Switchyard KV blob (magic SYKV1)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hl = dv.getUint32(MAGIC.length, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + hl))) as KvHeader;
  if (h.fingerprint !== fingerprint)
    throw bad(
      `made by model ${h.fingerprint.slice(0, 12)}…, this server's model is ${fingerprint.slice(0, 12)}… ` +
        `(prefill and decode need the same weights)`,
    );
  if (h.layers !== c.numLayers || h.kvHeads !== c.numKvHeads || h.headDim !== c.headDim)
    throw bad(
      `shape ${h.layers}×${h.kvHeads}×${h.headDim} does not match the model's ` +
        `${c.numLayers}×${c.numKvHeads}×${c.headDim}`,
    );
  const per = h.kvHeads * h.positions * h.headDim;
  let o = MAGIC.length + 4 + hl;
  if (bytes.length !== o + 2 * h.layers * per * 4)
    throw bad(`${bytes.length} bytes, expected ${o + 2 * h.layers * per * 4} for ${h.positions} positions`);
  const layers: Float32Array[] = [];
  for (let i = 0; i < 2 * h.layers; i++, o += per * 4)
    layers.push(new Float32Array(bytes.slice(o, o + per * 4).buffer));
  return { positions: h.positions, layers };
}
