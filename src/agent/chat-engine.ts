// The in-process API, shaped like WebLLM's and OpenAI's client:
//
//   const engine = await createEngine('hf:HuggingFaceTB/SmolLM2-135M-Instruct');
//   const r = await engine.chat.completions.create({ messages, tools, response_format });
//   for await (const chunk of await engine.chat.completions.create({ messages, stream: true })) …
//
// It runs the very code of the server's /v1/chat/completions (prepareChat, runChat) on a local
// engine, so the same request gives the same answer at temperature 0 in both places; errors are
// thrown as ChatApiError with OpenAI's status, code, type and param. Node and browsers alike.
// `engine.fetch` serves the same as a web-standard fetch, for clients that speak HTTP:
//   new OpenAI({ baseURL: 'http://in-process/v1', apiKey: '-', fetch: engine.fetch })
//   createOpenAICompatible({ name: 'local', baseURL: 'http://in-process/v1', fetch: engine.fetch })

import type { Device } from '../backends/device.js';
import { ReferenceDevice } from '../backends/reference/device.js';
import { discoverDevices } from '../runtime/devices.js';
import type { LlmModel } from './llm/engine.js';
import { type LoadOptions, loadLlm } from './llm/load.js';
import { EngineProvider } from './nodes/models.js';
import { type ChatModels, fetchHandler, listModels, modelMap, prepareChat, retrieveModel, runChat } from './openai.js';

export class ChatApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: string,
    readonly param: string | null,
  ) {
    super(message);
    this.name = 'ChatApiError';
  }
}

export interface CreateEngineOptions {
  /** Device to run on (default: WASM when it starts, else the reference interpreter). */
  device?: Device;
  /** KV cache positions (default min(context, 1024)). */
  capacity?: number;
  /** Name the model answers to in `model` (default: the model's name). */
  name?: string;
  /** How to load a model given by location (hf: id, folder, file, URL). */
  load?: LoadOptions;
}

type Body = Record<string, unknown> & { messages: unknown[] };

const thrown = (json: unknown): ChatApiError => {
  const e = (json as { error: { code: string; message: string; type: string; param: string | null } }).error;
  return new ChatApiError(statusOf(e.type, e.code), e.code, e.message, e.type, e.param);
};
function statusOf(type: string, code: string): number {
  if (type === 'not_found_error' || code === 'model_not_found') return 404;
  if (type === 'authentication_error') return 401;
  if (type === 'rate_limit_error') return 429;
  return type === 'server_error' ? 500 : 400;
}

/** SSE text back into chunk objects (the route's own serialisation, read back). */
async function* chunks(stream: AsyncIterable<string>): AsyncGenerator<Record<string, unknown>> {
  for await (const ev of stream) {
    const data = ev.replace(/^data: /, '').trim();
    if (data === '[DONE]') return;
    const o = JSON.parse(data) as Record<string, unknown>;
    if (o.error) throw thrown(o);
    yield o;
  }
}

export class ChatEngine {
  readonly models: { list(): Promise<unknown>; retrieve(id: string): Promise<unknown> };
  // biome-ignore lint/suspicious/noExplicitAny: answers are either a completion or a stream, as the OpenAI client's
  readonly chat: { completions: { create(body: Body, opts?: { signal?: AbortSignal }): Promise<any> } };
  /**
   * The engine as a web-standard fetch on /v1/chat/completions and /v1/models[/id]: clients that
   * speak HTTP (the `openai` package, the Vercel AI SDK) take it as their `fetch` and run in
   * process, no server, through the same route code.
   */
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  constructor(
    readonly provider: EngineProvider,
    readonly modelName: string,
  ) {
    const models: ChatModels = modelMap({ [modelName]: provider });
    const handle = fetchHandler(models);
    this.fetch = (input, init) => handle(new Request(input, init));
    this.models = {
      list: async () => listModels(models),
      retrieve: async (id) =>
        retrieveModel(models, id) ??
        Promise.reject(
          new ChatApiError(
            404,
            'model_not_found',
            `model '${id}' is not loaded here (${modelName} is)`,
            'not_found_error',
            'model',
          ),
        ),
    };
    this.chat = {
      completions: {
        create: async (body, opts = {}) => {
          const prep = prepareChat({ model: modelName, ...body }, models, opts.signal);
          if ('error' in prep) throw thrown((prep.error as { json: unknown }).json);
          const r = await runChat(prep.chat);
          if ('stream' in r) return chunks(r.stream);
          if (r.status >= 400) throw thrown(r.json);
          return r.json;
        },
      },
    };
  }

  /** The underlying engine (warmup, placement, raw generate). */
  get engine() {
    return this.provider.engine;
  }

  dispose(): void {
    this.provider.engine.dispose();
  }
}

/** A chat engine on a loaded model or on a model location (`hf:org/name[@rev]`, a folder, a file, a URL). */
export async function createEngine(model: LlmModel | string, opts: CreateEngineOptions = {}): Promise<ChatEngine> {
  const m =
    typeof model === 'string' ? await loadLlm(model, { ...opts.load, name: opts.name ?? opts.load?.name }) : model;
  if (!m.tokenizer)
    throw new Error(
      `model '${m.name}' has no tokenizer; chat completions need one (tokenizer.json beside the weights)`,
    );
  let device = opts.device;
  if (!device) {
    try {
      device = (await discoverDevices({ devices: [{ kind: 'wasm' }], calibration: 'never' })).entries[0]?.device;
    } catch {
      /* no WASM here: the reference interpreter */
    }
    device ??= new ReferenceDevice();
  }
  return new ChatEngine(new EngineProvider(m, { prefill: device, capacity: opts.capacity }), opts.name ?? m.name);
}
