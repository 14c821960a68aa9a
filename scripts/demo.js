#!/usr/bin/env node
// `npm run demo`: the demo page on Vite's dev server (http://127.0.0.1:5173, cross-origin isolated)
// together with a local offload server (`switchyard serve` on 127.0.0.1:8787 with a fresh token,
// the page's origin on its CORS allow-list) when this build has one.
// Both make the example agent's seeded models first (examples/agent/models), which the page serves.
// `npm run build:demo`: a static build in dist/demo (serve it with COOP/COEP headers, e.g.
// `npx vite preview --config demo/vite.config.ts`).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = join(repo, 'demo/vite.config.ts');
const mode = process.argv[2] ?? 'dev';

function step(what, cmd, args) {
  const r = spawnSync(cmd, args, { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`demo: ${what} failed`);
    process.exit(r.status ?? 1);
  }
}

// kernels and generated sources the page loads (present once those backends are in the tree)
if (existsSync(join(repo, 'scripts/build-wasm.js')))
  step('building the WASM kernels', process.execPath, ['scripts/build-wasm.js']);
if (existsSync(join(repo, 'scripts/gen-shaders.js')))
  step('generating the shader sources', process.execPath, ['scripts/gen-shaders.js']);
step('type-checking the demo', process.execPath, [
  join(repo, 'node_modules/typescript/bin/tsc'),
  '-p',
  'demo/tsconfig.json',
]);

// the example agent's seeded models (examples/agent/models, git-ignored), made by the built library
// before Vite lists and serves them
const exampleJs = join(repo, 'dist/src/agent/example.js');
if (!existsSync(exampleJs))
  step("building the library (for the example agent's models)", process.execPath, [
    join(repo, 'node_modules/typescript/bin/tsc'),
    '-p',
    'tsconfig.json',
  ]);
{
  const { prepareExampleModels } = await import(pathToFileURL(exampleJs).href);
  const made = await prepareExampleModels(join(repo, 'examples/agent/rag.yaml'), (line) =>
    console.log(`demo: ${line}`),
  );
  if (!made) console.log("demo: the example agent's models are there (examples/agent/models)");
}

const vite = await import('vite');
if (mode === 'build') {
  await vite.build({ configFile: config, logLevel: process.env.CI ? 'warn' : 'info' });
  process.exit(0);
}

// dev: the offload server first, so the page finds it when it loads
const port = Number(process.env.DEMO_PORT ?? 5173);
const origin = `http://127.0.0.1:${port}`;
let server;
step('building the library (for the offload server)', process.execPath, [
  join(repo, 'node_modules/typescript/bin/tsc'),
  '-p',
  'tsconfig.json',
]);
const commands =
  spawnSync(process.execPath, ['bin/switchyard.js', '--help'], { cwd: repo, encoding: 'utf8' }).stdout ?? '';
if (/^\s+serve\b/m.test(commands)) {
  const help = spawnSync(process.execPath, ['bin/switchyard.js', 'serve', '--help'], { cwd: repo, encoding: 'utf8' });
  const token = process.env.SWITCHYARD_TOKEN ?? randomBytes(16).toString('hex');
  const serverPort = Number(process.env.SERVER_PORT ?? 8787);
  const args = ['bin/switchyard.js', 'serve', '--host', '127.0.0.1', '--port', String(serverPort), '--token', token];
  const cors = /--(cors[\w-]*|allow-origins?)\b/.exec(help.stdout)?.[0];
  if (cors) args.push(cors, origin);
  // a price, so that 'cheapest within the SLA' has something to weigh (local devices cost 0)
  if (/--price-per-hour\b/.test(help.stdout)) args.push('--price-per-hour', process.env.SERVER_PRICE ?? '2.5');
  // the example agent's chat model, so that its answer node may run on the server whole;
  // SWITCHYARD_CHAT_MODEL (an hf: id or a folder, as for `npm start`) serves a real model instead
  const chatModel = process.env.SWITCHYARD_CHAT_MODEL ?? join(repo, 'examples/agent/models/chat');
  if (/--llm\b/.test(help.stdout)) args.push('--llm', `chat=${chatModel}`, '--llm-capacity', '512');
  server = spawn(process.execPath, args, {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, SWITCHYARD_CORS_ORIGINS: origin },
  });
  server.on('exit', (code) => {
    if (code) console.error(`demo: the offload server exited (code ${code}); the page runs on local devices`);
  });
  process.env.VITE_SWITCHYARD_REMOTE = `http://127.0.0.1:${serverPort}`;
  process.env.VITE_SWITCHYARD_TOKEN = token;
  console.log(`demo: offload server on http://127.0.0.1:${serverPort} (token ${token})`);
} else {
  console.log('demo: this build has no `switchyard serve` yet: the page runs on local devices only');
}
const dev = await vite.createServer({ configFile: config, server: { port, strictPort: true } });
// a port in use must not leave the offload server running behind us
await dev.listen().catch((e) => {
  server?.kill('SIGTERM');
  console.error(`demo: ${e.message}`);
  process.exit(1);
});
dev.printUrls();
if (process.env.SWITCHYARD_CHAT_MODEL?.startsWith('hf:'))
  console.log(
    `demo: the agent page with that chat model: ${origin}/?model=agent:rag&chat=${process.env.SWITCHYARD_CHAT_MODEL}`,
  );
const stop = async () => {
  server?.kill('SIGTERM');
  await dev.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
