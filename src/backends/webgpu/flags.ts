// WebGPU flag values from the specification, so the code does not depend on the GPUBufferUsage /
// GPUMapMode / GPUShaderStage globals (absent in Node until Dawn installs them).
export const BUFFER = { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;
export const MAP_READ = 1;
export const STAGE_COMPUTE = 4;
