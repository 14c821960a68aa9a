// Session: compile once, run many. Shaped like onnxruntime-web's InferenceSession so users port by
// changing the import: Session.create(model, options), inputNames, outputNames, run(feeds), release().

import { importOnnx } from '../frontend/onnx/import.js';
import type { ExternalLoader } from '../frontend/onnx/tensor-proto.js';
import { Graph } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { describeRunValue, type RunValue } from '../ir/values.js';
import { verifyGraph } from '../ir/verifier.js';
import { DEFAULT_PIPELINE, type PipelineHooks, runPipeline } from '../passes/index.js';
import { placedGraph } from '../planner/place-ir.js';
import type { AutoOptions, HeteroPrepared } from './auto-backend.js';
import { getBackend, type PreparedModel } from './backend.js';
import { bindFeeds, bindValueFeeds } from './feeds.js';
import type { DeviceFallback, DevicePreparedModel } from './single-device.js';
import type { TraceRecorder } from './trace.js';

// An intersection, not `extends Omit<…>`: Omit over BackendOptions' index signature would drop
// every named option from type checking.
export type SessionOptions = AutoOptions & {
  /** 'auto' (plan across every device found), or one backend: 'reference', 'wasm', 'webgpu', 'remote'. */
  backend?: string;
  /** Passes to run before the backend; default DEFAULT_PIPELINE. */
  passes?: string[];
  passHooks?: PipelineHooks;
};

export type ModelSource = Uint8Array | ArrayBuffer | string | Graph;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function nodeIo(): Promise<typeof import('./node-io.js')> {
  const spec = './node-io.js'; // a variable keeps bundlers from pulling node:fs into browser builds
  return import(/* @vite-ignore */ spec);
}

/** Turn any model source into a graph: bytes, a file path (Node), a URL (browser) or a graph. */
export async function loadGraph(model: ModelSource): Promise<Graph> {
  if (model instanceof Graph) return model;
  let bytes: Uint8Array;
  let source = 'model';
  let loadExternal: ExternalLoader | undefined;
  if (typeof model === 'string') {
    source = model;
    if (isNode && !/^https?:\/\//.test(model)) {
      const io = await nodeIo();
      bytes = await io.readModelFile(model);
      loadExternal = io.externalLoaderFor(model);
    } else {
      const res = await fetch(model);
      if (!res.ok) throw new Error(`${model}: HTTP ${res.status} ${res.statusText}`);
      bytes = new Uint8Array(await res.arrayBuffer());
    }
  } else {
    bytes = model instanceof Uint8Array ? model : new Uint8Array(model);
  }
  return importOnnx(bytes, { source, loadExternal });
}

export class Session {
  private prepared: PreparedModel | undefined;
  private constructor(
    readonly graph: Graph,
    prepared: PreparedModel,
    readonly backend: string,
  ) {
    this.prepared = prepared;
  }

  static async create(model: ModelSource, options: SessionOptions = {}): Promise<Session> {
    const graph = await loadGraph(model);
    // devices only mean something to the planner: giving them picks 'auto'
    const name = options.backend ?? (options.devices?.length ? 'auto' : 'reference');
    const backend = await getBackend(name);
    // the one pass pipeline: the session's, then the kernel-level form the backend's devices take
    runPipeline(
      graph,
      [...(options.passes ?? DEFAULT_PIPELINE), ...(backend.passes?.(options, graph) ?? [])],
      options.passHooks,
    );
    verifyGraph(graph);
    const prepared = await backend.prepare(graph, options);
    return new Session(graph, prepared, name);
  }

  get inputNames(): string[] {
    return this.graph.inputs.map((v) => v.name);
  }
  get outputNames(): string[] {
    return this.graph.outputs.map((v) => v.name);
  }

  /** With backend 'auto': the placed plan, the devices, the last run's timings, the trace. */
  get hetero(): HeteroPrepared | undefined {
    const p = this.prepared as HeteroPrepared | undefined;
    return p && 'plan' in p ? p : undefined;
  }

  /** The Chrome trace of the runs so far (backends 'auto' and 'remote' with `trace: true`). */
  get trace(): TraceRecorder | undefined {
    return this.hetero?.trace ?? (this.prepared as { trace?: TraceRecorder } | undefined)?.trace;
  }

  /** Ops the backend could not run natively, with the reason: what ran on a fallback path. */
  get fallbacks(): Map<string, string> {
    return this.prepared?.fallbacks ?? new Map();
  }

  /** Backend 'remote': units that moved from the server to the local fallback device, in order. */
  get deviceFallbacks(): DeviceFallback[] {
    return (this.prepared as Partial<DevicePreparedModel> | undefined)?.deviceFallbacks ?? [];
  }

  /**
   * The graph as placed: every node tagged with its device, an xfer.copy wherever a value crosses
   * devices (with its bytes); print it with printGraph.
   */
  placedGraph(): Graph | undefined {
    const p = this.prepared?.placement;
    return p ? placedGraph(this.graph, p.placed, p.host) : undefined;
  }

  /** The prepared model, for backend-specific state (e.g. the remote backend's device and profile). */
  get preparedModel(): PreparedModel | undefined {
    return this.prepared;
  }

  async run(feeds: Record<string, Tensor>, fetches?: string[]): Promise<Record<string, Tensor>> {
    if (!this.prepared) throw new Error('session has been released');
    const bound = bindFeeds(this.graph, feeds);
    const outs = await this.prepared.run(bound);
    const result: Record<string, Tensor> = {};
    this.graph.outputs.forEach((v, i) => {
      if (!fetches || fetches.includes(v.name)) result[v.name] = outs[i]!;
    });
    for (const f of fetches ?? [])
      if (!(f in result)) throw new Error(`unknown output '${f}'; outputs are ${this.outputNames.join(', ')}`);
    return result;
  }

  /**
   * run for models whose inputs or outputs are sequences or optionals (ONNX SequenceProto and
   * OptionalProto values): feeds and results may be TensorSequence and OptionalValue as well.
   */
  async runValues(feeds: Record<string, RunValue>, fetches?: string[]): Promise<Record<string, RunValue>> {
    if (!this.prepared) throw new Error('session has been released');
    const bound = bindValueFeeds(this.graph, feeds);
    const p = this.prepared;
    const outs = p.runValues
      ? await p.runValues(bound)
      : await p.run(
          bound.map((x, i) => {
            if (!(x instanceof Tensor))
              throw new Error(
                `backend '${this.backend}' runs tensors only; input '${this.inputNames[i]}' is ${describeRunValue(x)}`,
              );
            return x;
          }),
        );
    const result: Record<string, RunValue> = {};
    this.graph.outputs.forEach((v, i) => {
      if (!fetches || fetches.includes(v.name)) result[v.name] = outs[i]!;
    });
    for (const f of fetches ?? [])
      if (!(f in result)) throw new Error(`unknown output '${f}'; outputs are ${this.outputNames.join(', ')}`);
    return result;
  }

  async release(): Promise<void> {
    await this.prepared?.release();
    this.prepared = undefined;
  }
}
