// switchyard fleet [--servers N] [--port 8080] [--token T] [--dir D] [-- serve options…]
// N offload servers behind nginx on this machine, in the foreground (Ctrl-C stops them all).

import { InvalidArgumentError, type Command } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../../server/fleet.js';

const int = (what: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be an integer >= ${min}`);
  return n;
};

export function registerFleet(program: Command): void {
  program.command('fleet')
    .description('run N offload servers behind nginx (deploy/nginx/nginx.conf.template) until Ctrl-C')
    .option('-n, --servers <n>', 'servers', int('--servers', 1), 3)
    .option('--port <n>', 'nginx port (0: a free one)', int('--port', 0), 8080)
    .option('--host <addr>', 'address for nginx and the servers', '127.0.0.1')
    .option('--token <t>', 'bearer token for every server (default: $SWITCHYARD_TOKEN)')
    .option('--dir <dir>', 'folder for nginx.conf, pid and logs (default: a new temp folder)')
    .option('--max-body-mb <n>', 'nginx client_max_body_size, MiB', int('--max-body-mb', 1), 256)
    .argument('[serve...]', 'options passed to each `switchyard serve` (after --)')
    .action(async (serve: string[], o: { servers: number; port: number; host: string; token?: string; dir?: string; maxBodyMb: number }) => {
      const fleet = await startFleet({
        servers: o.servers, port: o.port, host: o.host, token: o.token ?? process.env.SWITCHYARD_TOKEN, serveArgs: serve,
        dir: o.dir ?? mkdtempSync(join(tmpdir(), 'switchyard-fleet-')), maxBodyMb: o.maxBodyMb,
      });
      console.log(`fleet   ${fleet.url}  (nginx, config ${fleet.config})`);
      for (const s of fleet.servers) console.log(`server  ${s.url}  pid ${s.proc.pid}`);
      const stop = () => { fleet.stop().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await new Promise(() => {});
    });
}
