#!/usr/bin/env node
// `npm run bench`: the peer suite of bench/peers with Switchyard's adapters (every
// bench/peers/adapters/*.js) measured beside the peers in the same run. Installs the suite's
// pinned packages on first use and builds the library and its browser bundle first.
// Arguments go to bench/peers/src/run.js (except --no-hetero / --hetero-only), e.g.
//   npm run bench -- --workloads matmul-1024,add-16m --peers switchyard-webgpu,ort-web-webgpu-node,ort-web-webgpu-browser,switchyard-webgpu-browser
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const peers = join(repo, 'bench/peers');
const run = (cmd, args, cwd = repo) => {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (!existsSync(join(peers, 'node_modules'))) run('npm', ['ci', '--no-audit', '--no-fund'], peers);
run('npm', ['run', 'build']);
run(process.execPath, ['scripts/build-browser.js']);
const adapters = readdirSync(join(peers, 'adapters'))
  .filter((f) => f.endsWith('.js') && !f.endsWith('-page.js'))
  .sort()
  .flatMap((f) => ['--adapter', join(peers, 'adapters', f)]);
// then the heterogeneous benchmark (bench/hetero/run.ts: single devices vs the plan vs its
// prediction); --no-hetero skips it, --hetero-only runs it alone
const args = process.argv.slice(2);
const mine = ['--no-hetero', '--hetero-only'];
if (!args.includes('--hetero-only'))
  run(process.execPath, ['src/run.js', ...adapters, ...args.filter((a) => !mine.includes(a))], peers);
if (!args.includes('--no-hetero')) run(process.execPath, ['--expose-gc', 'dist/bench/hetero/run.js']);
