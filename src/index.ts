// Public API of Switchyard.

import './ops/index.js';
import './frontend/png-codec.js';
import './runtime/backends/index.js';
import './runtime/auto-backend.js';
import './runtime/remote-backend.js';
import './runtime/remote-provider.js';

export type { CompiledUnit, Device, DeviceKind, DeviceTensor, Unit } from './backends/device.js';
export { DeviceError } from './backends/device.js';
export { ReferenceDevice } from './backends/reference/device.js';
export type { WebGpuOptions } from './backends/webgpu/device.js';
export { DeviceLostError, LimitError, WebGpuDevice } from './backends/webgpu/device.js';
export { listAdapters } from './backends/webgpu/gpu.js';
export {
  disposeIdleSharedDevices,
  GpuResidentTensor,
  setSharedDeviceIdleMs,
} from './backends/webgpu/shared-device.js';
export { compareTensors, compareValues, DEFAULT_TOLERANCE } from './conformance/compare.js';
export { exportOnnx } from './frontend/onnx/export.js';
export { importOnnx, MAX_OPSET } from './frontend/onnx/import.js';
export { readTensorFile, writeTensorFile } from './frontend/onnx/tensor-proto.js';
export { GraphBuilder } from './ir/builder.js';
export type { DType, TypedArray } from './ir/dtype.js';
export type { TensorType } from './ir/graph.js';
export { Graph, Node, Value } from './ir/graph.js';
export type { OpDef } from './ir/op-def.js';
export { lookupOp, registeredOps } from './ir/op-def.js';
export { parseGraph } from './ir/parser.js';
export { printGraph } from './ir/printer.js';
export type { TensorLocation } from './ir/tensor.js';
export { Tensor } from './ir/tensor.js';
export type { RunValue } from './ir/values.js';
export { OptionalValue, TensorSequence } from './ir/values.js';
export { verifyGraph } from './ir/verifier.js';
export { DEFAULT_PIPELINE, KERNEL_PIPELINE, PASSES, runPipeline, WEBGPU_KERNEL_PIPELINE } from './passes/index.js';
export type { AutoOptions, HeteroPrepared } from './runtime/auto-backend.js';
export type { Backend, BackendOptions, PreparedModel } from './runtime/backend.js';
export { backendNames, registerBackend } from './runtime/backend.js';
export type { WebGpuBackendOptions } from './runtime/backends/webgpu.js';
export type { DeviceEntry, DeviceProvider, DeviceSpec } from './runtime/devices.js';
export { discoverDevices, registerDeviceProvider } from './runtime/devices.js';
export type { RunReport } from './runtime/executor.js';
export type { ModelSource, SessionOptions } from './runtime/session.js';
export { loadGraph, Session } from './runtime/session.js';
export { TraceRecorder } from './runtime/trace.js';

import './runtime/webgpu-provider.js';

export * from './agent/index.js';
export type { RemoteDeviceOptions, TransferStats } from './backends/remote/index.js';
export { RemoteClient, RemoteDevice, RemoteError } from './backends/remote/index.js';
export { unitOf } from './ir/unit.js';
export { singleDevicePlan } from './planner/units.js';
export * as protocol from './protocol/index.js';
export { Executor, ResidentWeights } from './runtime/executor.js';
export type { RemoteBackendOptions, RemotePrepared } from './runtime/remote-backend.js';
export type { DeviceBackendOptions, DeviceFallback, DevicePreparedModel } from './runtime/single-device.js';
export { prepareOnDevice } from './runtime/single-device.js';
