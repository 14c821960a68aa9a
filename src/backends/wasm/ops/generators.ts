// Generators family on WASM: Identity is a view (Constant, Range and the like are answered at
// plan time, see known.ts).

import type { WasmFamily } from '../plan.js';
import { view } from './lib/copy.js';

export const KERNELS: WasmFamily = { planners: { 'nn.Identity': view }, anyDtype: ['nn.Identity'] };
