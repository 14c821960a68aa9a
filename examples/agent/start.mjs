#!/usr/bin/env node
// `npm start`: the flagship example. It makes the example's seeded models (once; nothing is
// downloaded), starts an offload server on loopback as a child process that serves the chat model
// (`switchyard serve --port 0 --llm chat=…`), runs the retrieval-augmented support agent
// (rag.yaml: PII filter, embedding, HNSW retrieval, a tool call, a streamed LLM answer) planned
// over this machine's devices AND that server (`switchyard agent … --remote URL --explain`), and
// stops the server at the end. The agent prints where each node ran, TTFT/TPOT against the SLA and
// the plan with its reasons. Ctrl-C stops both; the server also exits by itself if this process
// dies (it watches its IPC channel to us), so no server is left behind.
//
//   npm start [-- "question"] [-- --pin answer=remote --ttft 100 ...]   (flags go to `switchyard agent`)
//
// SWITCHYARD_CHAT_MODEL=hf:HuggingFaceTB/SmolLM2-135M-Instruct npm start   answers with a real model
// (an hf: id, a model folder or a file), fetched once into the Hugging Face cache; the embedder stays seeded.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const cli = join(root, 'bin/switchyard.js');
const graph = join(here, 'rag.yaml');
// a first argument that is not a flag is the question; everything else goes to `switchyard agent`
const argv = process.argv.slice(2).filter((a) => a !== '--');
const asked = argv.length && !argv[0].startsWith('-') ? argv.shift() : undefined;
const extra = argv;
const question = asked ?? 'Hi, I am jane@example.com. My parcel weighs 3 kg and goes to zone B. How much is shipping?';
const say = (s) => process.stderr.write(`${s}\n`);

let prepareExampleModels;
try {
  ({ prepareExampleModels } = await import(join(root, 'dist/src/agent/example.js')));
} catch {
  say('example: dist/ is missing; run `npm run build` (npm ci does it through the prepare script)');
  process.exit(1);
}
await prepareExampleModels(graph, (line) => say(`example: ${line}`));

// a fresh token for this run, passed in the environment (not on a command line others can read)
const env = { ...process.env, SWITCHYARD_TOKEN: randomBytes(16).toString('hex') };
const t0 = performance.now();
const chatModel = process.env.SWITCHYARD_CHAT_MODEL;
if (chatModel)
  say(
    `example: the chat model is ${chatModel} (the server loads it ` +
      `first${chatModel.startsWith('hf:') ? ', downloading into the Hugging Face cache when missing' : ''})`,
  );
const server = spawn(
  process.execPath,
  [
    cli,
    'serve',
    '--port',
    '0',
    '--llm',
    `chat=${chatModel ?? join(here, 'models/chat')}`,
    '--llm-capacity',
    '512',
    '--drain-timeout-ms',
    '1000',
  ],
  {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env,
  },
);
let serverErr = '';
server.stderr.on('data', (d) => {
  serverErr = (serverErr + d).slice(-4000);
});
const serverExit = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));

let stopping;
/** SIGTERM (the server drains and exits), SIGKILL if it has not gone after 3 s. */
function stopServer() {
  stopping ??= (async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 3000);
    await serverExit;
    clearTimeout(timer);
  })();
  return stopping;
}
let agent;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    say(`\nexample: ${sig}: stopping the agent and the offload server`);
    agent?.kill(sig);
    stopServer().then(() => process.exit(130));
  });
}

// the server prints JSON log lines; show its progress and wait for the line that says it listens
const url = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: server.stdout });
  lines.on('line', (l) => {
    let j;
    try {
      j = JSON.parse(l);
    } catch {
      return;
    }
    if (j.msg === 'switchyard offload server listening') resolve(j.url);
    else if (typeof j.msg === 'string' && j.msg.startsWith('llm ')) say(`[server] ${j.msg}`);
    else if (j.level >= 50) say(`[server] ${j.msg}`);
  });
  serverExit.then(({ code, signal }) =>
    reject(
      new Error(
        `the offload server exited (${signal ?? code}) before it listened: ${serverErr.trim().split('\n').pop() ?? ''}`,
      ),
    ),
  );
}).catch((e) => {
  say(`example: ${e.message}`);
  process.exit(1);
});
say(
  `[server] listening at ${url} (pid ${server.pid}, ${(performance.now() - t0).toFixed(0)} ms to start), ` +
    `serving 'chat'; the agent plans over it with --remote\n`,
);

const modelFlag = chatModel ? ['--model', `chat=${chatModel}`] : [];
agent = spawn(
  process.execPath,
  [cli, 'agent', graph, '--example', '--input', question, '--remote', url, '--explain', ...modelFlag, ...extra],
  { stdio: 'inherit', env },
);
const code = await new Promise((resolve) => agent.on('exit', (c, s) => resolve(c ?? (s ? 130 : 1))));
await stopServer();
say(`\n[server] stopped (${url})`);
process.exit(code);
