// One colour per device, by kind, so the plan graph, the timeline and the device cards agree.

const KIND: Record<string, string[]> = {
  reference: ['#64748b'],
  wasm: ['#7c3aed', '#a855f7'],
  webgpu: ['#059669', '#10b981'],
  remote: ['#ea580c', '#f59e0b', '#dc2626'],
};

const assigned = new Map<string, string>();

export function deviceColor(id: string, kind?: string): string {
  let c = assigned.get(id);
  if (c) return c;
  const k = kind ?? (id === 'cpu' ? 'reference' : id.split(':')[0]!);
  const palette = KIND[k] ?? ['#2563eb', '#0891b2', '#be185d'];
  const used = [...assigned.values()];
  c = palette.find((p) => !used.includes(p)) ?? palette[0]!;
  assigned.set(id, c);
  return c;
}

export const KIND_LABEL: Record<string, string> = {
  reference: 'JavaScript (host)',
  wasm: 'WASM SIMD',
  webgpu: 'WebGPU',
  remote: 'Remote',
};
