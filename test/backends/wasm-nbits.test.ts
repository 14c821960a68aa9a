// MatMulNBits on WASM's integer kernels (wasm/contrib-quant-nbits.ts), the relaxed-SIMD build: Node 20
// switches relaxed SIMD on for it (its i8 × i7 dots are exact on every engine), Node 22 and Chrome
// have it by default. The cases: wasm-nbits-cases.ts.

import { nbitsSuite } from './wasm-nbits-cases.js';

nbitsSuite(true);
