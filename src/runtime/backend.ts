// The contract between a session and a backend: prepare a graph once, run it many times. A backend
// is a way to build a placed plan (one device and the host, or the planner's placement over many)
// for the one executor; it names the kernel passes its devices need, which the session runs.
// Backends register a factory by name; sessions pick one with `backend: 'name'`.

import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { RunValue } from '../ir/values.js';
import type { PlacedUnit } from '../planner/units.js';

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
  /** The placed plan the executor runs: units with their devices, and the host device. */
  readonly placement?: { readonly placed: readonly PlacedUnit[]; readonly host: string };
}

export interface Backend {
  readonly name: string;
  /** Passes the session runs after its own pipeline, before `prepare` (the kernel-level form). */
  passes?(options: BackendOptions, graph: Graph): string[];
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
