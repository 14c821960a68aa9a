// Worker thread of the WASM pool (Node worker_threads or a Web Worker): instantiates the kernel
// modules against the shared memory, then runs jobs until told to yield (to receive more
// modules) or quit. See pool.ts for the protocol.

import { currentSeq, instantiateModules, type ModuleSpec, workerLoop } from './pool.js';

type Msg =
  | { type: 'init'; memory: WebAssembly.Memory; modules: ModuleSpec[]; slot: number }
  | { type: 'add'; modules: ModuleSpec[]; id: number };
type AnyFn = (...a: number[]) => unknown;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
let post: (m: unknown) => void;
let memory: WebAssembly.Memory;
let slot = 0;
const state = { seen: 0 };
const instances = new Map<string, WebAssembly.Instance>();
const order: ModuleSpec[] = [];
const fns = new Map<number, AnyFn>();

/** Function id = module position × 1024 + export position (see ThreadPool.fn). */
function resolve(id: number): AnyFn {
  let f = fns.get(id);
  if (!f) {
    const spec = order[Math.floor(id / 1024)]!;
    const name = WebAssembly.Module.exports(spec.module)[id % 1024]!.name;
    f = instances.get(spec.key)!.exports[name] as AnyFn;
    fns.set(id, f);
  }
  return f;
}

function loop(): void {
  const r = workerLoop(memory, slot, resolve, state);
  if (r === 'quit') {
    if (isNode) process.exit(0);
    else close();
  }
  // 'yield': back to the event loop, where the pending 'add' message waits
}

function onMessage(m: Msg): void {
  try {
    if (m.type === 'init') {
      memory = m.memory;
      slot = m.slot;
      state.seen = currentSeq(memory);
      instantiateModules(memory, m.modules, instances);
      order.push(...m.modules);
      post({ type: 'ready' });
    } else if (m.type === 'add') {
      instantiateModules(memory, m.modules, instances);
      order.push(...m.modules);
      post({ type: 'ack', id: m.id });
    }
  } catch (e) {
    post({ type: 'error', error: `worker ${slot + 1}: ${(e as Error).message}` });
    return;
  }
  loop();
}

if (isNode) {
  const spec = 'node:worker_threads';
  const { parentPort } = (await import(/* @vite-ignore */ spec)) as typeof import('node:worker_threads');
  post = (m) => parentPort!.postMessage(m);
  parentPort!.on('message', (m: Msg) => onMessage(m));
} else {
  post = (m) => (self as unknown as Worker).postMessage(m);
  self.onmessage = (e: MessageEvent) => onMessage(e.data as Msg);
}
