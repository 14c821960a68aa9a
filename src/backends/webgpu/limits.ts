// Compile-time limit checks of a node's plan against the adapter: storage buffers per shader stage
// (tensors over maxStorageBufferBindingSize are bound in slices, each slice a binding) and
// workgroups per grid dimension. A refusal names the node, the kernel, the tensors and the limit.

import type { Node } from '../../ir/graph.js';
import { nodeError } from '../../ir/infer.js';
import { LimitError } from './errors.js';
import type { NodePlan, OutInfo, TensorInfo } from './kernel.js';
import { partsOf } from './tensor.js';
import type { Layout } from './wgsl.js';

export function checkLimits(
  L: Record<string, number>,
  node: Node,
  plan: NodePlan,
  ins: (TensorInfo | undefined)[],
  outs: OutInfo[],
): void {
  const maxBind = L.maxStorageBuffersPerShaderStage ?? 8;
  const maxBinding = Math.min(L.maxStorageBufferBindingSize!, L.maxBufferSize!);
  for (const d of plan.dispatches) {
    const storageBindings = d.bindings.filter((b) => !b.uniform).length;
    if (storageBindings <= maxBind) continue;
    // name the tensors that had to be split to explain the count
    const big = d.tensors
      .map(
        (r) =>
          ('in' in r
            ? [node.inputs[r.in]?.name, ins[r.in]?.layout]
            : 'out' in r
              ? [node.outputs[r.out]?.name, outs[r.out]?.layout]
              : ['temporary', plan.temps?.[r.tmp]]) as [string | undefined, Layout | undefined],
      )
      .filter(([, l]) => l && partsOf(l) > 1)
      .map(([n, l]) => {
        const bytes = (l!.numel * (l!.wtype === 'f16' ? 2 : 4)).toLocaleString('en-US');
        return `'${n}' (${bytes} bytes, ${partsOf(l!)} parts)`;
      });
    const count = `kernel ${d.label} needs ${storageBindings} storage buffers but the adapter allows ${maxBind}`;
    const sliced = big.length
      ? `; ${big.join(', ')} exceed${big.length === 1 ? 's' : ''} maxStorageBufferBindingSize ` +
        `${maxBinding.toLocaleString('en-US')} bytes and had to be bound in slices`
      : '';
    throw nodeError(node, new LimitError(`${count} per shader stage (maxStorageBuffersPerShaderStage)${sliced}`));
  }
  const m = L.maxComputeWorkgroupsPerDimension ?? 65535;
  for (const d of plan.dispatches) {
    if (d.grid.some((g) => g > m)) {
      const grid = d.grid.join('×');
      const msg = `kernel ${d.label} dispatches ${grid} workgroups; maxComputeWorkgroupsPerDimension is ${m}`;
      throw nodeError(node, new LimitError(msg));
    }
  }
}
