// In-place row writes for the paged KV pool: Device.writeRows where a device has it, and for the
// WASM device a memmove in its linear memory (its tensors are pointers there). Undefined for
// devices that have neither: their step graphs write the pool with ScatterND (a copy per step).

import type { Device, DeviceTensor } from '../../backends/device.js';
import { checkRowWrite } from '../../backends/device.js';
import { WasmDevice, type WasmTensor } from '../../backends/wasm/device.js';

export type RowWriter = (target: DeviceTensor, rows: ArrayLike<number>, source: DeviceTensor) => Promise<void>;

export function rowWriter(device: Device): RowWriter | undefined {
  if (device.writeRows) return device.writeRows.bind(device);
  if (device instanceof WasmDevice)
    // the rows belong to the caller's pool alone and its last step has finished: no queue needed
    return async (target, rows, source) => {
      const t = target as WasmTensor,
        s = source as WasmTensor;
      const n = checkRowWrite(t, rows, s);
      const u8 = device.mem.U8;
      for (let i = 0; i < rows.length; i++) u8.copyWithin(t.ptr + rows[i]! * n, s.ptr + i * n, s.ptr + (i + 1) * n);
    };
  return undefined;
}
