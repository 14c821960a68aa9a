// Options of `switchyard serve` (the defaults are the CLI's defaults).

export const SERVER_VERSION = '0.1.0';
export const MB = 1 << 20;

export interface ServerOptions {
  host: string;
  port: number;
  backend: string;
  /** Bearer token; undefined serves without auth (refused on non-loopback hosts unless allowNoToken). */
  token?: string;
  allowNoToken?: boolean;
  maxBodyMb: number;
  /** Runs waiting for a worker before 429. */
  maxQueue: number;
  /** Compute worker threads; 0 computes on the HTTP thread. */
  workers: number;
  maxStoreMb: number;
  maxGraphs: number;
  /** Bytes of run bodies being read or waiting, all together, before 429. */
  maxInflightMb: number;
  corsOrigins: string[];
  pricePerHour: number;
  /** Extra compute time per run and per chat completion token, ms (a slow device for tests and demos). */
  slowMs: number;
  /** A run still computing this long after its deadline is stopped (worker replaced). */
  graceMs: number;
  drainTimeoutMs: number;
  logLevel: string;
  /** Serve /metrics without the token (a scraper inside a private network). */
  publicMetrics?: boolean;
  /** Language models served on /v1/chat/completions (`--llm name=path`), loaded at start. */
  llms: { name: string; path: string }[];
  /** KV cache positions of one generation on the served LLMs (default: min(context length, 1024)). */
  llmCapacity?: number;
  /** Continuous batching: completions decoded together per model (1: one at a time). */
  llmBatch: number;
  /** Paged KV cache: positions per block, blocks per model (default: every slot at min(capacity, 512) positions). */
  llmKvBlockSize?: number;
  llmKvBlocks?: number;
  /** Reuse the KV blocks of cached prompt prefixes (default true). */
  llmPrefixReuse?: boolean;
  /** Chat completions waiting for the LLM worker before 429. */
  maxLlmQueue: number;
  /** Pino destination for the logs (default stdout). */
  logStream?: { write(msg: string): void };
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 8080,
  backend: 'reference',
  maxBodyMb: 256,
  maxQueue: 64,
  workers: 1,
  maxStoreMb: 2048,
  maxGraphs: 64,
  maxInflightMb: 1024,
  corsOrigins: [],
  pricePerHour: 0,
  slowMs: 0,
  graceMs: 1000,
  drainTimeoutMs: 30_000,
  logLevel: 'info',
  llms: [],
  maxLlmQueue: 16,
  llmBatch: 16,
};
