// Which nodes the WASM device runs on its kernels: the op families' planner tables and dtype
// declarations (ops/index.ts), shape arithmetic answered at plan time, and the host-only cases.
// Everything else runs on the reference path, with the reason returned here.

import { isNarrow } from '../../ir/dtype.js';
import type { Node } from '../../ir/graph.js';
import { hostOnlyReason } from '../device.js';
import { isShapeArith } from './known.js';
import { ANY_DTYPE, FLOAT_DATA, OWN_DTYPES, PLANNERS } from './ops/index.js';

/** True when the WASM kernels take this node, else why not (names the op and the dtype). */
export function wasmSupports(node: Node): true | string {
  const host = hostOnlyReason(node);
  if (host) return host;
  if (isShapeArith(node)) return true;
  // float16 operands of a map are widened around it (see kmap)
  if (
    node.op === 'k.map' &&
    [...node.inputs, ...node.outputs].every((v) => !v?.type || ['float32', 'float16', 'bool'].includes(v.type.dtype))
  )
    return true;
  if (FLOAT_DATA.has(node.op)) {
    const bad = [node.inputs[0], ...node.outputs].find((v) => v?.type && v.type.dtype !== 'float32');
    return bad ? `WASM kernels for ${node.op.slice(3)} take float32, this node has ${bad.type!.dtype}` : true;
  }
  if (!(node.op in PLANNERS)) return `no WASM kernel for ${node.op.slice(node.op.indexOf('.') + 1)}`;
  for (const v of [...node.inputs, ...node.outputs]) {
    if (v?.type && isNarrow(v.type.dtype)) return `no WASM kernels take ${v.type.dtype} (runs on the reference path)`;
  }
  if (!ANY_DTYPE.has(node.op)) {
    for (const v of [...node.inputs, ...node.outputs]) {
      if (!v || !v.type) continue;
      if ((node.op === 'k.map' || node.op === 'nn.Attention') && v.type.dtype === 'bool') continue;
      // these planners check their own dtypes (declared by their families: ownDtypes)
      const ownTypes = OWN_DTYPES.has(node.op);
      if (v.type.dtype !== 'float32' && !ownTypes) {
        return (
          `WASM kernels for ${node.op.slice(node.op.indexOf('.') + 1)} take float32, this node has ` + `${v.type.dtype}`
        );
      }
    }
    const x = node.inputs[0]?.type?.dtype;
    if (x && x !== 'float32' && !(node.op === 'k.map' && x === 'bool'))
      return `WASM kernels for ${node.op.slice(node.op.indexOf('.') + 1)} take float32, this node has ${x}`;
  }
  return true;
}
