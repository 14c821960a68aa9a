// Paths tests use, resolved from the compiled file's location (dist/test/helpers/).

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The shared ONNX conformance data: $SWITCHYARD_CONFORMANCE, else shared/conformance/onnx-node in
 * the nearest folder above the repo that has one (the repo may be cloned at any depth).
 */
function findConformance(): string {
  if (process.env.SWITCHYARD_CONFORMANCE) return process.env.SWITCHYARD_CONFORMANCE;
  const candidates: string[] = [];
  for (let d = REPO; ; d = dirname(d)) {
    candidates.push(resolve(d, 'shared/conformance/onnx-node'));
    if (dirname(d) === d) break;
  }
  // the workplace keeps shared/ at /work/shared; a clone elsewhere (CI, /tmp) still finds it
  candidates.push('/work/shared/conformance/onnx-node');
  return candidates.find((c) => existsSync(c)) ?? resolve(REPO, '../shared/conformance/onnx-node');
}
export const CONFORMANCE_DIR = findConformance();

export function requireConformance(): string {
  if (!existsSync(CONFORMANCE_DIR)) {
    throw new Error(`conformance data not found at ${CONFORMANCE_DIR}; set SWITCHYARD_CONFORMANCE to the onnx-node folder`);
  }
  return CONFORMANCE_DIR;
}

export const CLI = resolve(REPO, 'bin/switchyard.js');
