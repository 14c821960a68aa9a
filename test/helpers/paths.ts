// Paths tests use, resolved from the compiled file's location (dist/test/helpers/).

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shared ONNX conformance data (../shared/conformance/onnx-node beside the repo). */
export const CONFORMANCE_DIR = process.env.SWITCHYARD_CONFORMANCE ?? resolve(REPO, '../shared/conformance/onnx-node');

export function requireConformance(): string {
  if (!existsSync(CONFORMANCE_DIR)) {
    throw new Error(`conformance data not found at ${CONFORMANCE_DIR}; set SWITCHYARD_CONFORMANCE to the onnx-node folder`);
  }
  return CONFORMANCE_DIR;
}

export const CLI = resolve(REPO, 'bin/switchyard.js');
