// A local fleet: N `switchyard serve` processes behind nginx (config: deploy/nginx/), for the
// `switchyard fleet` command, scripts/fleet.sh, the fleet test and the benchmarks. Node only.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const NGINX_TEMPLATE = join(ROOT, 'deploy/nginx/nginx.conf.template');
const CLI = join(ROOT, 'bin/switchyard.js');

export interface FleetOptions {
  servers: number;
  /** nginx listen port (0: a free one) */
  port: number;
  host?: string;
  token?: string;
  /** extra `switchyard serve` arguments */
  serveArgs?: string[];
  /** folder for the rendered config, pid and logs */
  dir: string;
  maxBodyMb?: number;
  nginx?: string;
  log?: (line: string) => void;
}

export interface FleetServer {
  url: string;
  port: number;
  proc: ChildProcess;
}

export interface Fleet {
  url: string;
  servers: FleetServer[];
  nginx: ChildProcess;
  config: string;
  stop(): Promise<void>;
}

export function findNginx(explicit?: string): string | undefined {
  for (const p of [explicit, process.env.NGINX, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'])
    if (p && existsSync(p)) return p;
  const w = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return w.status === 0 ? w.stdout.trim() || undefined : undefined;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Start one `switchyard serve` child on a free port; resolves when it listens. */
export function startServeProcess(args: string[], token?: string, host = '127.0.0.1'): Promise<FleetServer> {
  const proc = spawn(
    process.execPath,
    [CLI, 'serve', '--host', host, '--port', '0', ...(token ? ['--token', token] : []), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  proc.stderr!.on('data', (d) => {
    err += String(d);
  });
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`switchyard serve did not start within 60 s: ${err}`));
    }, 60_000);
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      try {
        const j = JSON.parse(l) as { url?: string; msg?: string };
        if (j.msg === 'switchyard offload server listening' && j.url) {
          clearTimeout(timer);
          res({ url: j.url, port: Number(new URL(j.url).port), proc });
        }
      } catch {
        /* not a log line */
      }
    });
    proc.on('exit', (c) => {
      clearTimeout(timer);
      rej(new Error(`switchyard serve exited with ${c}: ${err.slice(-500)}`));
    });
  });
}

export function renderNginxConfig(o: {
  listen: string;
  servers: { host: string; port: number }[];
  prefix: string;
  maxBodyMb: number;
}): string {
  const servers = o.servers.map((s) => `    server ${s.host}:${s.port} max_fails=1 fail_timeout=5s;`).join('\n');
  return readFileSync(NGINX_TEMPLATE, 'utf8')
    .replaceAll('{{SERVERS}}', servers)
    .replaceAll('{{LISTEN}}', o.listen)
    .replaceAll('{{PREFIX}}', o.prefix)
    .replaceAll('{{MAX_BODY_MB}}', String(o.maxBodyMb));
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const nginxBin = findNginx(o.nginx);
  if (!nginxBin) throw new Error('nginx is not installed (Debian: apt-get install nginx-light, or npm run setup)');
  const host = o.host ?? '127.0.0.1';
  const dir = resolve(o.dir);
  for (const d of ['tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi'])
    mkdirSync(join(dir, d), { recursive: true });
  const servers: FleetServer[] = [];
  const stopAll = async () => {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((r) => {
            if (s.proc.exitCode !== null || s.proc.signalCode !== null) return r();
            s.proc.once('exit', () => r());
            s.proc.kill('SIGTERM');
            setTimeout(() => s.proc.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  };
  try {
    const started = await Promise.all(
      Array.from({ length: o.servers }, () => startServeProcess(o.serveArgs ?? [], o.token, host)),
    );
    servers.push(...started);
  } catch (e) {
    await stopAll();
    throw e;
  }
  const port = o.port || (await freePort(host));
  const config = join(dir, 'nginx.conf');
  writeFileSync(
    config,
    renderNginxConfig({
      listen: `${host}:${port}`,
      servers: servers.map((s) => ({ host, port: s.port })),
      prefix: dir,
      maxBodyMb: o.maxBodyMb ?? 256,
    }),
  );
  const nginx = spawn(nginxBin, ['-p', dir, '-c', config, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let nginxErr = '';
  nginx.stderr!.on('data', (d) => {
    nginxErr += String(d);
  });
  const url = `http://${host}:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (nginx.exitCode !== null) {
      await stopAll();
      throw new Error(
        `nginx exited with ${nginx.exitCode}: ` +
          `${nginxErr}` +
          `${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-500) : ''}`,
      );
    }
    try {
      if ((await fetch(`${url}/nginx-health`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      nginx.kill('SIGKILL');
      await stopAll();
      throw new Error(`nginx did not answer on ${url} within 15 s: ${nginxErr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  o.log?.(`nginx ${url} -> ${servers.map((s) => s.url).join(', ')}`);
  return {
    url,
    servers,
    nginx,
    config,
    async stop() {
      await new Promise<void>((r) => {
        if (nginx.exitCode !== null || nginx.signalCode !== null) return r();
        nginx.once('exit', () => r());
        nginx.kill('SIGQUIT'); // graceful: finish open requests
        setTimeout(() => nginx.kill('SIGKILL'), 5000).unref();
      });
      await stopAll();
    },
  };
}
