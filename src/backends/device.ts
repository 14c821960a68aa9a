// A device runs compiled units (subgraphs) on tensors that stay where they are computed (GPU
// buffers, WASM linear memory, a remote server). Backends implement Device; `deviceBackend`
// turns one into a whole-graph Backend, and the heterogeneous runtime places units across several.

import { type DType, dtypeBytes } from '../ir/dtype.js';
import type { Node } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { Unit } from '../ir/unit.js';

export type { Unit } from '../ir/unit.js';

/** A tensor resident on a device. `download` brings it back to the CPU. */
export interface DeviceTensor {
  readonly type: DType;
  readonly dims: readonly number[];
}

export interface CompiledUnit {
  readonly unit: Unit;
}

export type DeviceKind = 'reference' | 'wasm' | 'webgpu' | 'remote';

export interface Device {
  readonly id: string;
  readonly kind: DeviceKind;
  /** true when the device has a kernel for the node, else the reason it has not (shown in plans). */
  supports(node: Node): true | string;
  compile(unit: Unit): Promise<CompiledUnit>;
  /** Run a compiled unit; inputs in unit.inputs order, results in unit.outputs order. */
  run(unit: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]>;
  upload(t: Tensor): Promise<DeviceTensor>;
  download(t: DeviceTensor): Promise<Tensor>;
  /** Read several tensors back at once (a GPU: one submit); the runtime uses it for a run's outputs. */
  downloadMany?(ts: DeviceTensor[]): Promise<Tensor[]>;
  /** Free a tensor's storage (pooled buffers go back to the pool). */
  release(t: DeviceTensor): void;
  /**
   * Copy row r of `source` ([R, ...row]) to row rows[r] of `target` ([P, ...row]) in place: the
   * paged KV cache's writes, which would otherwise copy the whole pool every step. Optional.
   */
  writeRows?(target: DeviceTensor, rows: ArrayLike<number>, source: DeviceTensor): Promise<void>;
  /**
   * Resolves when everything submitted so far has finished. Queue-based devices (a GPU) return
   * from `run` once the work is submitted; whoever times a unit waits for this as well.
   */
  finish?(): Promise<void>;
  /**
   * The shared resource the device computes on, if any: 'host-cpu' for WASM workers, the
   * JavaScript interpreter and CPU-emulated GPU adapters. Devices naming the same resource
   * compete for it when they run at the same time (the planner models that).
   */
  readonly computesOn?: string;
  /**
   * Devices that compute on the main thread (WASM's share of every kernel, the JavaScript
   * interpreter) hold the event loop for as long as a unit runs. With this set, they give it a
   * turn between kernels once that many ms have passed, so other devices' completions,
   * transfers and timers are not held up; undefined (the default) never yields. The runtime sets
   * it while units on other devices may be in flight.
   */
  yieldEveryMs?: number;
  dispose(): Promise<void>;
}

/**
 * Why a node must run on the host whatever device it is placed near, or undefined: control flow
 * runs as one unit driven from the host (its bodies on the reference path), and sequences,
 * optionals and strings have no device form. Kernel devices answer this from `supports`.
 */
export function hostOnlyReason(node: Node): string | undefined {
  if (Object.values(node.attrs).some((a) => a.kind === 'graph')) {
    return (
      `${node.op.slice(node.op.indexOf('.') + 1)} is control flow: it runs as one unit driven from ` +
      `the host, its body on the reference path`
    );
  }
  for (const v of [...node.inputs, ...node.outputs]) {
    if (!v?.type) continue;
    if (v.type.wrap?.length) return `'${v.name}' is a ${v.type.wrap[0]}: sequences and optionals live on the host`;
    if (v.type.dtype === 'string') return `'${v.name}' is a string tensor: strings live on the host`;
  }
  return undefined;
}

/**
 * A failure of the device itself (lost GPU, dead worker, unreachable or refusing server), as
 * opposed to a problem with the model or its inputs. The runtime answers it by running the work
 * on another device; any other error is reported to the caller.
 */
export class DeviceError extends Error {
  constructor(
    message: string,
    readonly device: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeviceError';
  }
}

/** Bytes per row of a row write, after checking types, widths and row numbers. */
export function checkRowWrite(t: DeviceTensor, rows: ArrayLike<number>, s: DeviceTensor): number {
  const width = (d: readonly number[]) => d.slice(1).reduce((a, b) => a * b, 1);
  if (t.type !== s.type || width(t.dims) !== width(s.dims) || s.dims[0] !== rows.length)
    throw new Error(
      `writeRows: ${s.type}[${s.dims.join(',')}] cannot go to ${rows.length} rows of ${t.type}[${t.dims.join(',')}]`,
    );
  for (let i = 0; i < rows.length; i++)
    if (!(Number.isInteger(rows[i]) && rows[i]! >= 0 && rows[i]! < t.dims[0]!))
      throw new Error(`writeRows: row ${rows[i]} is outside the target's ${t.dims[0]} rows`);
  return width(t.dims) * dtypeBytes(t.type);
}
