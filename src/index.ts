// Public API of Switchyard.

import './ops/index.js';
import './backends/reference/interpreter.js';
import './backends/wasm/index.js';
import './runtime/auto-backend.js';

export { Tensor } from './ir/tensor.js';
export type { TensorLocation } from './ir/tensor.js';
export type { DType, TypedArray } from './ir/dtype.js';
export { Graph, Node, Value } from './ir/graph.js';
export type { TensorType } from './ir/graph.js';
export { GraphBuilder } from './ir/builder.js';
export { printGraph } from './ir/printer.js';
export { parseGraph } from './ir/parser.js';
export { verifyGraph } from './ir/verifier.js';
export { registeredOps, lookupOp } from './ir/op-def.js';
export type { OpDef } from './ir/op-def.js';
export { importOnnx, MAX_OPSET } from './frontend/onnx/import.js';
export { readTensorFile, writeTensorFile } from './frontend/onnx/tensor-proto.js';
export { exportOnnx } from './frontend/onnx/export.js';
export { runPipeline, PASSES, DEFAULT_PIPELINE, KERNEL_PIPELINE } from './passes/index.js';
export { Session, loadGraph } from './runtime/session.js';
export type { SessionOptions, ModelSource } from './runtime/session.js';
export { registerBackend, backendNames } from './backends/backend.js';
export type { Backend, PreparedModel, BackendOptions } from './backends/backend.js';
export type { Device, DeviceTensor, Unit, CompiledUnit, DeviceKind } from './backends/device.js';
export { DeviceError } from './backends/device.js';
export { ReferenceDevice } from './backends/reference/device.js';
export { registerDeviceProvider, discoverDevices } from './runtime/devices.js';
export type { DeviceSpec, DeviceEntry, DeviceProvider } from './runtime/devices.js';
export { TraceRecorder } from './runtime/trace.js';
export type { RunReport } from './runtime/executor.js';
export type { AutoOptions, HeteroPrepared } from './runtime/auto-backend.js';
export * from './agent/index.js';
