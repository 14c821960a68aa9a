// Planning one node for concrete input shapes: output types from the op's shape rule, then the
// kernel family's dispatches, checked against the adapter's limits; memoised per input signature
// (shapes, and the values of host inputs such as Reshape's shape), so a warm run plans nothing.

import type { Node, TensorType } from '../../ir/graph.js';
import { attrsOf, nodeError, opDefOf } from '../../ir/infer.js';
import { formatType } from '../../ir/text-common.js';
import { type KernelContext, kernelFor, type NodePlan, type OutInfo, type TensorInfo } from './kernel.js';
import { checkLimits } from './limits.js';
import { declaration } from './variant.js';
import { inlineHelpers } from './wgsl.js';

export interface PlannedStep {
  plan: NodePlan;
  outs: OutInfo[];
}

/** A node of a compiled unit with its plans so far. */
export interface Step {
  node: Node;
  memo: Map<string, PlannedStep>;
  hostInputs: number[];
}

export function planStep(ctx: KernelContext, step: Step, ins: (TensorInfo | undefined)[]): PlannedStep {
  const node = step.node;
  const sig = JSON.stringify(
    ins.map((t, i) =>
      t
        ? [
            t.dtype,
            t.dims,
            step.hostInputs.includes(i) && t.host ? Array.from(t.host.data as ArrayLike<number | bigint>, Number) : 0,
          ]
        : null,
    ),
  );
  const hit = step.memo.get(sig);
  if (hit) return hit;
  const def = opDefOf(node);
  const attrs = attrsOf(node);
  let types: TensorType[];
  try {
    types = def.infer({
      node,
      attrs,
      types: ins.map((t) => (t ? { dtype: t.dtype, shape: t.dims } : undefined)),
      consts: ins.map((t) => t?.host),
    });
  } catch (e) {
    throw nodeError(node, e);
  }
  const outs: OutInfo[] = types.map((t, k) => {
    if (!t.shape || !t.shape.every((d) => typeof d === 'number')) {
      throw nodeError(
        node,
        new Error(
          `output #${k} has shape ${formatType(t)} that depends on data; ` +
            'the WebGPU backend needs it known before running',
        ),
      );
    }
    const dims = t.shape as number[];
    return {
      dtype: t.dtype,
      dims,
      layout: ctx.layout(
        t.dtype,
        dims.reduce((a, b) => a * b, 1),
      ),
    };
  });
  const fam = kernelFor(node.op)!;
  let plan: NodePlan;
  try {
    plan = fam.plan({ node, attrs, ins, outs, ctx, hostInputs: step.hostInputs });
  } catch (e) {
    throw nodeError(node, e);
  }
  for (const d of plan.dispatches) {
    // the declaration first: the pipeline cache keys by it, and explain() reads it back
    d.code = `${declaration(d.variant)}\n${inlineHelpers(d.code)}`;
    if (!!d.params !== !!d.bindings[0]?.uniform) {
      throw nodeError(node, new Error(`kernel ${d.label}: uniform parameters and binding 0 disagree`));
    }
  }
  checkLimits(ctx.limits, node, plan, ins, outs);
  const r = { plan, outs };
  step.memo.set(sig, r);
  return r;
}
