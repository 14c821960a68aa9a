// Compute pipelines keyed by shader text + bind-group layout, created with
// createComputePipelineAsync so many compile in parallel (warm-up at compile time) and the first
// inference does not stall on a shader-compile storm. A failed compile is an error that names
// the kernel and shows the compiler's message.

import { STAGE_COMPUTE } from './flags.js';
import { type BindingSpec, variantDiff, variantOf } from './wgsl.js';

export class PipelineCache {
  private pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private ready = new Map<string, GPUComputePipeline>();
  private layouts = new Map<string, GPUBindGroupLayout>();
  /** Source of every program requested, for tests and diagnostics. */
  readonly sources = new Map<string, { code: string; label: string }>();
  compiled = 0;
  hits = 0;

  constructor(private readonly device: GPUDevice) {}

  static key(code: string, bindings: BindingSpec[]): string {
    return `${bindings.map((b) => (b.readOnly ? 'r' : 'w')).join('')}\n${code}`;
  }

  layout(bindings: BindingSpec[]): GPUBindGroupLayout {
    const sig = bindings.map((b) => (b.readOnly ? 'r' : 'w')).join('');
    let l = this.layouts.get(sig);
    if (!l) {
      l = this.device.createBindGroupLayout({
        entries: bindings.map((b, i) => ({
          binding: i,
          visibility: STAGE_COMPUTE,
          buffer: { type: b.readOnly ? 'read-only-storage' : 'storage' },
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
    return best ?? [`first program of template ${v.template}`];
  }

  /** The pipeline if it is compiled already (the fast path while encoding). */
  get(key: string): GPUComputePipeline | undefined {
    const p = this.ready.get(key);
    if (p) this.hits++;
    return p;
  }

  /** Start (or join) the compile of a pipeline. */
  request(key: string, code: string, bindings: BindingSpec[], label: string): Promise<GPUComputePipeline> {
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
