// What op planners see while a unit is planned for one set of input shapes: concrete dims, value
// slots (pointers resolved at run time), scratch from the unit's arena, resident descriptors.

import type { DType } from '../../ir/dtype.js';
import type { Node, Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import type { Expr } from '../../ops/kernel/expr.js';
import type { InputMode } from './codegen.js';
import type { ThreadPool } from './pool.js';

/** A step reads value pointers from P (indexed by slot) when it runs. */
export type Step = (P: Float64Array) => void | Promise<void>;

export interface PlanCtx {
  node: Node;
  pool: ThreadPool;
  /** The linear memory, for steps that read a small value (a scalar input) on the JS side. */
  memory: WebAssembly.Memory;
  threads: number;
  dims(v: Value): number[];
  dtype(v: Value): DType;
  constOf(v: Value | null | undefined): Tensor | undefined;
  slot(v: Value): number;
  /** The output aliases the input's storage (reshape-like ops). */
  alias(out: Value, input: Value): void;
  /** A scratch block from the unit's arena, live during this step only; returns a slot. */
  scratch(bytes: number): number;
  /** A scratch float32 tensor of these dims (a Value with an arena slot), live during this step. */
  temp(dims: number[]): Value;
  /** A small resident block (descriptors, scaled constants) written once; returns its address. */
  resident(data: Int32Array | Float32Array): number;
  /** A packed copy of a constant K×N matrix operand (weights), made once per device. */
  packed(v: Value, K: number, N: number, rsb: number, csb: number, layout?: 'gemm' | 'gemv'): Promise<number>;
  /** Function id of generated code for an expression over inputs in the given modes. */
  mapFn(expr: Expr, modes: InputMode[], boolOut?: boolean): Promise<number>;
  fn(family: string, name: string): number;
  /** Per-thread gemm workspace (nt blocks, `stride` bytes apart). */
  workspace(): { ptr: number; stride: number };
}

export type OpPlanner = (ctx: PlanCtx) => Step | 'view' | 'cpu' | Promise<Step | 'view' | 'cpu'>;

/** Work above which a kernel is split across threads (elements or flops); below, the main thread runs it. */
export const PARALLEL_MIN = 1 << 15;
/**
 * Work up to which a kernel tries both ways before it settles: on the main thread alone and split
 * across the workers (waking them costs tens of microseconds, more on a loaded machine); above, it
 * is always split.
 */
export const ADAPTIVE_MAX = 1 << 22;
/** Runs of each way a kernel times before it keeps the faster (the median of each). */
const TRIALS = 4;

const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export function run(ctx: PlanCtx, fn: number, work: number, args: (P: Float64Array) => number[]): Step {
  const pool = ctx.pool;
  if (work < PARALLEL_MIN || ctx.threads === 1)
    return (P) => {
      pool.call(fn, args(P));
    };
  if (work > ADAPTIVE_MAX) return (P) => pool.run(fn, args(P));
  return adaptive(pool, fn, args);
}

/**
 * A kernel that times its first runs alone on the main thread and split across the workers, in
 * turn, then keeps whichever was faster: the thread count per kernel, measured where it runs.
 */
function adaptive(pool: ThreadPool, fn: number, args: (P: Float64Array) => number[]): Step {
  const times: [number[], number[]] = [[], []];
  let mode: 0 | 1 | undefined;
  let turn = 0;
  const note = (m: 0 | 1, ms: number) => {
    times[m].push(ms);
    if (times[0].length >= TRIALS && times[1].length >= TRIALS) mode = medianOf(times[0]) <= medianOf(times[1]) ? 0 : 1;
  };
  return (P) => {
    if (mode === 0) {
      pool.call(fn, args(P));
      return;
    }
    if (mode === 1) return pool.run(fn, args(P));
    const m = (turn++ & 1) as 0 | 1;
    const a = args(P);
    const t0 = performance.now();
    if (m === 0) pool.call(fn, a);
    else {
      const r = pool.run(fn, a);
      if (r) return r.then(() => note(1, performance.now() - t0));
    }
    note(m, performance.now() - t0);
  };
}

/** What one op family's WASM file provides: a planner per op, and which ops take other dtypes. */
export interface WasmFamily {
  planners: Record<string, OpPlanner>;
  /** Ops whose kernels handle every dtype (pure data movement, integer kernels). */
  anyDtype?: string[];
  /** Ops whose data input and outputs must be float32; their other inputs may be any type. */
  floatData?: string[];
  /** Ops whose planners check their own dtypes (indices, sequence lengths): no float32 rule. */
  ownDtypes?: string[];
}
