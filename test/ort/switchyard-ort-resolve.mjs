// Resolve hook of switchyard-ort-hook.mjs: onnxruntime-node / -web / -common (and their subpaths)
// resolve to Switchyard's onnxruntime API (the compiled switchyard/ort entry).
const target = new URL('../../dist/src/ort/index.js', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (/^onnxruntime-(node|web|common)(\/.*)?$/.test(specifier)) return { url: target, shortCircuit: true };
  return next(specifier, context);
}
