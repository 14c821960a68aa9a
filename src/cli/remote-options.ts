// --remote URL --token T [--deadline-ms N] for the commands that run models. `--remote` alone puts
// the graph on the server with the local reference device taking over what the server fails;
// `--backend remote` forces the whole graph onto the server with no fallback (for tests).

import type { Command } from 'commander';
import type { SessionOptions } from '../runtime/session.js';

export function addRemoteOptions(cmd: Command): Command {
  return cmd
    .option('--remote <url>', 'offload server to run on (switchyard serve), e.g. http://127.0.0.1:8080')
    .option('--token <t>', 'bearer token for --remote (default: $SWITCHYARD_TOKEN)')
    .option('--deadline-ms <n>', 'deadline of each remote run, ms (the server refuses early when it cannot meet it)');
}

export interface RemoteFlags { remote?: string; token?: string; deadlineMs?: string }

export function sessionOptionsFor(backend: string, explicit: boolean, o: RemoteFlags): SessionOptions {
  if (!o.remote) {
    if (backend === 'remote') throw new Error('--backend remote needs --remote URL (and --token T or $SWITCHYARD_TOKEN)');
    return { backend };
  }
  if (explicit && backend !== 'remote') throw new Error(`--remote runs on the offload server; it cannot be combined with --backend ${backend} until the heterogeneous runtime lands`);
  const deadlineMs = o.deadlineMs === undefined ? undefined : Number(o.deadlineMs);
  if (deadlineMs !== undefined && !(deadlineMs >= 1)) throw new Error(`--deadline-ms ${o.deadlineMs}: must be a number of ms >= 1`);
  return {
    backend: 'remote',
    devices: [{ kind: 'remote', url: o.remote, token: o.token ?? process.env.SWITCHYARD_TOKEN, ...(deadlineMs ? { deadlineMs } : {}) }],
    ...(explicit ? { fallback: false } : {}),
  };
}
