// Constant folding: a node whose inputs are all constants is evaluated once with its reference
// implementation (so folding is exactly as correct as the oracle); Shape and Size of values with
// static shapes fold too, which collapses the shape arithmetic that exporters emit. Every node gets
// its types re-inferred from the inputs folded so far, so a Shape further down (of a Reshape whose
// target was just folded, say) folds in the same pass instead of waiting for another round of shape
// inference: exporters chain dozens of such steps (torchvision's Swin builds its masks so).

import type { Graph, Node } from '../ir/graph.js';
import { inferNode } from '../ir/infer.js';
import { isStatic } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { evalNode } from '../ops/evaluate.js';
import type { Pass } from './pass.js';
import { refine } from './shape-inference.js';

/** Results larger than this stay as ops: folding would only trade compute for model size. */
const MAX_FOLDED_ELEMENTS = 1 << 20;

function shapeOf(n: Node): Tensor | undefined {
  const x = n.inputs[0];
  const shape = x?.type?.shape;
  if (!shape || !isStatic(shape)) return undefined;
  const rank = shape.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = clamp(n.attrs.start?.kind === 'int' ? n.attrs.start.value : 0);
  const end = clamp(n.attrs.end?.kind === 'int' ? n.attrs.end.value : rank);
  return Tensor.from('int64', shape.slice(start, Math.max(start, end)).map(BigInt));
}

function foldable(n: Node): Tensor[] | undefined {
  if (n.op === 'nn.Shape') {
    const t = shapeOf(n);
    return t && [t];
  }
  if (n.op === 'nn.Size') {
    const s = n.inputs[0]?.type?.shape;
    return s && isStatic(s) ? [Tensor.from('int64', [BigInt(s.reduce((a, b) => a * b, 1))], [])] : undefined;
  }
  if (!n.inputs.every((v) => !v || v.const)) return undefined;
  // constants are tensors: a sequence or optional result stays an op
  if (n.outputs.some((o) => o && (!o.type || o.type.wrap?.length))) return undefined;
  const outElems = n.outputs.reduce((a, o) => {
    const s = o?.type?.shape;
    return a + (s && isStatic(s) ? s.reduce((x, y) => x * y, 1) : Infinity);
  }, 0);
  if (outElems > MAX_FOLDED_ELEMENTS && n.op !== 'nn.Constant') return undefined;
  return evalNode(
    n,
    n.inputs.map((v) => v?.const),
  );
}

/**
 * Re-infers a node's output types from its inputs as folded so far; a failure is left for the
 * shape-inference pass to report.
 */
function refineTypes(n: Node): void {
  try {
    const types = inferNode(n);
    n.outputs.forEach((o, i) => {
      if (o) o.type = refine(o.type, types[i]);
    });
  } catch {
    // shape inference reports it, with the node named
  }
}

export const constantFolding: Pass = {
  name: 'constant-folding',
  description: 'evaluate nodes whose inputs are all constant, and Shape/Size of static shapes',
  run(g: Graph) {
    let folded = 0;
    const keep: Node[] = [];
    for (const n of g.nodes) {
      refineTypes(n);
      const outs = foldable(n);
      if (!outs) {
        keep.push(n);
        continue;
      }
      n.outputs.forEach((o, i) => {
        if (!o) return;
        o.const = outs[i]!;
        o.producer = undefined;
        o.type = { dtype: outs[i]!.type, shape: [...outs[i]!.dims] };
      });
      folded++;
    }
    g.nodes = keep;
    return { changed: folded > 0, summary: `folded ${folded} nodes into constants` };
  },
};
