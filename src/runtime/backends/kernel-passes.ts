// The kernel-level form devices with compiled kernels take (nn.* lowered to k.*, elementwise chains
// and matmul epilogues fused); the session runs it after its own pipeline (a no-op when done).
import { DEFAULT_PIPELINE, KERNEL_PIPELINE, WEBGPU_KERNEL_PIPELINE } from '../../passes/index.js';

export const KERNEL_PASSES: readonly string[] = KERNEL_PIPELINE.slice(DEFAULT_PIPELINE.length);

/** The WebGPU backend's form: the same, with attention fusion and free transposes before lowering. */
export const WEBGPU_KERNEL_PASSES: readonly string[] = WEBGPU_KERNEL_PIPELINE.slice(DEFAULT_PIPELINE.length);
