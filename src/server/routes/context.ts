// What every route reads: the options and the server's parts.

import type { FastifyInstance } from 'fastify';
import type { ServerProfile } from '../../protocol/profile.js';
import type { Engine } from '../engine.js';
import type { GraphRegistry } from '../graphs.js';
import type { LlmAdmission } from '../llm-admission.js';
import type { LlmHost } from '../llm-host.js';
import type { Metrics } from '../metrics.js';
import type { ServerOptions } from '../options.js';
import type { Scheduler } from '../scheduler.js';
import type { BlobStore } from '../store.js';

export interface ServerContext {
  app: FastifyInstance;
  o: ServerOptions;
  /** --max-body-mb in bytes */
  maxBody: number;
  store: BlobStore;
  graphs: GraphRegistry;
  scheduler: Scheduler;
  engine: Engine;
  metrics: Metrics;
  profile: ServerProfile;
  startedAt: string;
  /** The LLMs of `serve --llm` and their queue (one generation at a time). */
  llm: LlmHost;
  llmScheduler: LlmAdmission;
}
