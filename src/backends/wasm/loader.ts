// Loads the AssemblyScript kernel modules (wasm/build/<family>.wasm, shipped with the package) in
// Node (file read) and in the browser (fetch), compiles each once per process, and picks the
// relaxed-SIMD build of a family where this engine validates it. Modules import one shared memory;
// without cross-origin isolation the memory cannot be shared, so the import is patched to a plain
// memory (the kernels use no atomics).

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export const FAMILIES = [
  'elementwise',
  'cast',
  'copy',
  'matmul',
  'matmul-integer',
  'reduce',
  'argmax',
  'cumsum',
  'softmax',
  'normalization',
  'gather',
  'trilu',
  'topk',
  'conv',
  'conv-integer',
  'pool',
  'attention',
  'rotary',
  'quantize',
  'contrib-quant',
  'recurrent',
  'resize',
  'contrib-quant-nbits',
  'pad',
  'logical',
] as const;
export type Family = (typeof FAMILIES)[number];
const RELAXED: readonly Family[] = ['matmul', 'contrib-quant-nbits'];
/**
 * Families whose relaxed build gives the same results on every engine (the nbits kernels' i8 × i7
 * dots take 4-bit codes, 0..15, as the i7 operand), so Node 20 may switch its relaxed SIMD on for
 * them. matmul's relaxed build fuses multiply-adds (other rounding): only where the engine has
 * relaxed SIMD by default.
 */
const RELAXED_EXACT: readonly Family[] = ['contrib-quant-nbits'];

/** SWITCHYARD_WASM_RELAXED=0 (Node) keeps every family on its plain SIMD build (tests of both builds). */
function relaxedWanted(): boolean {
  return !(isNode && process.env.SWITCHYARD_WASM_RELAXED === '0');
}

/**
 * Node 20's V8 has relaxed SIMD behind --experimental-wasm-relaxed-simd (on by default from V8 11.4,
 * Node 22, Chrome 114); the flag can be set before a module compiles, and worker threads share it.
 */
async function enableRelaxedSimd(): Promise<void> {
  if (!isNode) return;
  const spec = 'node:v8';
  const v8 = (await import(/* @vite-ignore */ spec)) as typeof import('node:v8');
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
}

let base: URL | undefined;
/** Where the .wasm files are served from (default: the package's wasm/build next to dist/). */
export function setWasmBase(url: string | URL): void {
  base = new URL(url.toString().replace(/\/?$/, '/'));
  cache.clear();
}
/** Set by bundlers (scripts/build-browser.js defines it): the kernels' folder relative to the bundle. */
declare const SWITCHYARD_WASM_DIR: string | undefined;
function wasmBase(): URL {
  if (base) return base;
  const dir = typeof SWITCHYARD_WASM_DIR === 'string' ? SWITCHYARD_WASM_DIR : '../../../../wasm/build/';
  return new URL(dir, import.meta.url);
}

async function readBytes(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  if (isNode && url.protocol === 'file:') {
    const spec = 'node:fs/promises'; // a variable keeps bundlers from pulling node:fs into browser builds
    const fs = (await import(/* @vite-ignore */ spec)) as typeof import('node:fs/promises');
    const urlSpec = 'node:url';
    const { fileURLToPath } = (await import(/* @vite-ignore */ urlSpec)) as typeof import('node:url');
    try {
      return new Uint8Array(await fs.readFile(fileURLToPath(url)));
    } catch {
      throw new Error(
        `WASM kernel ${url.pathname} is missing: run \`npm run build\` (it builds wasm/*.ts with AssemblyScript)`,
      );
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`WASM kernel ${url.href}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Read an unsigned LEB128 at p; returns [value, next position]. */
function leb(b: Uint8Array, p: number): [number, number] {
  let v = 0,
    shift = 0,
    byte: number;
  do {
    byte = b[p++]!;
    v += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [v, p];
}

/** Turn a module's imported shared memory into a plain one (flag 0x03 -> 0x01) for non-isolated pages. */
export function unshareMemoryImport(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const b = bytes.slice();
  let p = 8;
  while (p < b.length) {
    const id = b[p]!;
    const [size, body] = leb(b, p + 1);
    if (id === 2) {
      let q: number;
      let count: number;
      [count, q] = leb(b, body);
      for (let i = 0; i < count; i++) {
        let len: number;
        [len, q] = leb(b, q);
        q += len; // module name
        [len, q] = leb(b, q);
        q += len; // field name
        const kind = b[q++]!;
        if (kind === 0) {
          [, q] = leb(b, q);
        } // func: type index
        else if (kind === 1) {
          q++;
          const fl = b[q++]!;
          [, q] = leb(b, q);
          if (fl & 1) [, q] = leb(b, q);
        } // table
        else if (kind === 2) {
          if (b[q] === 0x03) b[q] = 0x01;
          const fl = b[q++]!;
          [, q] = leb(b, q);
          if (fl & 1) [, q] = leb(b, q);
        } else if (kind === 3) {
          q += 2;
        } // global: valtype, mutability
      }
      return b;
    }
    p = body + size;
  }
  return b;
}

export interface LoadedKernels {
  modules: Record<Family, WebAssembly.Module>;
  relaxed: boolean;
}

const cache = new Map<string, Promise<LoadedKernels>>();
let relaxedByDefault: boolean | undefined;

/** Compile every kernel family once (per shared/non-shared flavour). */
export function loadKernels(shared: boolean): Promise<LoadedKernels> {
  const key = shared ? 'shared' : 'plain';
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      let relaxed = false;
      const relaxedBytes = new Map<Family, Uint8Array<ArrayBuffer>>();
      if (relaxedWanted()) {
        for (const f of RELAXED) {
          const rb = await readBytes(new URL(`${f}.relaxed.wasm`, wasmBase())).catch(() => undefined);
          const fixed = rb && (shared ? rb : unshareMemoryImport(rb));
          if (!fixed) continue;
          const ok = WebAssembly.validate(fixed);
          // the first answer comes before any flag is set: what the engine has by default
          relaxedByDefault ??= ok;
          if (ok && (relaxedByDefault || RELAXED_EXACT.includes(f))) relaxedBytes.set(f, fixed);
          else if (!ok && RELAXED_EXACT.includes(f)) {
            await enableRelaxedSimd();
            if (WebAssembly.validate(fixed)) relaxedBytes.set(f, fixed);
          }
        }
      }
      const entries = await Promise.all(
        FAMILIES.map(async (f) => {
          let bytes = relaxedBytes.get(f);
          if (bytes) relaxed = true;
          else {
            const raw = await readBytes(new URL(`${f}.wasm`, wasmBase()));
            bytes = shared ? raw : unshareMemoryImport(raw);
          }
          return [f, await WebAssembly.compile(bytes)] as const;
        }),
      );
      return { modules: Object.fromEntries(entries) as Record<Family, WebAssembly.Module>, relaxed };
    })();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
