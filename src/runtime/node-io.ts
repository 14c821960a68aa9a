// File access for Node only. Loaded with a dynamic import so browser bundles never see node:fs.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ExternalLoader } from '../frontend/onnx/tensor-proto.js';

export async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(err.code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${err.message})`);
  }
}

/** External-data files live beside the model; refuse paths that climb out of its folder. */
export function externalLoaderFor(modelPath: string): ExternalLoader {
  const base = dirname(resolve(modelPath));
  const cache = new Map<string, Uint8Array>();
  return (location, offset, length) => {
    const file = resolve(base, location);
    if (!file.startsWith(base)) throw new Error(`external data location '${location}' is outside the model's folder`);
    let bytes = cache.get(file);
    if (!bytes) {
      try {
        bytes = new Uint8Array(readFileSync(file));
      } catch {
        throw new Error(`external data file '${location}' (next to ${modelPath}) cannot be read`);
      }
      cache.set(file, bytes);
    }
    const end = length === undefined ? bytes.length : offset + length;
    if (offset < 0 || end > bytes.length)
      throw new Error(`external data '${location}': bytes ${offset}..${end} are past its end (${bytes.length} bytes)`);
    return bytes.subarray(offset, end);
  };
}
