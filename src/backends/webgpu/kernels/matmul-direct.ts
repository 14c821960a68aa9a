// The unrolled TM×TN block of the direct matmul (shaders/matmul-direct.wgsl, for CPU-emulated
// adapters): accumulators as named registers, the k-loop body and the guarded stores. The tile
// is compile-time (a key field); M and N are the uniform fields P.M and P.N.

import type { WType } from '../wgsl.js';

export function directBlock(tm: number, tn: number, acc: WType): { decl: string; kbody: string; store: string } {
  const I = [...Array(tm).keys()],
    J = [...Array(tn).keys()];
  const decl = [
    ...I.map((i) => `  let r${i} = min(row0 + ${i}u, P.M - 1u);`),
    ...J.map((j) => `  let c${j} = min(col0 + ${j}u, P.N - 1u);`),
    ...I.flatMap((i) => J.map((j) => `  var acc${i}_${j} = ${acc}(0);`)),
  ].join('\n');
  const kbody = [
    ...J.map((j) => `    let b${j} = b_at(bb, k, c${j});`),
    ...I.flatMap((i) => [
      `    let a${i} = a_at(ab, r${i}, k);`,
      ...J.map((j) => `    acc${i}_${j} = acc${i}_${j} + a${i} * b${j};`),
    ]),
  ].join('\n');
  const store = I.flatMap((i) =>
    J.map(
      (j) =>
        `  if (row0 + ${i}u < P.M && col0 + ${j}u < P.N) { y_set(batch * P.M * P.N + (row0 + ${i}u) * P.N + ` +
        `col0 + ${j}u, epilogue(acc${i}_${j}, row0 + ${i}u, col0 + ${j}u, batch)); }`,
    ),
  ).join('\n');
  return { decl, kbody, store };
}
