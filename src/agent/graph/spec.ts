// The agent graph file format (YAML or JSON), as a zod schema: the schema is the documentation of
// every field, and its errors are turned into messages that name the node and the field.
//
//   version: 1
//   name: rag
//   inputs:  { question: { type: text, private: true } }
//   models:  { chat: { path: ./chat, kind: llm }, embedder: { path: ./embed, kind: embed } }
//   indexes: { docs: { path: ./docs.index } }            # or { documents: [...], embed: embedder }
//   tools:   { calculator: { builtin: calculator } }     # or { module: ./tools.mjs, export: fn }
//   nodes:
//     redact: { kind: filter, input: "{{inputs.question}}" }
//     q:      { kind: embed, model: embedder, input: "{{redact}}" }
//     search: { kind: retrieve, index: docs, query: q, k: 3 }
//     answer: { kind: llm, model: chat, prompt: "{{search}}\n{{redact}}", tools: [calculator] }
//     call:   { kind: tool, call: answer }
//   edges:
//     - [redact, q]
//     - [q, search]
//     - [search, answer]
//     - { from: answer, to: call, when: answer.toolCall }
//     - { from: call, to: answer, loop: { maxIterations: 3 } }
//   output: answer
//   sla: { ttftMs: 800, tpotMs: 150 }

import { z } from 'zod';

const id = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'must start with a letter or _ and hold only letters, digits, _ and -');
const positiveInt = z.number().int().positive();
const ms = z.number().positive();

/** Where a node may run: 'auto' (the planner decides), 'local', 'remote', or a device id. */
const device = z.string().min(1);

const base = {
  description: z.string().optional(),
  device: device.optional(),
  /** Wall-clock limit for the node (tools default to 10 s). */
  timeoutMs: ms.optional(),
};

const chatMessage = z.object({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.string() }).strict();

export const llmNode = z
  .object({
    kind: z.literal('llm'),
    model: id,
    prompt: z.string().optional(),
    system: z.string().optional(),
    messages: z.array(chatMessage).optional(),
    /** Wrap the prompt in the tokenizer's chat format (default true). */
    chat: z.boolean().optional(),
    maxTokens: positiveInt.optional(),
    temperature: z.number().min(0).optional(),
    topK: z.number().int().min(0).optional(),
    topP: z.number().gt(0).max(1).optional(),
    seed: z.number().int().optional(),
    /** >1 makes tokens already in the prompt or the answer less likely. */
    repetitionPenalty: z.number().positive().optional(),
    stop: z.array(z.string()).optional(),
    /** Tools the model may call (their names, declared under `tools`). */
    tools: z.array(id).optional(),
    prefillDevice: device.optional(),
    decodeDevice: device.optional(),
    /** When a remote device fails mid-run: continue on a local device ('local', default) or fail ('none'). */
    fallback: z.enum(['local', 'none']).optional(),
    ttftMs: ms.optional(),
    tpotMs: ms.optional(),
    ...base,
  })
  .strict();

export const embedNode = z.object({ kind: z.literal('embed'), model: id, input: z.string(), ...base }).strict();

export const retrieveNode = z
  .object({
    kind: z.literal('retrieve'),
    index: id,
    /** An embed node's id (its vector), or a text template embedded with the index's model. */
    query: z.string(),
    k: positiveInt.optional(),
    minScore: z.number().optional(),
    ...base,
  })
  .strict();

export const toolNode = z
  .object({
    kind: z.literal('tool'),
    /** The tool to call with `arguments`... */
    tool: id.optional(),
    arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
    /** ...or the llm node whose tool call to execute. */
    call: id.optional(),
    ...base,
  })
  .strict();

const formats = ['text', 'json', 'csv', 'image', 'tensor', 'tokens'] as const;
export const convertNode = z
  .object({
    kind: z.literal('convert'),
    input: z.string(),
    from: z.enum(formats),
    to: z.enum(formats),
    /** tokens: the model whose tokenizer to use. */
    model: id.optional(),
    dtype: z.enum(['float32', 'int64', 'int32', 'uint8']).optional(),
    shape: z.array(z.number().int()).optional(),
    /** csv: the first line names the columns (default true). */
    header: z.boolean().optional(),
    /** image -> tensor: per-channel mean and std (after scaling to 0..1). */
    mean: z.array(z.number()).optional(),
    std: z.array(z.number()).optional(),
    ...base,
  })
  .strict();

export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'ip', 'ssn'] as const;
export const filterNode = z
  .object({
    kind: z.literal('filter'),
    input: z.string(),
    /** PII kinds to redact (default: all). */
    redact: z.array(z.enum(PII_KINDS)).optional(),
    /** Extra patterns: name -> regular expression. */
    patterns: z.record(z.string(), z.string()).optional(),
    /** redact (replace, default) or block (fail the run when anything matches). */
    mode: z.enum(['redact', 'block']).optional(),
    replacement: z.string().optional(),
    ...base,
  })
  .strict();

export const nodeSpec = z.discriminatedUnion('kind', [
  llmNode,
  embedNode,
  retrieveNode,
  toolNode,
  convertNode,
  filterNode,
]);
export type NodeSpec = z.infer<typeof nodeSpec>;
export type NodeKind = NodeSpec['kind'];
export const NODE_KINDS: NodeKind[] = ['llm', 'embed', 'retrieve', 'tool', 'convert', 'filter'];

export const edgeSpec = z.union([
  z.tuple([id, id]),
  z
    .object({
      from: id,
      to: id,
      /** Condition over node outputs, e.g. `answer.toolCall`, `search.length > 0 && !answer.toolCall`. */
      when: z.string().optional(),
      /** Marks the edge that closes a cycle: it is taken at most maxIterations times per run. */
      loop: z
        .object({ maxIterations: positiveInt, onExhausted: z.enum(['stop', 'error']).optional() })
        .strict()
        .optional(),
    })
    .strict(),
]);
export type EdgeSpec = z.infer<typeof edgeSpec>;

export const inputSpec = z
  .object({
    type: z.enum(['text', 'json', 'csv', 'image', 'tensor']).optional(),
    /** Private data must pass a filter node before any node that may run off the device reads it. */
    private: z.boolean().optional(),
    default: z.unknown().optional(),
    description: z.string().optional(),
  })
  .strict();

export const modelSpec = z
  .object({
    /** A Hugging Face folder, a .safetensors file (config.json beside it) or a .gguf file... */
    path: z.string().optional(),
    /** ...or an OpenAI-compatible server (e.g. http://127.0.0.1:8080/v1) serving `model`. */
    url: z.string().url().optional(),
    model: z.string().optional(),
    token: z.string().optional(),
    kind: z.enum(['llm', 'embed']).optional(),
    tokenizer: z.string().optional(),
    /** KV cache positions (llm). */
    capacity: positiveInt.optional(),
    quantization: z.enum(['dequantize', 'int8']).optional(),
  })
  .strict();

export const indexSpec = z.union([
  z.object({ path: z.string(), embed: id.optional(), backend: z.string().optional() }).strict(),
  z
    .object({
      /** Texts, or a path to a .jsonl / .txt file (one document per line). */
      documents: z.union([z.array(z.string()), z.string()]),
      embed: id,
      kind: z.enum(['exact', 'hnsw']).optional(),
      metric: z.enum(['cosine', 'dot', 'l2']).optional(),
      backend: z.string().optional(),
    })
    .strict(),
]);

export const toolSpec = z
  .object({
    builtin: z.string().optional(),
    module: z.string().optional(),
    export: z.string().optional(),
    description: z.string().optional(),
    /** JSON-schema-like: { type: object, properties: { x: { type: number } }, required: [x] } */
    parameters: z.record(z.string(), z.unknown()).optional(),
    timeoutMs: ms.optional(),
  })
  .strict();

export const slaSpec = z
  .object({
    ttftMs: ms.optional(),
    tpotMs: ms.optional(),
    deadlineMs: ms.optional(),
    objective: z.enum(['latency', 'cost']).optional(),
  })
  .strict();

export const graphSpec = z
  .object({
    version: z.literal(1).optional(),
    name: z.string().optional(),
    description: z.string().optional(),
    inputs: z.record(id, inputSpec).optional(),
    models: z.record(id, modelSpec).optional(),
    indexes: z.record(id, indexSpec).optional(),
    tools: z.record(id, toolSpec).optional(),
    nodes: z.record(id, nodeSpec),
    edges: z.array(edgeSpec).optional(),
    output: z.union([id, z.array(id)]),
    sla: slaSpec.optional(),
  })
  .strict();

export type GraphSpec = z.infer<typeof graphSpec>;
export type ToolSpec = z.infer<typeof toolSpec>;
export type ModelSpec = z.infer<typeof modelSpec>;
export type IndexSpec = z.infer<typeof indexSpec>;
export type InputSpec = z.infer<typeof inputSpec>;
export type SlaSpec = z.infer<typeof slaSpec>;
export type LlmNodeSpec = z.infer<typeof llmNode>;
export type EmbedNodeSpec = z.infer<typeof embedNode>;
export type RetrieveNodeSpec = z.infer<typeof retrieveNode>;
export type ToolNodeSpec = z.infer<typeof toolNode>;
export type ConvertNodeSpec = z.infer<typeof convertNode>;
export type FilterNodeSpec = z.infer<typeof filterNode>;
