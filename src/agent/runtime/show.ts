// Text of a value, as templates and reports show it: strings as they are, tensors and vectors by
// their shape, retrieved hits as a numbered list, objects with a `text` field by that text.

import { Tensor } from '../../ir/tensor.js';

export function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof Tensor) return `<${v.type}[${v.dims.join(',')}]>`;
  if (v instanceof Float32Array) return `<float32[${v.length}]>`;
  if (Array.isArray(v) && v.every((h) => h && typeof h === 'object' && 'text' in h && 'score' in h)) {
    return (v as { text: string }[]).map((h, i) => `[${i + 1}] ${h.text}`).join('\n');
  }
  if (typeof v === 'object' && 'text' in v && typeof (v as { text: unknown }).text === 'string')
    return (v as { text: string }).text;
  return JSON.stringify(v);
}
