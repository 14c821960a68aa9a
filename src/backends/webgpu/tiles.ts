// Tile and workgroup choices per adapter. A CPU-emulated adapter (SwiftShader, llvmpipe) runs a
// workgroup as a loop on one core and rewards few, fat invocations; a real GPU wants many
// threads and tiles in workgroup memory. The cost model can refine these later per adapter.

export interface TileConfig {
  /** Matmul: outputs per thread (rows × cols) and threads per workgroup (x × y), K step. */
  mm: {
    tm: number;
    tn: number;
    wgx: number;
    wgy: number;
    tk: number /** no workgroup memory (CPU emulation) */;
    direct: boolean;
  };
  /** Elements per thread in elementwise kernels. */
  perThread: number;
  /** Threads per workgroup for row reductions (softmax, norms, reduce). */
  rowWg: number;
}

export function tilesFor(
  adapter: { architecture: string; device: string; description: string },
  limits: Record<string, number>,
): TileConfig {
  const text = `${adapter.architecture} ${adapter.device} ${adapter.description}`.toLowerCase();
  const maxInv = limits.maxComputeInvocationsPerWorkgroup ?? 256;
  const wgs = limits.maxComputeWorkgroupStorageSize ?? 16384;
  if (text.includes('swiftshader') || text.includes('llvmpipe')) {
    // CPU emulation: wide SIMD lanes per invocation loop; keep workgroups moderate.
    // measured on matmul-1024 (bench/peers): 8×8 outputs per thread, 8×8 threads, no workgroup
    // memory: SwiftShader 0.63 s vs 5.4 s for the tiled shared-memory kernel; llvmpipe 0.12 s
    return { mm: { tm: 8, tn: 8, wgx: 8, wgy: 8, tk: 16, direct: true }, perThread: 4, rowWg: Math.min(64, maxInv) };
  }
  const tk = wgs >= 16384 ? 16 : 8;
  return { mm: { tm: 4, tn: 4, wgx: 16, wgy: 16, tk, direct: false }, perThread: 1, rowWg: Math.min(256, maxInv) };
}
