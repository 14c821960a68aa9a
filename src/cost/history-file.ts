// Node-only JSON file store for kernel history and calibrated profiles (kept out of history.ts
// so browser bundles never pull in node:fs).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HistoryData, HistoryStore } from './history.js';

/** ~/.cache/switchyard, or $SWITCHYARD_CACHE. */
export function cacheDir(): string {
  return process.env.SWITCHYARD_CACHE ?? join(homedir(), '.cache', 'switchyard');
}

export function readJson<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}); delete it to start over`);
  }
}

/** Write through a temporary file so a crash never leaves half a cache. */
export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 1));
  renameSync(tmp, path);
}

export class JsonFileStore implements HistoryStore {
  constructor(readonly path = join(cacheDir(), 'kernel-history.json')) {}
  load(): HistoryData | undefined {
    return readJson<HistoryData>(this.path);
  }
  save(d: HistoryData): void {
    writeJson(this.path, d);
  }
}
