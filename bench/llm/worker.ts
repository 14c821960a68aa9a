// One engine in its own process (forked by run.ts): load, answer {run} messages with one timed
// generation each, report its peak RSS with every answer, exit on {quit}.

import '../../src/index.js';
import { createEngine, type EngineSpec } from './engines.js';

const spec = JSON.parse(process.argv[2]!) as EngineSpec;
const send = (m: unknown) => new Promise<void>((r) => process.send!(m, () => r()));
const rssMb = () => process.resourceUsage().maxRSS / 1024;

try {
  const t0 = performance.now();
  const engine = await createEngine(spec);
  await send({ ready: true, loadMs: performance.now() - t0, rssMb: rssMb() });
  process.on('message', async (m: { run?: { prompt: number[]; newTokens: number }; quit?: boolean }) => {
    try {
      if (m.quit) {
        await engine.dispose();
        process.exit(0);
      }
      const r = await engine.run(m.run!.prompt, m.run!.newTokens);
      await send({ result: r, rssMb: rssMb() });
    } catch (e) {
      await send({ error: (e as Error).stack ?? String(e) });
    }
  });
} catch (e) {
  await send({ error: (e as Error).stack ?? String(e) });
  process.exit(1);
}
