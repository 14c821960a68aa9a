// A fleet member that is not a Switchyard server: llama.cpp (node-llama-cpp's prebuilt CPU binary,
// a devDependency) behind a small OpenAI-compatible HTTP wrapper on 127.0.0.1, for bench:fleet.
// POST /v1/chat/completions (JSON or SSE; the messages' contents as one prompt, greedy or
// temperature sampling, max_tokens), one completion at a time (a queue), each generated token
// after the first delayed by `stepDelayMs` to stand for a slower accelerator. It has no /v1/info:
// the router profiles it with its own probe completions (probeFigures in src/server/router.ts).
// Chunks carry `token_ids` as Switchyard's server does, so the bench's client times both alike.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LlamaCppMember {
  url: string;
  close(): Promise<void>;
}

export async function startLlamaCppMember(o: {
  modelPath: string;
  token: string;
  stepDelayMs?: number;
  contextSize?: number;
}): Promise<LlamaCppMember> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: o.modelPath, gpuLayers: 0 });
  // one thread: llama.cpp's threads spin while they wait, which a shared machine cannot afford
  const context = await model.createContext({ contextSize: o.contextSize ?? 256, sequences: 1, threads: 1 });
  const seq = context.getSequence();
  let queue: Promise<unknown> = Promise.resolve();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const server = http.createServer(async (req, res) => {
    const fail = (status: number, message: string) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message } }));
    if (req.headers.authorization !== `Bearer ${o.token}`) return fail(401, 'bad token');
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return fail(404, `no ${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      messages: { content?: string }[];
      max_tokens?: number;
      temperature?: number;
      seed?: number;
      stream?: boolean;
    };
    const prompt = model.tokenize(body.messages.map((m) => m.content ?? '').join('\n'));
    const room = (o.contextSize ?? 256) - prompt.length;
    const max = Math.min(body.max_tokens ?? 64, room);
    if (max < 1) return fail(400, `the prompt of ${prompt.length} tokens leaves no room in ${o.contextSize ?? 256}`);
    const run = queue.then(async () => {
      const id = `chatcmpl-llamacpp-${Date.now()}`;
      if (body.stream) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const out: number[] = [];
      await seq.clearHistory();
      const gen = seq.evaluate(prompt, { temperature: body.temperature ?? 0, seed: body.seed });
      for await (const t of gen) {
        if (out.length && o.stepDelayMs) await sleep(o.stepDelayMs);
        out.push(t as number);
        if (body.stream) {
          const delta = { content: model.detokenize([t]) };
          const choice = { index: 0, delta, token_ids: [t], finish_reason: null };
          res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', choices: [choice] })}\n\n`);
        }
        if (out.length >= max || res.destroyed) break;
      }
      const usage = { prompt_tokens: prompt.length, completion_tokens: out.length };
      if (body.stream) {
        const last = { index: 0, delta: {}, finish_reason: 'length' };
        res.end(`data: ${JSON.stringify({ id, choices: [last], usage })}\n\ndata: [DONE]\n\n`);
      } else {
        const message = { role: 'assistant', content: model.detokenize(out as never) };
        const choice = { index: 0, message, token_ids: out, finish_reason: 'length' };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id, object: 'chat.completion', choices: [choice], usage }));
      }
    });
    queue = run.catch(() => {});
    await run.catch((e) => (res.headersSent ? res.destroy() : fail(500, (e as Error).message)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.address}:${a.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
