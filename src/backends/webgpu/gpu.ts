// Adapter discovery: `navigator.gpu` in a browser, the `webgpu` package (Dawn) in Node, with a
// choice of backend/adapter. No adapter is a clear error that says what was tried.

export interface AdapterChoice {
  /** 'default', 'swiftshader', 'llvmpipe', 'vulkan', 'opengles', … or a word of the adapter's description. */
  adapter?: string;
  powerPreference?: GPUPowerPreference;
}

export interface FoundAdapter {
  adapter: GPUAdapter;
  /** What was asked for ('default', 'swiftshader', …). */
  label: string;
  /** 'core' or 'compatibility' (OpenGL ES adapters). */
  featureLevel: 'core' | 'compatibility';
  info: AdapterSummary;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function nodeGpu(): Promise<typeof import('./node-gpu.js')> {
  const spec = './node-gpu.js';
  return import(/* @vite-ignore */ spec);
}

export function summarize(a: GPUAdapter): AdapterSummary {
  const i = a.info;
  return {
    vendor: i?.vendor ?? '',
    architecture: i?.architecture ?? '',
    device: i?.device ?? '',
    description: i?.description ?? '',
    isFallbackAdapter: !!(i as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter,
  };
}

/** A short name for tables and errors: 'google swiftshader', 'llvmpipe …'. */
export function adapterName(s: AdapterSummary): string {
  return [s.vendor, s.architecture].filter(Boolean).join(' ') || s.device || s.description || 'unknown adapter';
}

/** Software adapters that run shaders on the CPU. */
export function isCpuAdapter(s: AdapterSummary): boolean {
  return (
    s.isFallbackAdapter ||
    /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render/i.test(
      `${s.vendor} ${s.architecture} ${s.device} ${s.description}`,
    )
  );
}

function matches(s: AdapterSummary, word: string): boolean {
  const hay = `${s.vendor} ${s.architecture} ${s.device} ${s.description}`.toLowerCase();
  return hay.includes(word);
}

const NAMED = new Set([
  'default',
  'auto',
  'swiftshader',
  'llvmpipe',
  'gles',
  'opengles',
  'vulkan',
  'metal',
  'd3d12',
  'd3d11',
  'opengl',
]);

export async function findAdapter(choice: AdapterChoice = {}): Promise<FoundAdapter> {
  const want = (choice.adapter ?? 'default').toLowerCase();
  const tried: string[] = [];
  if (isNode) {
    const ng = await nodeGpu();
    for (const spec of ng.specsFor(want, choice.powerPreference)) {
      const a = await ng.requestNodeAdapter(spec).catch(() => null);
      const level =
        (spec.request as { featureLevel?: string }).featureLevel === 'compatibility' ? 'compatibility' : 'core';
      tried.push(
        `${spec.label} (Dawn ${spec.dawn.join(' ') || 'default backend'}` +
          `${level === 'compatibility' ? ', compatibility' : ''})`,
      );
      if (!a) continue;
      const info = summarize(a);
      if (!NAMED.has(want) && !matches(info, want)) continue;
      return { adapter: a, label: spec.label, featureLevel: level, info };
    }
  } else {
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    if (!gpu)
      throw new Error(
        'WebGPU is not available in this browser (no navigator.gpu; it needs a secure context: ' +
          'https or http://127.0.0.1)',
      );
    for (const featureLevel of ['core', 'compatibility'] as const) {
      const opts: GPURequestAdapterOptions = { powerPreference: choice.powerPreference };
      if (featureLevel === 'compatibility') (opts as { featureLevel?: string }).featureLevel = 'compatibility';
      const a = await gpu.requestAdapter(opts);
      tried.push(`navigator.gpu (${featureLevel})`);
      if (!a) continue;
      const info = summarize(a);
      if (!NAMED.has(want) && !matches(info, want)) continue;
      if (want === 'swiftshader' && !matches(info, 'swiftshader')) continue;
      return { adapter: a, label: want, featureLevel, info };
    }
  }
  throw new Error(
    `no WebGPU adapter${want !== 'default' ? ` matching '${want}'` : ''} (tried ${tried.join(', ')}); ` +
      'run on the wasm backend instead',
  );
}

/** Every adapter this process can open, for `switchyard devices`. */
export async function listAdapters(): Promise<FoundAdapter[]> {
  const out: FoundAdapter[] = [];
  const seen = new Set<string>();
  const add = (f: FoundAdapter) => {
    const k = `${f.info.description}|${f.info.device}|${f.featureLevel}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(f);
    }
  };
  // named adapters first, so an adapter that is also the default is listed under its name
  for (const a of isNode ? ['swiftshader', 'llvmpipe', 'default'] : ['default']) {
    try {
      add(await findAdapter({ adapter: a }));
    } catch {
      /* not present */
    }
  }
  return out;
}

/** Limits as a plain object (GPUSupportedLimits has getters only). */
export function limitsOf(l: GPUSupportedLimits): Record<string, number> {
  const o: Record<string, number> = {};
  for (const k in l) {
    const v = (l as unknown as Record<string, unknown>)[k];
    if (typeof v === 'number') o[k] = v;
  }
  return o;
}
