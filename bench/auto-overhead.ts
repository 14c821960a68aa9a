// `node dist/bench/auto-overhead.js [--runs N] [--model PATH]...`: what `auto` costs a caller per
// run beyond the executor's own run (learning from the run, re-predicting or re-planning), on the
// small example models where it matters most. Per configuration (auto over every device found,
// and WASM alone on 1 thread through the same session code): the median of the caller's time, of
// the executor's run and of the difference, over the steady runs (the first few settle and are
// left out), side by side in one process so load from elsewhere lands on all alike.

import { join } from 'node:path';
import { randomFeeds } from '../src/cli/random-inputs.js';
import { MemoryStore } from '../src/cost/history.js';
import { Session, type SessionOptions } from '../src/runtime/session.js';
import '../src/index.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 60) || 60;
const models = args.flatMap((a, i) => (args[i - 1] === '--model' ? [a] : []));
if (!models.length)
  for (const m of ['two-tower', 'tiny-cnn', 'mini-encoder']) models.push(join(root, `examples/models/${m}.onnx`));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : Number.NaN;
};
const configs: [string, SessionOptions][] = [
  ['auto', { backend: 'auto' }],
  // the runtime before the learning schedule: learn from and re-predict after every run
  ['auto, learn every run', { backend: 'auto', learnEvery: 'run' }],
  [
    'wasm t1',
    {
      backend: 'auto',
      devices: [{ kind: 'wasm', threads: 1, id: 'wasm-t1' }],
      policy: { objective: 'latency', allow: ['wasm-t1'] },
    },
  ],
];

console.log(`| model | config | ran on | caller ms | executor ms | overhead ms | re-plans |`);
console.log(`|:--|:--|:--|--:|--:|--:|--:|`);
for (const model of models) {
  const live = [];
  for (const [name, o] of configs) {
    const s = await Session.create(model, { ...o, history: new MemoryStore() });
    live.push({ name, s, feeds: randomFeeds(s.graph, 1, {}), caller: [] as number[], exec: [] as number[] });
  }
  for (let r = 0; r < runs; r++)
    for (const l of live) {
      const t = performance.now();
      await l.s.run(l.feeds);
      const wall = performance.now() - t;
      if (r < 5) continue;
      l.caller.push(wall);
      l.exec.push(l.s.hetero!.lastReport!.totalMs);
    }
  for (const l of live) {
    const h = l.s.hetero!;
    const on = [...new Set(h.plan.assignments.filter((a) => !a.task.startsWith('@')).map((a) => a.device))];
    const over = l.caller.map((c, i) => c - l.exec[i]!);
    const name = model.split('/').pop()!.replace('.onnx', '');
    console.log(
      `| ${name} | ${l.name} | ${on.join('+')} | ${median(l.caller).toFixed(3)} | ${median(l.exec).toFixed(3)} | ` +
        `${median(over).toFixed(3)} | ${h.replans} |`,
    );
    await l.s.release();
  }
}
process.exit(0);
