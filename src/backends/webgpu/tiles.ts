// Tile and workgroup choices per adapter. A CPU-emulated adapter (SwiftShader, llvmpipe) runs a
// workgroup as a loop on one core and rewards few, fat invocations; a real GPU wants many
// threads and tiles in workgroup memory. The cost model can refine these later per adapter.

export interface TileConfig {
  /** Matmul: outputs per thread (rows × cols) and threads per workgroup (x × y), K step. */
  mm: { tm: number; tn: number; wgx: number; wgy: number; tk: number };
  /** Elements per thread in elementwise kernels. */
  perThread: number;
  /** Threads per workgroup for row reductions (softmax, norms, reduce). */
  rowWg: number;
}

export function tilesFor(adapter: { architecture: string; device: string; description: string }, limits: Record<string, number>): TileConfig {
  const text = `${adapter.architecture} ${adapter.device} ${adapter.description}`.toLowerCase();
  const maxInv = limits.maxComputeInvocationsPerWorkgroup ?? 256;
  const wgs = limits.maxComputeWorkgroupStorageSize ?? 16384;
  if (text.includes('swiftshader') || text.includes('llvmpipe')) {
    // CPU emulation: wide SIMD lanes per invocation loop; keep workgroups moderate.
    return { mm: { tm: 4, tn: 4, wgx: 8, wgy: 8, tk: 16 }, perThread: 4, rowWg: Math.min(64, maxInv) };
  }
  const tk = wgs >= 16384 ? 16 : 8;
  return { mm: { tm: 4, tn: 4, wgx: 16, wgy: 16, tk }, perThread: 1, rowWg: Math.min(256, maxInv) };
}
