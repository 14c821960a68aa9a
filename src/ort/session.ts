// onnxruntime-web's InferenceSession over Switchyard's Session. The execution-provider list
// becomes the devices Switchyard may use: one kind runs on that backend, several go to the 'auto'
// backend with those devices allowed (Switchyard places the graph across them). Other options map
// as named: freeDimensionOverrides fix symbolic input dims before shape inference,
// preferredOutputLocation 'gpu-buffer' keeps WebGPU outputs on the GPU, externalData supplies
// external-initializer files, graphOptimizationLevel 'disabled' skips constant folding.

import { importOnnx } from '../frontend/onnx/import.js';
import { symbol } from '../frontend/onnx/value-types.js';
import type { DType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { DeviceSpec } from '../runtime/devices.js';
import { loadGraph, Session, type SessionOptions } from '../runtime/session.js';
import { env, webgpuOptions } from './env.js';
import { Tensor } from './tensor.js';

export type ExecutionProvider = string | { name: string; [k: string]: unknown };
export type OutputLocation = 'cpu' | 'gpu-buffer' | 'cpu-pinned' | 'texture' | 'ml-tensor';

export interface ExternalDataFile {
  path: string;
  data: Uint8Array | ArrayBuffer | Blob | string;
}

export interface SessionCreateOptions {
  executionProviders?: readonly ExecutionProvider[];
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  freeDimensionOverrides?: Record<string, number>;
  preferredOutputLocation?: OutputLocation | Record<string, OutputLocation>;
  externalData?: readonly (ExternalDataFile | string)[];
  intraOpNumThreads?: number;
  logSeverityLevel?: number;
  [k: string]: unknown;
}

export interface ValueMetadata {
  name: string;
  isTensor: true;
  type: DType;
  shape: readonly (number | string)[];
}

const KINDS: Record<string, 'wasm' | 'webgpu' | 'reference'> = {
  wasm: 'wasm',
  cpu: 'wasm',
  webgpu: 'webgpu',
  reference: 'reference',
};

/** Devices from the provider list, in order; unknown providers are skipped as ORT skips unavailable ones. */
export function devicesFor(eps: readonly ExecutionProvider[] | undefined): ('wasm' | 'webgpu' | 'reference')[] {
  const names = (eps?.length ? eps : ['wasm']).map((e) => (typeof e === 'string' ? e : e.name));
  const kinds = [...new Set(names.map((n) => KINDS[n]).filter((k): k is 'wasm' | 'webgpu' | 'reference' => !!k))];
  if (!kinds.length)
    throw new Error(
      `none of the execution providers ${names.join(', ')} is available; Switchyard runs 'webgpu', 'wasm' (also for ` +
        `'cpu') and 'reference'`,
    );
  return kinds;
}

async function bytesOf(
  data: ExternalDataFile['data'] | ArrayBufferLike | Uint8Array,
  what: string,
): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer))
    return new Uint8Array(data);
  if (typeof Blob !== 'undefined' && data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  if (typeof data === 'string') {
    if (typeof process !== 'undefined' && process.versions?.node && !/^https?:\/\//.test(data)) {
      const spec = '../runtime/node-io.js';
      return ((await import(/* @vite-ignore */ spec)) as typeof import('../runtime/node-io.js')).readModelFile(data);
    }
    const r = await fetch(data);
    if (!r.ok) throw new Error(`${what} ${data}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }
  throw new TypeError(`${what}: expected bytes, a Blob or a path/URL`);
}

async function graphFor(model: string | Uint8Array | ArrayBufferLike, o: SessionCreateOptions): Promise<Graph> {
  if (!o.externalData?.length)
    return loadGraph(model instanceof Uint8Array || typeof model === 'string' ? model : new Uint8Array(model));
  const files = new Map<string, Uint8Array>();
  for (const f of o.externalData) {
    const e = typeof f === 'string' ? { path: f, data: f } : f;
    files.set(e.path.replace(/^\.\//, ''), await bytesOf(e.data, 'external data'));
  }
  return importOnnx(await bytesOf(model as Uint8Array, 'model'), {
    source: typeof model === 'string' ? model : 'model',
    loadExternal: (location, offset, length) => {
      const b = files.get(location.replace(/^\.\//, ''));
      if (!b)
        throw new Error(
          `external data file '${location}' was not given in options.externalData (given: ` +
            `${[...files.keys()].join(', ') || 'none'})`,
        );
      return b.subarray(offset, length === undefined ? undefined : offset + length);
    },
  });
}

function overrideDims(g: Graph, overrides: Record<string, number>): void {
  const map = new Map(Object.entries(overrides).map(([k, v]) => [symbol(k), v]));
  for (const v of g.inputs) {
    if (v.type?.shape)
      v.type = { ...v.type, shape: v.type.shape.map((d) => (typeof d === 'string' && map.has(d) ? map.get(d)! : d)) };
  }
}

export class InferenceSession {
  private constructor(
    private session: Session,
    private wantCpu: Set<string>,
  ) {}

  static async create(
    model: string | Uint8Array | ArrayBufferLike,
    a?: SessionCreateOptions | number,
    b?: number,
    c?: SessionCreateOptions,
  ): Promise<InferenceSession> {
    let options: SessionCreateOptions = {};
    if (typeof a === 'number') {
      model = new Uint8Array(model as ArrayBufferLike, a, b);
      options = c ?? {};
    } else options = a ?? {};
    const graph = await graphFor(model, options);
    if (options.freeDimensionOverrides) overrideDims(graph, options.freeDimensionOverrides);
    const kinds = devicesFor(options.executionProviders);
    const threads = options.intraOpNumThreads || env.wasm.numThreads || undefined;
    const loc = options.preferredOutputLocation;
    const gpuOut = loc === 'gpu-buffer' || (typeof loc === 'object' && Object.values(loc).includes('gpu-buffer'));
    const so: SessionOptions = { threads, ...webgpuOptions() };
    if (options.graphOptimizationLevel === 'disabled') so.passes = ['shape-inference'];
    if (kinds.length === 1) so.backend = kinds[0];
    else
      so.devices = kinds.map(
        (k): DeviceSpec =>
          k === 'webgpu'
            ? { kind: 'webgpu', adapter: env.webgpu.adapterName }
            : k === 'wasm'
              ? { kind: 'wasm', threads }
              : { kind: 'reference' },
      );
    if (gpuOut && kinds.length === 1 && kinds[0] === 'webgpu')
      (so as Record<string, unknown>).preferredOutputLocation = 'gpu';
    const session = await Session.create(graph, so);
    const wantCpu = new Set(
      typeof loc === 'object'
        ? Object.entries(loc)
            .filter(([, l]) => l !== 'gpu-buffer')
            .map(([n]) => n)
        : [],
    );
    return new InferenceSession(session, wantCpu);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }
  get inputMetadata(): readonly ValueMetadata[] {
    return this.session.graph.inputs.map(meta);
  }
  get outputMetadata(): readonly ValueMetadata[] {
    return this.session.graph.outputs.map(meta);
  }
  /** Switchyard's own session (fallbacks, plan, trace). */
  get switchyard(): Session {
    return this.session;
  }

  async run(
    feeds: Record<string, Tensor>,
    fetches?: readonly string[] | Record<string, Tensor | null>,
    _options?: unknown,
  ): Promise<Record<string, Tensor>> {
    const bound: Record<string, import('../ir/tensor.js').Tensor> = {};
    for (const [k, t] of Object.entries(feeds)) {
      if (!(t instanceof Tensor)) throw new TypeError(`feed '${k}' is not a Tensor from this module (switchyard/ort)`);
      bound[k] = await t.toSwitchyard();
    }
    const names = Array.isArray(fetches) ? [...fetches] : fetches ? Object.keys(fetches) : undefined;
    const outs = await this.session.run(bound, names);
    const result: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(outs)) {
      const o = Tensor.fromSwitchyard(t);
      if (this.wantCpu.has(k) && o.location === 'gpu-buffer') {
        await o.getData(true);
      }
      result[k] = o;
    }
    return result;
  }

  startProfiling(): void {}
  endProfiling(): void {}

  async release(): Promise<void> {
    await this.session.release();
  }
}

function meta(v: { name: string; type?: { dtype: DType; shape?: readonly (number | string)[] } }): ValueMetadata {
  return {
    name: v.name,
    isTensor: true,
    type: v.type?.dtype ?? 'float32',
    shape: v.type?.shape ? [...v.type.shape] : [],
  };
}
