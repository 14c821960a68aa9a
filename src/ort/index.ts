// switchyard/ort: onnxruntime-web's JavaScript API (InferenceSession, Tensor, env) over
// Switchyard, so an app written for onnxruntime-web ports by changing its import.

import '../index.js';
import { env } from './env.js';
import { InferenceSession } from './session.js';
import { Tensor } from './tensor.js';

export { env, InferenceSession, Tensor };
export type { SessionCreateOptions, ExecutionProvider, ValueMetadata, OutputLocation } from './session.js';
export type { DataLocation, GpuBufferConstructorParameters } from './tensor.js';

export default { env, InferenceSession, Tensor };
