// Compute pipelines keyed by the program's declared variant (family, variant name and key fields,
// see variant.ts) + bind-group layout, created with
// createComputePipelineAsync so many compile in parallel (warm-up at compile time) and the first
// inference does not stall on a shader-compile storm. A failed compile is an error that names
// the kernel and shows the compiler's message. Two programs under one key with different text are
// a kernel that declares too little: an error naming both labels, never a silent wrong pipeline.

import { STAGE_COMPUTE } from './flags.js';
import type { Dispatch } from './kernel.js';
import { declaration, variantDiff, variantOf } from './variant.js';
import type { BindingSpec } from './wgsl.js';

const bindingSig = (bs: BindingSpec[]) => bs.map((b) => (b.uniform ? 'u' : b.readOnly ? 'r' : 'w')).join('');

export class PipelineCache {
  private pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private ready = new Map<string, GPUComputePipeline>();
  private layouts = new Map<string, GPUBindGroupLayout>();
  /** Source of every program requested, for tests and diagnostics. */
  readonly sources = new Map<string, { code: string; label: string }>();
  compiled = 0;
  hits = 0;

  constructor(private readonly device: GPUDevice) {}

  private keys = new WeakMap<Dispatch, string>();

  /** The cache key of a dispatch's program: bindings and declared variant, not the whole text. */
  static key(d: Pick<Dispatch, 'variant' | 'bindings'>): string {
    return `${bindingSig(d.bindings)} ${declaration(d.variant)}`;
  }

  /** The key of a dispatch, checked once per dispatch against the program compiled under it. */
  keyOf(d: Dispatch): string {
    let k = this.keys.get(d);
    if (k) return k;
    k = PipelineCache.key(d);
    const seen = this.sources.get(k);
    if (seen && seen.code !== d.code) {
      throw new Error(
        `kernels ${seen.label} and ${d.label} emit different programs under one declared variant ` +
          `(${declaration(d.variant).slice(3)}): the variant key leaves out what differs`,
      );
    }
    this.keys.set(d, k);
    return k;
  }

  layout(bindings: BindingSpec[]): GPUBindGroupLayout {
    const sig = bindingSig(bindings);
    let l = this.layouts.get(sig);
    if (!l) {
      l = this.device.createBindGroupLayout({
        entries: bindings.map((b, i) => ({
          binding: i,
          visibility: STAGE_COMPUTE,
          buffer: { type: b.uniform ? 'uniform' : b.readOnly ? 'read-only-storage' : 'storage' },
        })),
      });
      this.layouts.set(sig, l);
    }
    return l;
  }

  /**
   * Why a program is new to this cache: what its declared variant changes against the closest
   * program of the same template compiled before (`M: 64 -> 128`), for traces and diagnostics.
   */
  explain(code: string): string[] {
    const v = variantOf(code);
    if (!v) return ['the program declares no variant'];
    let best: string[] | undefined;
    for (const s of this.sources.values()) {
      if (variantOf(s.code)?.template !== v.template) continue;
      const d = variantDiff(s.code, code);
      if (!best || d.length < best.length) best = d;
    }
    return best ?? [`first program of variant ${v.template}`];
  }

  /** The pipeline if it is compiled already (the fast path while encoding). */
  get(d: Dispatch): GPUComputePipeline | undefined {
    const p = this.ready.get(this.keyOf(d));
    if (p) this.hits++;
    return p;
  }

  /** Start (or join) the compile of a pipeline. */
  request(d: Dispatch): Promise<GPUComputePipeline> {
    const { code, bindings, label } = d;
    const key = this.keyOf(d);
    let p = this.pipelines.get(key);
    if (p) return p;
    this.sources.set(key, { code, label });
    // an error scope captures a shader's validation error: uncaptured, Dawn in Node prints it on
    // standard output (which would break `--json`); captured, it becomes the thrown error below
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label });
    const layout = this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(bindings)] });
    this.compiled++;
    const created = this.device.createComputePipelineAsync({ layout, compute: { module, entryPoint: 'main' }, label });
    const scope = this.device.popErrorScope();
    p = created
      .then(async (pipe) => {
        const err = await scope;
        if (err) throw new Error(err.message);
        this.ready.set(key, pipe);
        return pipe;
      })
      .catch(async (e: unknown) => {
        await scope.catch(() => undefined);
        this.pipelines.delete(key);
        let detail = '';
        try {
          const info = await module.getCompilationInfo();
          detail = info.messages
            .filter((m) => m.type === 'error')
            .map((m) => `line ${m.lineNum}: ${m.message}`)
            .join('; ');
        } catch {
          /* the device may be gone */
        }
        throw new Error(`WGSL kernel ${label} failed to compile: ${detail || (e as Error).message}`);
      });
    this.pipelines.set(key, p);
    return p;
  }

  get size(): number {
    return this.ready.size;
  }
}
