// SHA-256 content addresses, with web crypto (same code in the browser and in Node). Hashes of
// tensors are cached by identity: a constant is hashed once per process however many sessions use it.

import { sha256Js } from './sha256.js';

const cache = new WeakMap<object, string>();

export const SHA256_RE = /^[0-9a-f]{64}$/;

function hex(buf: ArrayBuffer): string {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  // pages outside a secure context (plain http to a non-local host) have no crypto.subtle
  if (!globalThis.crypto?.subtle) return hex(sha256Js(data).buffer as ArrayBuffer);
  // web crypto refuses views of SharedArrayBuffer; copy those
  const src = data.buffer instanceof ArrayBuffer ? data : new Uint8Array(data);
  return hex(await globalThis.crypto.subtle.digest('SHA-256', src as Uint8Array<ArrayBuffer>));
}

/** Hash of an object's bytes, remembered for the object's lifetime (the data must not change). */
export async function cachedSha256(key: object, bytes: () => Uint8Array): Promise<string> {
  let h = cache.get(key);
  if (!h) {
    h = await sha256Hex(bytes());
    cache.set(key, h);
  }
  return h;
}
