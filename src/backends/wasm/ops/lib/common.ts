// Helpers shared by the WASM op planners.

import type { Value } from '../../../../ir/graph.js';
import { attrsOf as attrsOfNode } from '../../../../ir/infer.js';
import type { PlanCtx } from '../../plan.js';

export const F32 = (ctx: PlanCtx, v: Value | null | undefined) => !v || ctx.dtype(v) === 'float32';

/** The node's attributes, with errors that name it. */
export const attrsOf = (ctx: PlanCtx) => attrsOfNode(ctx.node);
