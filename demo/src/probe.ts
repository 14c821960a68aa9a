// What this page can reach, asked of the browser directly (the engine's own view, with profiles,
// comes from the session): the WebGPU adapter and its limits, WASM SIMD and threads, and whether
// the page is cross-origin isolated, and the offload server's health and profile.

export interface GpuProbe {
  ok: boolean;
  reason?: string;
  info?: Record<string, string>;
  features?: string[];
  limits?: Record<string, number>;
  fallbackAdapter?: boolean;
}

export interface WasmProbe {
  simd: boolean;
  isolated: boolean;
  sharedMemory: boolean;
  cores: number;
  /** Threads the WASM device can use here, and why not more. */
  threads: number;
  note?: string;
}

export interface RemoteProbe {
  url: string;
  ok: boolean;
  reason?: string;
  health?: unknown;
  info?: unknown;
  latencyMs?: number;
}

const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
];

interface GpuAdapterLike {
  info?: Record<string, unknown>;
  features: Set<string> | Iterable<string>;
  limits: Record<string, number>;
  isFallbackAdapter?: boolean;
}

export async function probeGpu(): Promise<GpuProbe> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(o?: object): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) {
    return {
      ok: false,
      reason: window.isSecureContext
        ? 'this browser has no WebGPU (navigator.gpu is missing)'
        : 'WebGPU needs a secure context (https or localhost)',
    };
  }
  try {
    const a = await gpu.requestAdapter();
    if (!a) return { ok: false, reason: 'navigator.gpu.requestAdapter() found no adapter' };
    const info: Record<string, string> = {};
    for (const k of ['vendor', 'architecture', 'device', 'description']) {
      const v = a.info?.[k];
      if (typeof v === 'string' && v) info[k] = v;
    }
    const limits: Record<string, number> = {};
    for (const k of LIMITS) if (typeof a.limits[k] === 'number') limits[k] = a.limits[k]!;
    return {
      ok: true,
      info,
      features: [...a.features].sort(),
      limits,
      fallbackAdapter:
        !!(a.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter || !!a.isFallbackAdapter,
    };
  } catch (e) {
    return { ok: false, reason: `requestAdapter failed: ${(e as Error).message}` };
  }
}

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)) — the wasm-feature-detect SIMD probe
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function probeWasm(): WasmProbe {
  const simd = typeof WebAssembly !== 'undefined' && WebAssembly.validate(SIMD_PROBE);
  const isolated = globalThis.crossOriginIsolated === true;
  const sharedMemory = typeof SharedArrayBuffer !== 'undefined';
  const cores = navigator.hardwareConcurrency || 1;
  const threads = isolated && sharedMemory ? cores : 1;
  const note = !isolated
    ? 'the page is not cross-origin isolated (COOP/COEP headers missing): SharedArrayBuffer is off, ' +
      'so WASM runs on one thread'
    : !simd
      ? 'this engine lacks WASM SIMD'
      : undefined;
  return { simd, isolated, sharedMemory, cores, threads, note };
}

export async function probeRemote(url: string, token?: string): Promise<RemoteProbe> {
  const base = url.replace(/\/+$/, '');
  const t0 = performance.now();
  try {
    const res = await fetch(`${base}/v1/health`, { signal: AbortSignal.timeout(3000) });
    const latencyMs = performance.now() - t0;
    if (!res.ok) return { url: base, ok: false, reason: `GET /v1/health: HTTP ${res.status}`, latencyMs };
    const health = await res.json().catch(() => undefined);
    let info: unknown;
    let reason: string | undefined;
    const r2 = await fetch(`${base}/v1/info`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(3000),
    }).catch((e: Error) => e);
    if (r2 instanceof Error) reason = `GET /v1/info: ${r2.message}`;
    else if (r2.status === 401) reason = 'the server wants a token (401 on /v1/info)';
    else if (!r2.ok) reason = `GET /v1/info: HTTP ${r2.status}`;
    else info = await r2.json().catch(() => undefined);
    return { url: base, ok: !reason, reason, health, info, latencyMs };
  } catch (e) {
    const m = (e as Error).name === 'TimeoutError' ? 'no answer within 3 s' : (e as Error).message;
    return {
      url: base,
      ok: false,
      reason:
        `cannot reach ${base}: ${m} (is \`switchyard serve\` running, ` +
        `and does its CORS allow-list include ${location.origin}?)`,
    };
  }
}
