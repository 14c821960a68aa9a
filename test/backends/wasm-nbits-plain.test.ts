// MatMulNBits on WASM's integer kernels, the plain SIMD build (engines without relaxed SIMD):
// SWITCHYARD_WASM_RELAXED=0 keeps the loader off the relaxed builds. The cases: wasm-nbits-cases.ts.

process.env.SWITCHYARD_WASM_RELAXED = '0';
const { nbitsSuite } = await import('./wasm-nbits-cases.js');

nbitsSuite(false);
