// A pool of worker threads over the device's one shared memory. Every thread instantiates the same
// kernel modules against that memory; a job is (function, numeric args) written to a control block
// in the memory, and each thread runs the function with its own tid so the kernel picks its share.
// The main thread takes tid 0 itself. Waiting is synchronous for short jobs (spin, then
// Atomics.wait in Node) and turns asynchronous after SYNC_MS so that a worker's death is noticed:
// its share is then recomputed on the main thread and the pool goes on without it, never a hang.

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Control block layout (i32 slots at CTRL bytes). */
export const CTRL = 1024;
const SEQ = 0,
  PENDING = 1,
  FN = 2,
  NARGS = 3,
  ERR = 4,
  NT = 5,
  TIDS = 8; // TIDS: one slot per worker
const ARGS_BYTE = CTRL + 256;
export const MAX_ARGS = 40;
const YIELD = -1,
  QUIT = -2;
const SYNC_MS = 250;
/** How long a thread spins for the next event before it sleeps (ms). */
const SPIN_MS = 0.05;

export interface ModuleSpec {
  key: string;
  module: WebAssembly.Module /** import namespace 'math' from this module's exports */;
  math?: string;
}

interface WorkerLike {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

type AnyFn = (...args: number[]) => unknown;

/** Instantiate modules in order (a module's `math` import must come earlier). Shared by main and workers. */
export function instantiateModules(
  memory: WebAssembly.Memory,
  specs: ModuleSpec[],
  into: Map<string, WebAssembly.Instance>,
): void {
  for (const s of specs) {
    const imports: WebAssembly.Imports = { env: { memory } };
    if (s.math) imports.math = into.get(s.math)!.exports as WebAssembly.ModuleImports;
    into.set(s.key, new WebAssembly.Instance(s.module, imports));
  }
}

export class ThreadPool {
  private ctrlView: Int32Array;
  private argsView: Float64Array;
  get ctrl(): Int32Array {
    if (this.ctrlView.buffer !== this.memory.buffer) this.ctrlView = new Int32Array(this.memory.buffer, CTRL, 64);
    return this.ctrlView;
  }
  get args(): Float64Array {
    if (this.argsView.buffer !== this.memory.buffer)
      this.argsView = new Float64Array(this.memory.buffer, ARGS_BYTE, MAX_ARGS);
    return this.argsView;
  }
  private readonly instances = new Map<string, WebAssembly.Instance>();
  private readonly fns = new Map<number, AnyFn>();
  private readonly fnNames = new Map<number, string>();
  private readonly fnIndex = new Map<string, number>();
  private readonly modules: ModuleSpec[] = [];
  private workers: (WorkerLike | null)[] = [];
  private acks = new Map<number, () => void>();
  private ackSeq = 0;
  private deadReason: string[] = [];
  /** Why the pool runs with fewer threads than asked (shown once as a warning). */
  readonly warnings: string[] = [];

  private constructor(
    readonly memory: WebAssembly.Memory,
    public threads: number,
  ) {
    this.ctrlView = new Int32Array(memory.buffer, CTRL, 64);
    this.argsView = new Float64Array(memory.buffer, ARGS_BYTE, MAX_ARGS);
  }

  /** Start `threads - 1` workers (the main thread is the first). `threads` = 1 starts none. */
  static async create(memory: WebAssembly.Memory, threads: number, specs: ModuleSpec[]): Promise<ThreadPool> {
    const pool = new ThreadPool(memory, Math.max(1, threads));
    instantiateModules(memory, specs, pool.instances);
    pool.modules.push(...specs);
    if (pool.threads > 1) await pool.startWorkers(specs);
    return pool;
  }

  get liveWorkers(): number {
    return this.workers.filter((w) => w).length;
  }

  private async startWorkers(specs: ModuleSpec[]): Promise<void> {
    const url = new URL('./worker.js', import.meta.url);
    const n = this.threads - 1;
    const ready: Promise<void>[] = [];
    for (let slot = 0; slot < n; slot++) {
      let w: WorkerLike;
      let resolveReady!: () => void, rejectReady!: (e: Error) => void;
      ready.push(
        new Promise<void>((res, rej) => {
          resolveReady = res;
          rejectReady = rej;
        }),
      );
      const onMessage = (m: { type: string; id?: number; error?: string }) => {
        if (m.type === 'ready') resolveReady();
        else if (m.type === 'ack') this.acks.get(m.id!)?.();
        else if (m.type === 'error') this.workerDied(slot, m.error ?? 'error');
      };
      const onDeath = (why: string) => {
        rejectReady(new Error(why));
        this.workerDied(slot, why);
      };
      if (isNode) {
        const spec = 'node:worker_threads';
        const { Worker } = (await import(/* @vite-ignore */ spec)) as typeof import('node:worker_threads');
        const nw = new Worker(url);
        nw.on('message', onMessage);
        nw.on('error', (e: Error) => onDeath(`worker ${slot + 1} failed: ${e.message}`));
        nw.on('exit', (code: number) => onDeath(`worker ${slot + 1} exited (code ${code})`));
        w = nw;
      } else {
        const bw = new Worker(url, { type: 'module' });
        bw.onmessage = (e: MessageEvent) => onMessage(e.data);
        bw.onerror = (e: ErrorEvent) => {
          e.preventDefault?.();
          onDeath(`worker ${slot + 1} failed: ${e.message}`);
        };
        w = bw;
      }
      this.workers.push(w);
      w.postMessage({ type: 'init', memory: this.memory, modules: specs, slot });
    }
    await Promise.all(ready);
    // idle workers must not keep a Node process alive; async waits ref them again (see hold())
    this.hold(false);
  }

  private hold(on: boolean): void {
    for (const w of this.workers) (w as { ref?: () => void; unref?: () => void } | null)?.[on ? 'ref' : 'unref']?.();
  }

  private workerDied(slot: number, why: string): void {
    const w = this.workers[slot];
    if (!w) return;
    this.workers[slot] = null;
    this.deadReason.push(why);
    this.warnings.push(`${why}; the WASM pool continues with ${this.liveWorkers + 1} thread(s)`);
    try {
      w.terminate();
    } catch {
      /* already gone */
    }
    for (const [, ack] of this.acks) ack(); // nobody waits on a dead worker's ack
  }

  /** Load more modules (generated k.map kernels) on every thread; resolves when all have them. */
  async addModules(specs: ModuleSpec[]): Promise<void> {
    instantiateModules(this.memory, specs, this.instances);
    this.modules.push(...specs);
    const live = this.workers.map((w, i) => [w, i] as const).filter(([w]) => w);
    if (!live.length) return;
    const id = ++this.ackSeq;
    let left = live.length;
    const done = new Promise<void>((res) => {
      this.acks.set(id, () => {
        if (--left <= 0) res();
      });
    });
    for (const [w] of live) w!.postMessage({ type: 'add', modules: specs, id });
    this.signal(YIELD);
    this.hold(true);
    try {
      await done;
    } finally {
      this.hold(false);
    }
    this.acks.delete(id);
  }

  /**
   * Id of an exported kernel function: module position × 1024 + export position. Every thread
   * loads the same modules in the same order, so ids resolve alike everywhere without a message.
   */
  fn(key: string, name: string): number {
    const k = `${key}.${name}`;
    let id = this.fnIndex.get(k);
    if (id === undefined) {
      const m = this.modules.findIndex((s) => s.key === key);
      const e =
        m < 0
          ? -1
          : WebAssembly.Module.exports(this.modules[m]!.module).findIndex(
              (x) => x.name === name && x.kind === 'function',
            );
      if (e < 0) throw new Error(`WASM kernel ${k} does not exist (stale wasm/build? run npm run build)`);
      id = m * 1024 + e;
      this.fns.set(id, this.instances.get(key)!.exports[name] as AnyFn);
      this.fnNames.set(id, k);
      this.fnIndex.set(k, id);
    }
    return id;
  }

  /** Call a kernel on the main thread only. */
  call(fn: number, args: readonly number[]): number {
    return this.fns.get(fn)!(0, 1, ...args) as number;
  }

  private signal(fnId: number): void {
    Atomics.store(this.ctrl, FN, fnId);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
  }

  /**
   * Run a kernel on every live thread (fn(tid, nt, ...args)). Returns undefined when it finished
   * within SYNC_MS, else a promise (so worker deaths can be observed and recovered).
   */
  run(fn: number, args: readonly number[]): void | Promise<void> {
    const live: number[] = [];
    this.workers.forEach((w, i) => {
      if (w) live.push(i);
    });
    const nt = live.length + 1;
    const f = this.fns.get(fn)!;
    if (nt === 1) {
      f(0, 1, ...args);
      return;
    }
    if (args.length > MAX_ARGS) throw new Error(`kernel call with ${args.length} arguments; at most ${MAX_ARGS}`);
    for (let i = 0; i < args.length; i++) this.args[i] = args[i]!;
    const ctrl = this.ctrl;
    ctrl[NARGS] = args.length;
    ctrl[NT] = nt;
    ctrl[ERR] = 0;
    for (let s = 0; s < this.workers.length; s++) ctrl[TIDS + s] = -1;
    live.forEach((slot, i) => {
      ctrl[TIDS + slot] = i + 1;
    });
    Atomics.store(ctrl, PENDING, live.length);
    this.signal(fn);
    f(0, nt, ...args);
    // short wait: spin, then block (Node) or keep spinning (a page's main thread may not block)
    // the other threads usually finish within microseconds of this one: spin (a futex sleep and
    // wake costs tens of microseconds per kernel), then block in Node after SPIN_MS
    const t0 = performance.now();
    let spins = 0;
    while (Atomics.load(ctrl, PENDING) > 0) {
      if (++spins & 255) continue;
      const dt = performance.now() - t0;
      if (dt > SYNC_MS) return this.waitAsync(fn, args, live, nt);
      if (isNode && dt > SPIN_MS) {
        const p = Atomics.load(ctrl, PENDING);
        if (p > 0) Atomics.wait(ctrl, PENDING, p, 5);
      }
    }
    this.checkError(fn);
  }

  private async waitAsync(fn: number, args: readonly number[], live: number[], nt: number): Promise<void> {
    this.hold(true);
    // Atomics.waitAsync alone does not keep a Node event loop alive while a worker's exit is pending
    const keep = setInterval(() => {}, 1000);
    try {
      await this.waitAsyncInner(fn, args, live, nt);
    } finally {
      clearInterval(keep);
      this.hold(false);
    }
  }

  private async waitAsyncInner(fn: number, args: readonly number[], live: number[], nt: number): Promise<void> {
    const ctrl = this.ctrl;
    const redone = new Set<number>();
    for (;;) {
      const p = Atomics.load(ctrl, PENDING);
      if (p <= 0) break;
      // dead workers' shares are recomputed here (kernels write their share idempotently)
      live.forEach((slot, i) => {
        if (!this.workers[slot] && !redone.has(slot)) {
          redone.add(slot);
          this.fns.get(fn)!(i + 1, nt, ...args);
          if (Atomics.sub(ctrl, PENDING, 1) === 1) Atomics.notify(ctrl, PENDING);
        }
      });
      const w = (
        Atomics as unknown as {
          waitAsync?: (
            a: Int32Array,
            i: number,
            v: number,
            t: number,
          ) => { async: boolean; value: Promise<string> | string };
        }
      ).waitAsync;
      if (w) {
        const r = w(ctrl, PENDING, p, 50);
        if (r.async) await r.value;
      } else {
        await new Promise((res) => setTimeout(res, 5));
      }
    }
    this.checkError(fn);
  }

  private checkError(fn: number): void {
    if (this.ctrl[ERR]) {
      this.ctrl[ERR] = 0;
      throw new Error(
        `WASM kernel ${this.fnNames.get(fn)} trapped on a worker thread (out-of-bounds access or bad arguments)`,
      );
    }
  }

  /** Kill a worker (tests use this to check recovery). */
  killWorkerForTest(slot = 0): void {
    const w = this.workers[slot];
    if (w) {
      w.terminate();
      if (!isNode) this.workerDied(slot, `worker ${slot + 1} was terminated`);
    }
  }

  async dispose(): Promise<void> {
    if (this.workers.length) this.signal(QUIT);
    const ws = this.workers;
    this.workers = [];
    await Promise.all(
      ws.map(async (w) => {
        if (w) await w.terminate();
      }),
    );
  }
}

/** The loop a worker runs (src/backends/wasm/worker.ts): wait for a job, run its share, report. */
export function workerLoop(
  memory: WebAssembly.Memory,
  slot: number,
  resolve: (id: number) => AnyFn,
  state: { seen: number },
): 'yield' | 'quit' {
  const ctrl = new Int32Array(memory.buffer, CTRL, 64);
  const args = new Float64Array(memory.buffer, ARGS_BYTE, MAX_ARGS);
  // `seen` survives a yield: a job posted while this worker was away is still picked up
  let seen = state.seen;
  const a: number[] = [];
  for (;;) {
    // spin a little for the next job (kernels of one run come back to back), then sleep
    let spins = 0;
    let t0 = 0;
    while (Atomics.load(ctrl, SEQ) === seen) {
      if (++spins & 255) continue;
      if (!t0) t0 = performance.now();
      else if (performance.now() - t0 > 2 * SPIN_MS) Atomics.wait(ctrl, SEQ, seen, 1000);
    }
    seen = Atomics.load(ctrl, SEQ);
    state.seen = seen;
    const fn = Atomics.load(ctrl, FN);
    if (fn === YIELD) return 'yield';
    if (fn === QUIT) return 'quit';
    const tid = ctrl[TIDS + slot]!;
    if (tid < 0) continue;
    const n = ctrl[NARGS]!;
    a.length = n;
    for (let i = 0; i < n; i++) a[i] = args[i]!;
    try {
      resolve(fn)(tid, ctrl[NT]!, ...a);
    } catch {
      Atomics.store(ctrl, ERR, 1);
    }
    if (Atomics.sub(ctrl, PENDING, 1) === 1) Atomics.notify(ctrl, PENDING);
  }
}

/** The job counter now (a worker starts from here). */
export function currentSeq(memory: WebAssembly.Memory): number {
  return Atomics.load(new Int32Array(memory.buffer, CTRL, 64), SEQ);
}
