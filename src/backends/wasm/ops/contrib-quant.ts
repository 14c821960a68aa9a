// The contrib quantized-matmul family on WASM: MatMulNBits takes the integer-dot kernels
// (contrib-quant-nbits.ts) and, for the cases they do not take, the float 4-bit kernel
// (contrib-quant-float.ts).

import type { WasmFamily } from '../plan.js';
import { matMulNBitsInt } from './contrib-quant-nbits.js';

export const KERNELS: WasmFamily = {
  planners: { 'ms.MatMulNBits': matMulNBitsInt },
  anyDtype: ['ms.MatMulNBits'],
};
