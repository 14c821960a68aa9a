// Prometheus metrics on GET /metrics. One registry per server (tests run several in one process).
// `switchyard_queue_depth` is what the Kubernetes autoscaler (KEDA) scales on.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics(state: {
  depth: () => number;
  running: () => number;
  storeBytes: () => number;
  graphs: () => number;
  draining: () => boolean;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchyard_' });
  const requests = new Counter({
    name: 'switchyard_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'switchyard_http_request_duration_seconds',
    help: 'HTTP request time by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const runSeconds = new Histogram({
    name: 'switchyard_run_compute_seconds',
    help: 'compute time of runs',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const queueSeconds = new Histogram({
    name: 'switchyard_run_queue_seconds',
    help: 'time runs waited for a worker',
    buckets: [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'switchyard_runs_refused_total',
    help: 'runs refused or dropped, by error code',
    labelNames: ['code'],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'switchyard_bytes_total',
    help: 'body bytes by direction and kind',
    labelNames: ['direction', 'kind'],
    registers: [registry],
  });
  const dedup = new Counter({
    name: 'switchyard_blob_head_total',
    help: 'HEAD /v1/blobs answers: hit means the upload was skipped',
    labelNames: ['result'],
    registers: [registry],
  });
  const llmTokens = new Counter({
    name: 'switchyard_llm_tokens_total',
    help: 'tokens of chat completions by model and kind (prompt, completion)',
    labelNames: ['model', 'kind'],
    registers: [registry],
  });
  const llmCompletions = new Counter({
    name: 'switchyard_llm_completions_total',
    help: 'chat completions by model and finish reason',
    labelNames: ['model', 'finish'],
    registers: [registry],
  });
  const llmTtft = new Histogram({
    name: 'switchyard_llm_ttft_seconds',
    help: 'time to first token of chat completions (in the LLM worker)',
    labelNames: ['model'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const llmTpot = new Histogram({
    name: 'switchyard_llm_tpot_seconds',
    help: 'time per output token after the first',
    labelNames: ['model'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const llmBatchRows = new Histogram({
    name: 'switchyard_llm_batch_rows',
    help: 'mean decode batch a chat completion shared its steps with (continuous batching), itself included',
    labelNames: ['model'],
    buckets: [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64],
    registers: [registry],
  });
  new Gauge({
    name: 'switchyard_queue_depth',
    help: 'runs and chat completions waiting for a worker',
    registers: [registry],
    collect() {
      this.set(state.depth());
    },
  });
  new Gauge({
    name: 'switchyard_runs_in_progress',
    help: 'runs and chat completions computing now',
    registers: [registry],
    collect() {
      this.set(state.running());
    },
  });
  new Gauge({
    name: 'switchyard_blob_store_bytes',
    help: 'bytes held in the blob store',
    registers: [registry],
    collect() {
      this.set(state.storeBytes());
    },
  });
  new Gauge({
    name: 'switchyard_graphs_loaded',
    help: 'graphs compiled and loaded',
    registers: [registry],
    collect() {
      this.set(state.graphs());
    },
  });
  new Gauge({
    name: 'switchyard_draining',
    help: '1 while the server is shutting down',
    registers: [registry],
    collect() {
      this.set(state.draining() ? 1 : 0);
    },
  });
  return {
    registry,
    requests,
    latency,
    runSeconds,
    queueSeconds,
    refused,
    bytes,
    dedup,
    llmTokens,
    llmCompletions,
    llmTtft,
    llmTpot,
    llmBatchRows,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
