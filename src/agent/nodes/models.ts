// The models agent nodes call: chat providers for llm nodes (the engine on local devices, or any
// object with the same shape: a remote server, a scripted stand-in in tests) and embedders for
// embed nodes and indexes (a transformer encoder run on a device, or a plain function).

import type { Device } from '../../backends/device.js';
import type { Graph } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { type ChatFeatures, chatGeneration } from '../llm/chat.js';
import {
  type GenerateOptions,
  Generation,
  type GenerationResult,
  LlmEngine,
  type LlmModel,
  type TokenEvent,
} from '../llm/engine.js';
import { buildFullGraph } from '../llm/model.js';
import { DeviceProgram, WeightCache } from '../llm/program.js';
import type { ChatMessage } from '../llm/tokenizer.js';

export interface ChatRequest extends GenerateOptions, ChatFeatures {
  messages: ChatMessage[];
  /** Send the text as is, without the chat format. */
  raw?: boolean;
  /** Devices for the two phases (the plan's choice). */
  prefill?: Device;
  decode?: Device;
  /** Budget of the whole completion, ms: a server refuses at once when it predicts it cannot meet it. */
  deadlineMs?: number;
  /** Temperature when neither the request nor generation_config.json sets one (OpenAI's default is 1). */
  temperatureDefault?: number;
}

export interface LlmProvider {
  readonly name: string;
  readonly contextLength?: number;
  /**
   * The provider applies ChatFeatures itself (tools through the chat template, tool_choice,
   * response_format, logprobs) and returns content/toolCalls in the result; others get tools as a
   * system prompt and their replies parsed afterwards.
   */
  readonly chatFeatures?: boolean;
  chat(req: ChatRequest): Generation;
}

/** An LlmModel served by the local engine. */
export class EngineProvider implements LlmProvider {
  readonly engine: LlmEngine;
  constructor(
    readonly model: LlmModel,
    devices: { prefill: Device; decode?: Device; capacity?: number },
  ) {
    this.engine = new LlmEngine(model, devices);
  }
  readonly chatFeatures = true;
  get name() {
    return this.model.name;
  }
  get contextLength() {
    return this.model.config.contextLength;
  }
  chat(req: ChatRequest): Generation {
    const tok = this.model.tokenizer;
    if (!tok)
      throw new Error(`node '${req.node}': model '${this.model.name}' has no tokenizer, so it cannot take text`);
    // generation_config.json's defaults where the request leaves a setting out
    const g = this.model.generation ?? {};
    const opts = {
      ...req,
      temperature: req.temperature ?? g.temperature ?? req.temperatureDefault,
      topP: req.topP ?? g.topP,
      topK: req.topK ?? g.topK,
      repetitionPenalty: req.repetitionPenalty ?? g.repetitionPenalty,
      // chat text is valid UTF-8 whatever the model (a seeded one strings byte tokens at random)
      validUtf8: req.validUtf8 ?? true,
    };
    if (req.raw) return this.engine.generate(req.messages.map((m) => m.content).join('\n'), opts);
    return chatGeneration(this.engine, tok, req.messages, req, opts);
  }
  private promptOf(req: ChatRequest): string {
    const tok = this.model.tokenizer;
    if (!tok)
      throw new Error(`node '${req.node}': model '${this.model.name}' has no tokenizer, so it cannot take text`);
    return req.raw ? req.messages.map((m) => m.content).join('\n') : tok.formatChat(req.messages);
  }
  /** The prefill half of a disaggregated completion (the engine's prefillExport on the chat prompt). */
  prefill(req: ChatRequest): ReturnType<LlmEngine['prefillExport']> {
    return this.engine.prefillExport(this.promptOf(req), { ...req, validUtf8: req.validUtf8 ?? true });
  }
}

/** A provider from a function (tests, stand-ins): the reply is streamed word by word. */
export function functionProvider(
  name: string,
  reply: (messages: ChatMessage[], req: ChatRequest) => string | Promise<string>,
): LlmProvider {
  return {
    name,
    chat(req) {
      return new Generation(async function* (done) {
        const t0 = performance.now();
        const text = await reply(req.messages, req);
        const parts = text.match(/\S+\s*|\s+/g) ?? [];
        let i = 0,
          ttft = 0;
        for (const p of parts) {
          if (i === 0) ttft = performance.now() - t0;
          yield { id: i, text: p, index: i++, atMs: performance.now() - t0 } as TokenEvent;
        }
        const total = performance.now() - t0;
        done({
          text,
          tokens: parts.map((_, k) => k),
          promptTokens: 0,
          finishReason: 'stop',
          ttftMs: ttft,
          tpotMs: parts.length > 1 ? (total - ttft) / (parts.length - 1) : 0,
          prefillMs: ttft,
          decodeMs: total - ttft,
          transferMs: 0,
          transferBytes: 0,
          prefillDevice: 'host',
          decodeDevice: 'host',
        } satisfies GenerationResult);
      });
    },
  };
}

export interface Embedder {
  readonly name: string;
  readonly dim: number;
  embed(text: string, device?: Device): Promise<Float32Array>;
}

/** A transformer encoder (bidirectional attention, mean pooling, L2 norm) on a device. */
export class ModelEmbedder implements Embedder {
  private readonly programs = new Map<Device, Map<number, Promise<DeviceProgram>>>();
  private readonly weights = new Map<Device, WeightCache>();
  private readonly graphs = new Map<Device, Map<number, Graph>>();
  constructor(
    readonly model: LlmModel,
    private defaultDevice: Device,
  ) {}
  get name() {
    return this.model.name;
  }
  get dim() {
    return this.model.config.hiddenSize;
  }

  /** Whether anything was compiled for `device` yet (a text of a new length compiles its own graph). */
  isCompiled(device: Device): boolean {
    return (this.programs.get(device)?.size ?? 0) > 0;
  }

  /** The device embed() runs on when none is given (the lowering costs this device's graph). */
  get device(): Device {
    return this.defaultDevice;
  }

  /**
   * The encoder graph for a text of `tokens` tokens on `device`, at nn.* level: what the planner
   * costs and what embed() compiles (a lowered copy; this graph never changes).
   */
  graphFor(device: Device, tokens: number): Graph {
    let byLen = this.graphs.get(device);
    if (!byLen) this.graphs.set(device, (byLen = new Map()));
    let g = byLen.get(tokens);
    if (!g) byLen.set(tokens, (g = buildFullGraph(this.model.config, this.model.weights, tokens, 'embed')));
    return g;
  }

  private program(device: Device, tokens: number): Promise<DeviceProgram> {
    let byLen = this.programs.get(device);
    if (!byLen) this.programs.set(device, (byLen = new Map()));
    let p = byLen.get(tokens);
    if (!p) {
      let w = this.weights.get(device);
      if (!w) this.weights.set(device, (w = new WeightCache(device)));
      p = DeviceProgram.create(this.graphFor(device, tokens), w);
      p.catch(() => byLen.delete(tokens));
      byLen.set(tokens, p);
    }
    return p;
  }

  /** The graph compiled for `device` and `tokens` (graphFor after the device's passes); compiles it if needed. */
  async compiledGraph(device: Device, tokens: number): Promise<Graph> {
    return (await this.program(device, tokens)).graph;
  }

  async embed(text: string, device = this.defaultDevice): Promise<Float32Array> {
    const tok = this.model.tokenizer;
    if (!tok) throw new Error(`model '${this.model.name}' has no tokenizer`);
    let ids = tok.encode(text);
    if (!ids.length) ids = [tok.eosId ?? 0];
    ids = ids.slice(0, this.model.config.contextLength);
    const prog = await this.program(device, ids.length);
    const [out] = await prog.run([new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length])]);
    try {
      return Float32Array.from((await device.download(out!)).data as Float32Array);
    } finally {
      device.release(out!);
    }
  }

  dispose(): void {
    for (const w of this.weights.values()) w.release();
    this.weights.clear();
    this.programs.clear();
    this.graphs.clear();
  }
}

/** An embedder from a function (tests, stand-ins, external services). */
export function functionEmbedder(
  name: string,
  dim: number,
  f: (text: string) => ArrayLike<number> | Promise<ArrayLike<number>>,
): Embedder {
  return { name, dim, embed: async (t) => Float32Array.from(await f(t)) };
}
