// Page side of switchyard-auto-browser: the same protocol as the peers (src/common/measure.js).
// Profiles are the defaults (a fresh browser has no calibration cache; calibrating would be
// counted in the first run), and the runtime's measured kernel times correct them as it runs.
import { measure } from '/src/common/measure.js';
import { fingerprint, makeInputs } from '/src/common/workloads.js';

export async function run({ spec, variant, modelUrl, policy }) {
  // the browser bundle (scripts/build-browser.js): dependencies such as zod are inside it
  const sy = await import('/sy/dist/browser/switchyard.js');
  const resp = await fetch(modelUrl);
  if (!resp.ok) throw new Error(`fetch ${modelUrl}: HTTP ${resp.status}`);
  const model = new Uint8Array(await resp.arrayBuffer());
  const inputs = makeInputs(spec);
  const feeds = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, new sy.Tensor('float32', v.data, v.shape)]),
  );
  // where the last run placed each unit, read before the session is released
  let seen = {};
  const res = await measure(
    {
      create: () =>
        sy.Session.create(model, {
          backend: 'auto',
          calibration: 'never',
          devices: [{ kind: 'webgpu' }, { kind: 'wasm', threads: variant.threads }],
        }),
      infer: async (s) => {
        const o = await s.run(feeds);
        const h = s.hetero;
        seen = {
          devices: h?.devices.map((d) => d.device.id),
          ran: [...new Set(h?.lastReport?.units.map((u) => u.device) ?? [])],
          notes: h?.notes.slice(0, 5),
        };
        return spec.outputs.map((n) => o[n].data);
      },
      summarize: (outs) => spec.outputs.map((n, i) => fingerprint(n, outs[i])),
      dispose: (s) => s.release(),
    },
    policy,
  );
  return { ...res, info: { threads: variant.threads, isolated: globalThis.crossOriginIsolated, ...seen } };
}
