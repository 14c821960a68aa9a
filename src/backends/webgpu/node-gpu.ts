// Node only (loaded with a dynamic import): WebGPU through the `webgpu` npm package (Dawn). An
// adapter choice names a Dawn backend and, for the CPU-emulated adapters that work on a machine
// without a GPU, the environment they need (see shared/webgpu-headless.md).

import { existsSync } from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface NodeAdapterSpec {
  /** Dawn instance options, e.g. ['backend=vulkan']. */
  dawn: string[];
  request: GPURequestAdapterOptions;
  /** Environment set before the Dawn instance is created (only where the caller left it unset). */
  env: Record<string, string>;
  label: string;
}

type DawnModule = { create(options: string[]): GPU; globals: Record<string, unknown> };
let dawn: DawnModule | undefined;
const instances = new Map<string, GPU>();

async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  const spec = 'webgpu'; // a variable keeps bundlers from following it
  try {
    dawn = (await import(/* @vite-ignore */ spec)) as DawnModule;
  } catch (e) {
    throw new Error(`WebGPU in Node needs the 'webgpu' package (Dawn): npm install webgpu (${(e as Error).message})`);
  }
  // GPUBufferUsage, GPUMapMode, GPUShaderStage… as in a browser
  for (const [k, v] of Object.entries(dawn.globals))
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  return dawn;
}

/** A GPU device node, or a Vulkan ICD chosen by the user. */
function mayHaveGpu(): boolean {
  return (
    !!process.env.VK_ICD_FILENAMES ||
    existsSync('/dev/dri') ||
    existsSync('/dev/nvidia0') ||
    process.platform !== 'linux'
  );
}

/** Specs to try for an adapter choice, in order. */
export function specsFor(choice: string | undefined, power?: GPUPowerPreference): NodeAdapterSpec[] {
  const req = (o: GPURequestAdapterOptions = {}): GPURequestAdapterOptions =>
    power ? { ...o, powerPreference: power } : o;
  const swiftshader: NodeAdapterSpec = {
    dawn: ['backend=vulkan'],
    request: req(),
    env: existsSync(SWIFTSHADER_ICD) ? { VK_ICD_FILENAMES: SWIFTSHADER_ICD } : {},
    label: 'swiftshader',
  };
  const llvmpipe: NodeAdapterSpec = {
    dawn: ['backend=opengles'],
    request: req({ featureLevel: 'compatibility' } as GPURequestAdapterOptions),
    env: { EGL_PLATFORM: 'surfaceless' },
    label: 'llvmpipe',
  };
  const c = (choice ?? 'default').toLowerCase();
  switch (c) {
    case 'default':
    case 'auto':
      // a real GPU first (skipped where the machine shows none, which spares Dawn's warnings
      // about Mesa's too-old lavapipe); then the CPU-emulated adapters of a GPU-less machine
      return [
        ...(mayHaveGpu() ? [{ dawn: [], request: req(), env: {}, label: 'default' }] : []),
        swiftshader,
        llvmpipe,
      ];
    case 'swiftshader':
      return [swiftshader];
    case 'llvmpipe':
    case 'gles':
    case 'opengles':
      return [{ ...llvmpipe, label: c }];
    case 'vulkan':
    case 'metal':
    case 'd3d12':
    case 'd3d11':
    case 'opengl':
      return [{ dawn: [`backend=${c}`], request: req(), env: {}, label: c }];
    default:
      // anything else names an adapter by a word of its description (e.g. 'nvidia'): search all
      return [{ dawn: [], request: req(), env: {}, label: c }, swiftshader, llvmpipe];
  }
}

export async function requestNodeAdapter(spec: NodeAdapterSpec): Promise<GPUAdapter | null> {
  const mod = await loadDawn();
  for (const [k, v] of Object.entries(spec.env)) if (!process.env[k]) process.env[k] = v;
  const key = JSON.stringify(spec.dawn);
  let gpu = instances.get(key + JSON.stringify(spec.env));
  if (!gpu) {
    gpu = mod.create(spec.dawn);
    instances.set(key + JSON.stringify(spec.env), gpu);
  }
  return gpu.requestAdapter(spec.request);
}
