// A compute worker thread: one ComputeCore answering messages from engine.ts. Inputs arrive as
// transferred buffers and blobs as SharedArrayBuffer views, so nothing large is copied on the way in.

import { parentPort, workerData } from 'node:worker_threads';
import type { Tensor } from '../ir/tensor.js';
import { ProtocolError } from '../protocol/errors.js';
import { ComputeCore } from './core.js';
import { type Packed, packTensors, unpackTensors } from './pack.js';

type Msg =
  | { op: 'load'; rid: number; id: string; text: string; blobs: [string, Uint8Array][] }
  | { op: 'unload'; rid: number; id: string }
  | { op: 'run'; rid: number; id: string; inputs: Packed[]; wanted?: string[]; slowMs: number }
  | { op: 'calibrate'; rid: number };

const core = new ComputeCore((workerData as { backend: string }).backend);
const port = parentPort!;

const fail = (rid: number, e: unknown) => {
  const err = e as Error;
  port.postMessage({
    rid,
    ok: false,
    code: e instanceof ProtocolError ? e.code : 'internal',
    message: err?.message ?? String(e),
    extra: e instanceof ProtocolError ? e.extra : undefined,
  });
};

try {
  await core.init();
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, message: (e as Error).message });
}

port.on('message', async (m: Msg) => {
  try {
    switch (m.op) {
      case 'load':
        port.postMessage({ rid: m.rid, ok: true, value: await core.load(m.id, m.text, new Map(m.blobs)) });
        break;
      case 'unload':
        await core.unload(m.id);
        port.postMessage({ rid: m.rid, ok: true });
        break;
      case 'calibrate':
        port.postMessage({ rid: m.rid, ok: true, value: await core.calibrate() });
        break;
      case 'run': {
        const inputs = unpackTensors(m.inputs);
        const r = await core.run(m.id, new Map(inputs), m.wanted, m.slowMs);
        // outputs that view the inputs (Identity, reshapes) go back without a copy: those buffers are this run's
        const { packed, transfer } = packTensors(
          r.outputs,
          r.constBuffers,
          new Set(inputs.flatMap(([, t]) => (Array.isArray(t.data) ? [] : [t.data.buffer]))),
        );
        try {
          port.postMessage({ rid: m.rid, ok: true, value: { outputs: packed, computeMs: r.computeMs } }, transfer);
        } catch {
          port.postMessage({ rid: m.rid, ok: true, value: { outputs: packed, computeMs: r.computeMs } });
        }
        break;
      }
    }
  } catch (e) {
    fail(m.rid, e);
  }
});

export type { Tensor };
