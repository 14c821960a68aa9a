// JSON bodies of the /v1 routes, validated with zod on both sides: the server checks what it
// receives, the client checks what it gets back (a proxy or an old server answering is caught here).

import { z } from 'zod';
import { DTYPES } from '../ir/dtype.js';
import { LlmInfoSchema } from './llm.js';
import { ServerProfileSchema } from './profile.js';

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 (64 characters)');

export const ErrorBodySchema = z.object({
  error: z.looseObject({ code: z.string(), message: z.string() }),
});

export const HealthSchema = z.object({
  status: z.enum(['ok', 'draining']),
  protocol: z.array(z.number().int()),
  version: z.string(),
});
export type Health = z.infer<typeof HealthSchema>;

const ValueSig = z.object({
  name: z.string(),
  dtype: z.enum(DTYPES),
  shape: z.array(z.union([z.number().int(), z.string()])).optional(),
});
export type ValueSig = z.infer<typeof ValueSig>;

export const GraphInfoSchema = z.object({
  id: Sha256,
  name: z.string(),
  nodes: z.number().int(),
  inputs: z.array(ValueSig),
  outputs: z.array(ValueSig),
  /** Work per run from the ops' cost rules; absent when shapes are symbolic. */
  flops: z.number().optional(),
  /** Time the server expects one run to take, ms (measured mean once it has run). */
  estimatedMs: z.number(),
  runs: z.number().int(),
  compileMs: z.number(),
});
export type GraphInfo = z.infer<typeof GraphInfoSchema>;

export const QueueSchema = z.object({
  depth: z.number().int(),
  running: z.number().int(),
  max: z.number().int(),
  concurrency: z.number().int(),
  /** How long a run sent now would wait before it starts, ms. */
  estimatedWaitMs: z.number(),
});

export const InfoSchema = z.object({
  protocol: z.array(z.number().int()),
  server: z.object({
    version: z.string(),
    backend: z.string(),
    startedAt: z.string(),
    status: z.enum(['ok', 'draining']),
  }),
  profile: ServerProfileSchema,
  queue: QueueSchema,
  graphs: z.array(GraphInfoSchema),
  store: z.object({ blobs: z.number().int(), bytes: z.number(), maxBytes: z.number() }),
  limits: z.object({
    maxBodyBytes: z.number(),
    maxQueue: z.number().int(),
    maxTensorBytes: z.number(),
    maxProbeBytes: z.number(),
  }),
  /** Language models served on /v1/chat/completions (absent from servers without any). */
  llms: z.array(LlmInfoSchema).optional(),
  /** The chat completions queue (one generation at a time per LLM worker). */
  llmQueue: QueueSchema.optional(),
});
export type Info = z.infer<typeof InfoSchema>;

/** POST /v1/blobs/query: which of these blobs does the server lack (one round trip for a whole graph). */
export const BlobQuerySchema = z.object({ sha256: z.array(Sha256).max(100_000) }).strict();
export const BlobQueryResultSchema = z.object({ missing: z.array(Sha256), present: z.array(Sha256) });

export const BlobPutSchema = z.object({ sha256: Sha256, bytes: z.number().int(), created: z.boolean() });

/** `__metadata__.switchyard` of a run request (optional). */
export const RunRequestMetaSchema = z
  .object({
    /** Outputs to return (default: all graph outputs). */
    outputs: z.array(z.string()).optional(),
  })
  .strict();
export type RunRequestMeta = z.infer<typeof RunRequestMetaSchema>;

/** `__metadata__.switchyard` of a run response. */
export const RunResultMetaSchema = z.object({
  graph: Sha256,
  queueMs: z.number(),
  computeMs: z.number(),
  serverMs: z.number(),
});
export type RunResultMeta = z.infer<typeof RunResultMetaSchema>;

export const META_KEY = 'switchyard';

/** Deadline header value: integer ms, 1 ms to 1 hour. */
export const DeadlineMs = z.coerce.number().int().min(1).max(3_600_000);

/** A one-line reason from a zod failure, for error messages. */
export function zodReason(e: z.ZodError): string {
  return e.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`)
    .join('; ');
}
