// A tensor in the WASM device's linear memory: dtype, dims, address and size; `owned` when the
// device allocated the block for it (released with the tensor).

import type { DType } from '../../ir/dtype.js';
import type { DeviceTensor } from '../device.js';

export class WasmTensor implements DeviceTensor {
  constructor(
    readonly type: DType,
    readonly dims: readonly number[],
    readonly ptr: number,
    readonly bytes: number,
    readonly owned: boolean,
  ) {}
}
