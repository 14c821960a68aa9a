// Paths tests use, resolved from the compiled file's location (dist/test/helpers/).

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The shared ONNX conformance data: $SWITCHYARD_CONFORMANCE, else shared/conformance/onnx-node in
 * the nearest folder above the repo that has one (the repo may be cloned at any depth).
 */
function findConformance(suite: string): string {
  if (process.env.SWITCHYARD_CONFORMANCE) return resolve(process.env.SWITCHYARD_CONFORMANCE, '..', suite);
  const candidates: string[] = [];
  for (let d = REPO; ; d = dirname(d)) {
    candidates.push(resolve(d, 'shared/conformance', suite));
    if (dirname(d) === d) break;
  }
  // the workplace keeps shared/ at /work/shared; a clone elsewhere (CI, /tmp) still finds it
  candidates.push(`/work/shared/conformance/${suite}`);
  return candidates.find((c) => existsSync(c)) ?? resolve(REPO, '../shared/conformance', suite);
}
export const CONFORMANCE_DIR = findConformance('onnx-node');
/** The rest of the ONNX node suite (control flow, sequences, low-precision types, losses, ...). */
export const CONFORMANCE_EXT_DIR = findConformance('onnx-node-ext');

/** `suite`: 'core' (onnx-node, the 86-operator selection) or 'ext' (onnx-node-ext). */
export function requireConformance(suite: 'core' | 'ext' = 'core'): string {
  const dir = suite === 'ext' ? CONFORMANCE_EXT_DIR : CONFORMANCE_DIR;
  if (!existsSync(dir)) {
    throw new Error(`conformance data not found at ${dir}; set SWITCHYARD_CONFORMANCE to the onnx-node folder`);
  }
  return dir;
}

export const CLI = resolve(REPO, 'bin/switchyard.js');
