// The /v1 routes, in one place for the server, the client, nginx and the docs.
//
//   GET  /v1/health             liveness and protocol versions (no auth)
//   GET  /v1/info               device profile, queue, loaded graphs, limits
//   HEAD /v1/blobs/{sha256}     200 when the server holds the blob (upload skipped), 404 when not
//   PUT  /v1/blobs/{sha256}     raw bytes; the server hashes what it receives and refuses a mismatch
//   POST /v1/blobs/query        {"sha256": [...]} -> {"missing", "present"}: HEAD for many blobs at once
//   HEAD /v1/graphs/{sha256}    200 when the graph is loaded
//   PUT  /v1/graphs/{sha256}    IR text whose constants name blobs; compiled with the server's backend
//   POST /v1/run                tensor frame in, tensor frame out (headers: graph, deadline)
//   POST /v1/probe              discard a body (client measures upload bandwidth)
//   GET  /v1/probe?bytes=N      N zero bytes (client measures download bandwidth)
//   POST /v1/chat/completions   OpenAI-compatible chat (JSON or SSE stream) on the LLMs of `serve --llm`
//   GET  /v1/models             the LLMs served (OpenAI's list, with a `switchyard` field of figures)
//   POST /v1/llm/prefill        the prefill half of a disaggregated completion: a KV blob and the first token
//   GET  /v1/blobs/{sha256}     a stored blob (a KV hand-off, streamed to the decode server)
//   GET  /metrics               Prometheus text format

import { API_PREFIX } from './version.js';

export const ROUTES = {
  health: `${API_PREFIX}/health`,
  info: `${API_PREFIX}/info`,
  blob: (sha: string) => `${API_PREFIX}/blobs/${sha}`,
  blobQuery: `${API_PREFIX}/blobs/query`,
  graph: (sha: string) => `${API_PREFIX}/graphs/${sha}`,
  run: `${API_PREFIX}/run`,
  probe: `${API_PREFIX}/probe`,
  chat: `${API_PREFIX}/chat/completions`,
  models: `${API_PREFIX}/models`,
  llmPrefill: `${API_PREFIX}/llm/prefill`,
  metrics: '/metrics',
} as const;
