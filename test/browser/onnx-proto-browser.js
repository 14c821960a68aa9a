// onnx-proto for a browser without a bundler: protobufjs's minimal UMD build sets a global, and
// onnx-proto's CommonJS module is evaluated against it. Served under the package root; used by
// the Chromium benchmark page (bench/peers) through an import map.
const base = new URL('../../node_modules/', import.meta.url);
await import(new URL('protobufjs/dist/minimal/protobuf.min.js', base).href);
const src = await (await fetch(new URL('onnx-proto/dist/onnx.js', base))).text();
const module = { exports: {} };
new Function('require', 'module', 'exports', src)(() => globalThis.protobuf, module, module.exports);
export default module.exports;
