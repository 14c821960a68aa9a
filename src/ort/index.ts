// switchyard/ort: onnxruntime-web's JavaScript API (InferenceSession, Tensor, env) over
// Switchyard, so an app written for onnxruntime-web ports by changing its import.

import '../index.js';
import { env } from './env.js';
import { InferenceSession } from './session.js';
import { Tensor } from './tensor.js';

export type { ExecutionProvider, OutputLocation, SessionCreateOptions, ValueMetadata } from './session.js';
export type { DataLocation, GpuBufferConstructorParameters } from './tensor.js';
export { env, InferenceSession, Tensor };

export default { env, InferenceSession, Tensor };
