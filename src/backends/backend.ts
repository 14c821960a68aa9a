// The contract between a session and a backend: prepare a graph once, run it many times.
// Backends register a factory by name; sessions pick one with `backend: 'name'`.

import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { RunValue } from '../ir/values.js';

export interface BackendOptions {
  /** Worker threads for CPU backends; default is the machine's cores. */
  threads?: number;
  /** Anything backend-specific (adapter choice, precision, …). */
  [key: string]: unknown;
}

export interface PreparedModel {
  /** Feeds in graph-input order; returns tensors in graph-output order. */
  run(feeds: Tensor[]): Promise<Tensor[]>;
  /**
   * run for graphs whose inputs or outputs may be sequences or optionals (values that live on the
   * host); backends without it run tensor graphs only.
   */
  runValues?(feeds: RunValue[]): Promise<RunValue[]>;
  release(): Promise<void>;
  /** Ops that this backend ran on a slower path, by op name (fallbacks are never silent). */
  fallbacks?: Map<string, string>;
}

export interface Backend {
  readonly name: string;
  prepare(graph: Graph, options: BackendOptions): Promise<PreparedModel>;
}

const FACTORIES = new Map<string, () => Promise<Backend>>();

export function registerBackend(name: string, factory: () => Promise<Backend>): void {
  FACTORIES.set(name, factory);
}

export function backendNames(): string[] {
  return [...FACTORIES.keys()];
}

export async function getBackend(name: string): Promise<Backend> {
  const f = FACTORIES.get(name);
  if (!f) throw new Error(`unknown backend '${name}'; available: ${backendNames().join(', ')}`);
  return f();
}
