#!/usr/bin/env node
// `npm run bench:browser`: the bench workloads in headless Chromium — every Switchyard browser
// adapter in bench/peers/adapters (WASM, WebGPU, and 'auto', the heterogeneous runtime the demo
// runs) beside onnxruntime-web's WASM and WebGPU backends — through the shared peers harness
// (bench/peers: same workloads, timing protocol, output check and table format as `npm run bench`;
// ort-node/t1 is the output-check anchor). Extra arguments go to the harness, e.g.
//   npm run bench:browser -- --workloads matmul-1024,add-16m --min-runs 5
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const peers = join(repo, 'bench/peers');
if (!existsSync(join(peers, 'src/run.js'))) {
  console.error(
    'bench:browser: the peers harness (bench/peers/src) is not in this tree yet; it arrives with the WASM/WebGPU backends',
  );
  process.exit(1);
}
const run = (cmd, args, cwd = repo) => {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (!existsSync(join(peers, 'node_modules'))) run('npm', ['ci', '--no-audit', '--no-fund'], peers);
run('npm', ['run', 'build']);
if (existsSync(join(repo, 'scripts/build-browser.js'))) run(process.execPath, ['scripts/build-browser.js']);

const files = readdirSync(join(peers, 'adapters'))
  .filter((f) => f.endsWith('.js') && !f.endsWith('-page.js'))
  .sort();
const ours = [];
for (const f of files) {
  const { adapter } = await import(pathToFileURL(join(peers, 'adapters', f)).href);
  if (adapter?.runtime === 'browser') ours.push({ file: join(peers, 'adapters', f), id: adapter.id });
}
if (!ours.length) {
  console.error('bench:browser: no Switchyard browser adapter in bench/peers/adapters');
  process.exit(1);
}
const args = process.argv.slice(2);
const named = args.includes('--peers');
run(
  process.execPath,
  [
    'src/run.js',
    '--no-peak',
    ...ours.flatMap((a) => ['--adapter', a.file]),
    ...(named
      ? []
      : [
          '--peers',
          [...ours.map((a) => a.id), 'ort-web-wasm-browser', 'ort-web-webgpu-browser', 'ort-node/t1'].join(','),
        ]),
    ...args,
  ],
  peers,
);
