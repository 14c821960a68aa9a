// Which nodes the WebGPU device runs: a WGSL kernel family for the op, element types WGSL has
// (no 64-bit floats, int64 only where it holds indices or shapes) and the family's own checks.

import { isNarrow } from '../../ir/dtype.js';
import type { Node, TensorType } from '../../ir/graph.js';
import { attrsOf } from '../../ir/infer.js';
import { hostOnlyReason } from '../device.js';
import { GPU_INT64_NOTE } from './errors.js';
import { kernelFor } from './kernel.js';

export function gpuSupports(node: Node): true | string {
  const host = hostOnlyReason(node);
  if (host) return host;
  const fam = kernelFor(node.op);
  if (!fam) return `no WGSL kernel for ${node.op}`;
  const check = (t: TensorType | undefined, allowInt64: boolean, what: string): string | undefined => {
    if (!t) return undefined;
    if (t.dtype === 'float64') return `${what} is float64: WGSL has no 64-bit floats`;
    if (isNarrow(t.dtype)) return `${what} is ${t.dtype}: no WGSL kernels take this type (runs on the reference path)`;
    if (t.dtype === 'uint64') return `${what} is uint64: ${GPU_INT64_NOTE}`;
    if (t.dtype === 'int64' && !allowInt64)
      return `${what} is int64: ${GPU_INT64_NOTE} (only indices and shapes may be int64 here)`;
    return undefined;
  };
  const i64in = fam.int64Inputs;
  for (let i = 0; i < node.inputs.length; i++) {
    const why = check(node.inputs[i]?.type, i64in === 'all' || !!i64in?.includes(i), `input #${i}`);
    if (why) return why;
  }
  for (let i = 0; i < node.outputs.length; i++) {
    const why = check(node.outputs[i]?.type, !!fam.int64Outputs || i64in === 'all', `output #${i}`);
    if (why) return why;
  }
  if (fam.supports) {
    try {
      return fam.supports(node, attrsOf(node));
    } catch (e) {
      return (e as Error).message;
    }
  }
  return true;
}
