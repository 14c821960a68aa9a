// A model's identity for offload: SHA-256 over its config, tokenizer and every weight as loaded.
// A server that reports the same fingerprint for a model computes the same logits as the local
// engine would (up to its backend's rounding), so a planner may send that model's llm nodes there.
// Each tensor is hashed on its own (web crypto has no incremental hash), then the list is hashed.

import type { Tensor } from '../../ir/tensor.js';
import { sha256Hex } from '../../protocol/hash.js';
import type { LlmModel } from './engine.js';
import { isQ8, type Matrix, type ModelWeights } from './weights.js';

function tensors(w: ModelWeights): Tensor[] {
  const out: Tensor[] = [w.embed];
  if (w.posEmbed) out.push(w.posEmbed);
  const m = (x: Matrix) => (isQ8(x) ? [x.values, x.scales] : [x]);
  for (const l of w.layers) {
    out.push(l.attnNorm.w, ...(l.attnNorm.b ? [l.attnNorm.b] : []), l.ffnNorm.w, ...(l.ffnNorm.b ? [l.ffnNorm.b] : []));
    for (const x of [l.q, l.k, l.v, l.o, ...(l.gate ? [l.gate] : []), l.up, l.down])
      out.push(...m(x.w), ...(x.b ? [x.b] : []));
  }
  out.push(
    w.finalNorm.w,
    ...(w.finalNorm.b ? [w.finalNorm.b] : []),
    ...m(w.lmHead.w),
    ...(w.lmHead.b ? [w.lmHead.b] : []),
  );
  return out;
}

const cache = new WeakMap<LlmModel, Promise<string>>();

/** The fingerprint of a loaded model (computed once per model object). */
export function modelFingerprint(model: LlmModel): Promise<string> {
  let p = cache.get(model);
  if (!p) {
    p = (async () => {
      const parts = await Promise.all(
        tensors(model.weights).map((t) => {
          const d = t.data as ArrayBufferView;
          return sha256Hex(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).then(
            (h) => `${t.type}[${t.dims.join(',')}]:${h}`,
          );
        }),
      );
      const tok = model.tokenizer ? await sha256Hex(JSON.stringify(model.tokenizer.json)) : 'none';
      return sha256Hex(JSON.stringify({ config: model.config, tokenizer: tok, weights: parts }));
    })();
    cache.set(model, p);
  }
  return p;
}
