// switchyard serve [--host 127.0.0.1] [--port 8080] [--backend wasm|webgpu|reference]
//                  [--token T | SWITCHYARD_TOKEN] [--max-body-mb N] [--llm name=path ...] [...limits]
// The offload server (src/server). Logs are JSON lines on stdout; SIGTERM/SIGINT drain and stop,
// and so does the parent going away when it started the server with an IPC channel (a child of a
// Node process, like the example agent's: no orphan server when the parent is killed).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { isHubId } from '../../agent/llm/hub-id.js';
import { backendNames } from '../../runtime/backend.js';
import { DEFAULT_SERVER_OPTIONS, startServer } from '../../server/app.js';
import { startFleet } from '../../server/fleet.js';
import { parseLlmFlag } from '../../server/llm-host.js';

const num =
  (what: string, min: number, int = true) =>
  (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || (int && !Number.isInteger(n)))
      throw new InvalidArgumentError(`${what} must be ${int ? 'an integer' : 'a number'} >= ${min}`);
    return n;
  };

export function registerServe(program: Command): void {
  const d = DEFAULT_SERVER_OPTIONS;
  const defaultBackend = backendNames().includes('wasm') ? 'wasm' : 'reference';
  program
    .command('serve')
    .description('run an offload server: clients place parts of their graphs on it over HTTP (/v1)')
    .option('--host <addr>', 'address to listen on', d.host)
    .option('--port <n>', 'port (0 picks a free one)', num('--port', 0), d.port)
    .option('-b, --backend <name>', `backend that computes (${backendNames().join(', ')})`, defaultBackend)
    .option('--token <t>', 'bearer token clients must send (default: $SWITCHYARD_TOKEN)')
    .option('--max-body-mb <n>', 'largest request body, MiB', num('--max-body-mb', 0.001, false), d.maxBodyMb)
    .option('--workers <n>', 'compute worker threads (0: compute on the HTTP thread)', num('--workers', 0), d.workers)
    .option('--max-queue <n>', 'runs waiting for a worker before 429', num('--max-queue', 0), d.maxQueue)
    .option('--max-store-mb <n>', 'blob store size, MiB (weights)', num('--max-store-mb', 1, false), d.maxStoreMb)
    .option('--max-graphs <n>', 'graphs kept loaded (least recently used evicted)', num('--max-graphs', 1), d.maxGraphs)
    .option(
      '--max-inflight-mb <n>',
      'run bodies held at once, MiB, before 429',
      num('--max-inflight-mb', 1, false),
      d.maxInflightMb,
    )
    .option(
      '--cors-origin <origin...>',
      'origins allowed to call from a browser (default: $SWITCHYARD_CORS_ORIGINS, comma-separated; none)',
    )
    .option(
      '--price-per-hour <usd>',
      'price reported to planners, $/hour',
      num('--price-per-hour', 0, false),
      d.pricePerHour,
    )
    .option(
      '--slow-ms <n>',
      'add N ms of blocking compute to every run and every chat completion token (a slow device, for tests and demos)',
      num('--slow-ms', 0),
      d.slowMs,
    )
    .option('--grace-ms <n>', 'stop a run this long after its deadline', num('--grace-ms', 0), d.graceMs)
    .option(
      '--drain-timeout-ms <n>',
      'on SIGTERM, wait this long for queued runs',
      num('--drain-timeout-ms', 0),
      d.drainTimeoutMs,
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug or silent', d.logLevel)
    .option('--public-metrics', 'serve /metrics without the token (for a Prometheus scraper on a private network)')
    .option('--allow-no-token', 'serve a non-loopback address without auth (only behind a proxy that authenticates)')
    .option(
      '--llm <name=path>',
      'serve a language model on /v1/chat/completions (repeatable): a Hugging Face folder, .safetensors or .gguf',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      '--llm-capacity <n>',
      'KV cache positions of one generation (prompt + answer) on the served models (default: min(context, 1024))',
      num('--llm-capacity', 1),
    )
    .option(
      '--llm-batch <n>',
      'continuous batching: completions decoded together per model (1: one at a time)',
      num('--llm-batch', 1),
      d.llmBatch,
    )
    .option('--llm-kv-block <n>', 'paged KV cache: positions per block', num('--llm-kv-block', 1))
    .option(
      '--llm-kv-blocks <n>',
      'paged KV cache: blocks per model (default: every slot at min(capacity, 512) positions)',
      num('--llm-kv-blocks', 2),
    )
    .option('--no-llm-prefix-reuse', 'paged KV cache: prefill every prompt whole (no reuse of cached prefixes)')
    .option(
      '--max-llm-queue <n>',
      'chat completions waiting for the LLM worker before 429',
      num('--max-llm-queue', 0),
      d.maxLlmQueue,
    )
    .option(
      '--fleet <n>',
      'start N servers (same options) on free ports behind nginx listening on --host:--port (deploy/nginx/)',
      num('--fleet', 1),
    )
    .option('--fleet-dir <dir>', 'with --fleet: folder for nginx.conf, pid and logs (default: a new temp folder)')
    .action(async (opts: Record<string, unknown>) => {
      if (opts.fleet) return runFleet(opts);
      const token = (opts.token as string | undefined) ?? process.env.SWITCHYARD_TOKEN ?? undefined;
      const cors =
        (opts.corsOrigin as string[] | undefined) ??
        (process.env.SWITCHYARD_CORS_ORIGINS ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      if (!backendNames().includes(opts.backend as string)) {
        throw new Error(
          `--backend ${opts.backend as string}: not available in this build (available: ${backendNames().join(', ')})`,
        );
      }
      // folders and files relative to here; Hub ids (hf:org/name) and URLs as given
      const local = (p: string) => !isHubId(p) && !/^https?:\/\//.test(p);
      const llms = (opts.llm as string[])
        .map(parseLlmFlag)
        .map((m) => ({ ...m, path: local(m.path) ? resolve(m.path) : m.path }));
      const dup = llms.find((m, i) => llms.findIndex((x) => x.name === m.name) !== i);
      if (dup) throw new Error(`--llm ${dup.name}: the name is given twice`);
      const server = await startServer({
        llms,
        llmCapacity: opts.llmCapacity as number | undefined,
        maxLlmQueue: opts.maxLlmQueue as number,
        llmBatch: opts.llmBatch as number,
        llmKvBlockSize: opts.llmKvBlock as number | undefined,
        llmKvBlocks: opts.llmKvBlocks as number | undefined,
        llmPrefixReuse: opts.llmPrefixReuse !== false,
        host: opts.host as string,
        port: opts.port as number,
        backend: opts.backend as string,
        token: token || undefined,
        maxBodyMb: opts.maxBodyMb as number,
        workers: opts.workers as number,
        maxQueue: opts.maxQueue as number,
        maxStoreMb: opts.maxStoreMb as number,
        maxGraphs: opts.maxGraphs as number,
        maxInflightMb: opts.maxInflightMb as number,
        corsOrigins: cors,
        pricePerHour: opts.pricePerHour as number,
        slowMs: opts.slowMs as number,
        graceMs: opts.graceMs as number,
        drainTimeoutMs: opts.drainTimeoutMs as number,
        logLevel: opts.logLevel as string,
        allowNoToken: !!opts.allowNoToken,
        publicMetrics: !!opts.publicMetrics,
      });
      if (!token)
        server.app.log.warn(
          'no token: every client on this address can use the server (give --token or SWITCHYARD_TOKEN)',
        );
      const stop = (sig: string) => {
        server.app.log.info({ signal: sig }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      if (process.send) process.once('disconnect', () => stop('parent process went away'));
      // the readiness line scripts wait for, whatever the log level (after the signal handlers)
      console.log(JSON.stringify({ msg: 'switchyard offload server listening', url: server.url }));
      await new Promise(() => {}); // serve until a signal
    });
}

/** `serve --fleet N`: the servers get this command's own options, less the fleet and address ones. */
async function runFleet(opts: Record<string, unknown>): Promise<void> {
  const argv = process.argv.slice(process.argv.indexOf('serve') + 1);
  const drop = new Set(['--fleet', '--fleet-dir', '--port', '--host']);
  const serveArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.split('=')[0]!;
    if (drop.has(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    serveArgs.push(a);
  }
  const fleet = await startFleet({
    servers: opts.fleet as number,
    port: opts.port as number,
    host: opts.host as string,
    serveArgs,
    dir: (opts.fleetDir as string | undefined) ?? mkdtempSync(join(tmpdir(), 'switchyard-fleet-')),
    maxBodyMb: Math.ceil(opts.maxBodyMb as number),
  });
  const stop = () => {
    fleet.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(
    JSON.stringify({
      msg: 'switchyard fleet listening',
      url: fleet.url,
      config: fleet.config,
      servers: fleet.servers.map((s) => ({ url: s.url, pid: s.proc.pid })),
    }),
  );
  await new Promise(() => {});
}
