// onnxruntime-web's Tensor, over Switchyard's: the same constructors, `type`, `dims`, `data`,
// `size`, `location` ('cpu' or 'gpu-buffer'), `getData()`, `dispose()`, `reshape()`, and
// `Tensor.fromGpuBuffer()`. A GPU-resident session output keeps Switchyard's GPU tensor, so feeding
// it to another session on the same device needs no copy; a buffer the app made itself is read
// back with its `download` callback (or a copy on env.webgpu.device) when a session needs it.

import { GpuResidentTensor } from '../backends/webgpu/shared-device.js';
import type { DType, TypedArray } from '../ir/dtype.js';
import { isDType } from '../ir/dtype.js';
import { Tensor as SyTensor } from '../ir/tensor.js';

export type DataLocation = 'none' | 'cpu' | 'cpu-pinned' | 'texture' | 'gpu-buffer' | 'ml-tensor';
type Data = TypedArray | readonly number[] | readonly bigint[] | readonly boolean[];

export interface GpuBufferConstructorParameters {
  dataType: DType;
  dims: readonly number[];
  download?(): Promise<TypedArray>;
  dispose?(): void;
}

const BYTES: Partial<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  int8: 1,
  uint8: 1,
  bool: 1,
  int16: 2,
  uint16: 2,
  float64: 8,
};

export class Tensor {
  readonly type: DType;
  readonly dims: readonly number[];
  private cpu?: SyTensor;
  private resident?: GpuResidentTensor;
  private foreign?: { buffer: GPUBuffer; download?(): Promise<TypedArray>; dispose?(): void };
  private disposed = false;

  constructor(type: string, data: Data, dims?: readonly number[]);
  constructor(data: TypedArray, dims?: readonly number[]);
  constructor(a: string | TypedArray, b?: Data | readonly number[], c?: readonly number[]) {
    if (typeof a === 'string') {
      if (a === 'string') throw new TypeError("string tensors are not supported by Switchyard (type 'string')");
      if (!isDType(a)) throw new TypeError(`unknown tensor type '${a}'`);
      this.cpu = new SyTensor(a, b as Data, c);
    } else if (a === undefined) {
      // internal: filled by a static factory
      this.type = 'float32';
      this.dims = [];
      return;
    } else {
      this.cpu = new SyTensor(a, b as readonly number[] | undefined);
    }
    this.type = this.cpu.type;
    this.dims = this.cpu.dims;
  }

  /** @internal A session output (CPU or GPU-resident). */
  static fromSwitchyard(t: SyTensor): Tensor {
    const o = new Tensor(undefined as unknown as TypedArray);
    Object.assign(o, { type: t.type, dims: [...t.dims] });
    if (t instanceof GpuResidentTensor) o.resident = t;
    else o.cpu = t;
    return o;
  }

  /** A tensor over a GPUBuffer the app owns (ORT's Tensor.fromGpuBuffer). */
  static fromGpuBuffer(buffer: GPUBuffer, p: GpuBufferConstructorParameters): Tensor {
    if (!isDType(p.dataType)) throw new TypeError(`unknown tensor type '${p.dataType}'`);
    const o = new Tensor(undefined as unknown as TypedArray);
    Object.assign(o, { type: p.dataType, dims: [...p.dims] });
    o.foreign = { buffer, download: p.download, dispose: p.dispose };
    return o;
  }

  get size(): number {
    return this.dims.reduce((x, d) => x * d, 1);
  }

  get location(): DataLocation {
    if (this.disposed) return 'none';
    return this.cpu ? 'cpu' : 'gpu-buffer';
  }

  get data(): TypedArray {
    this.live();
    if (!this.cpu)
      throw new Error(`tensor ${this.type}[${this.dims.join(',')}] is in a GPU buffer: use await tensor.getData()`);
    return this.cpu.data;
  }

  get gpuBuffer(): GPUBuffer {
    this.live();
    const b = this.foreign?.buffer ?? this.resident?.gpuBuffer;
    if (!b) throw new Error("the tensor's data is not in a GPU buffer (location is 'cpu')");
    return b;
  }

  /** The data on the CPU (downloaded from the GPU when it is there). `releaseData` then frees the GPU copy. */
  async getData(releaseData = false): Promise<TypedArray> {
    this.live();
    if (!this.cpu) this.cpu = await this.download();
    const data = this.cpu.data;
    if (releaseData) this.dropGpu();
    return data;
  }

  reshape(dims: readonly number[]): Tensor {
    if (!this.cpu) throw new Error('reshape needs the data on the CPU: await tensor.getData() first');
    return Tensor.fromSwitchyard(this.cpu.reshape([...dims]));
  }

  dispose(): void {
    this.dropGpu();
    this.cpu = undefined;
    this.disposed = true;
  }

  /** @internal What a Switchyard session is fed: the GPU tensor itself where it is one. */
  async toSwitchyard(): Promise<SyTensor> {
    this.live();
    if (this.resident) return this.resident;
    if (!this.cpu) this.cpu = await this.download();
    return this.cpu;
  }

  private async download(): Promise<SyTensor> {
    if (this.resident) {
      await this.resident.getData();
      return new SyTensor(this.type, this.resident.data, this.dims);
    }
    const f = this.foreign!;
    if (f.download) return new SyTensor(this.type, await f.download(), this.dims);
    const { webgpuDevice } = await import('./env.js');
    const device = await webgpuDevice();
    const bytes = Math.ceil((this.size * (BYTES[this.type] ?? 4)) / 4) * 4;
    const staging = device.createBuffer({ size: bytes, usage: 0x0001 | 0x0008 }); // MAP_READ | COPY_DST
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(f.buffer, 0, staging, 0, bytes);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(0x0001);
    const copy = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    const n = this.size;
    const make: Record<string, (b: ArrayBuffer) => TypedArray> = {
      float32: (x) => new Float32Array(x, 0, n),
      float16: (x) => new Uint16Array(x, 0, n),
      int32: (x) => new Int32Array(x, 0, n),
      uint32: (x) => new Uint32Array(x, 0, n),
      int64: (x) => new BigInt64Array(x, 0, n),
      uint8: (x) => new Uint8Array(x, 0, n),
      bool: (x) => new Uint8Array(x, 0, n),
      int8: (x) => new Int8Array(x, 0, n),
    };
    const m = make[this.type];
    if (!m) throw new Error(`reading a ${this.type} GPU buffer without a download callback is not supported`);
    return new SyTensor(this.type, m(copy), this.dims);
  }

  private dropGpu(): void {
    if (this.resident) {
      this.resident.dispose();
      this.resident = undefined;
    }
    if (this.foreign) {
      this.foreign.dispose?.();
      this.foreign = undefined;
    }
  }

  private live(): void {
    if (this.disposed) throw new Error('the tensor has been disposed');
  }
}
