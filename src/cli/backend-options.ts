// Options every command that runs a model shares beyond --backend: WASM worker threads, WebGPU
// adapter choice and precision, and progress on stderr while shaders compile.

import type { Command } from 'commander';
import type { SessionOptions } from '../runtime/session.js';

export interface DeviceFlags {
  adapter?: string;
  precision?: string;
  threads?: string;
}

export function addDeviceOptions(cmd: Command): Command {
  return cmd
    .option('--threads <n>', "WASM worker threads (the main thread counts as one); default: the machine's cores")
    .option(
      '--adapter <name>',
      'WebGPU adapter: default, swiftshader, llvmpipe, vulkan, opengles, or a word of its description ' +
        "(see 'switchyard devices')",
    )
    .option('--precision <p>', 'WebGPU kernel precision: f32, or f16 where the adapter has shader-f16', 'f32');
}

export function deviceOptions(o: DeviceFlags, quiet = false): Partial<SessionOptions> {
  const opts: Partial<SessionOptions> = {};
  if (o.threads !== undefined) {
    const n = Number(o.threads);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--threads must be a positive integer, got '${o.threads}'`);
    opts.threads = n;
  }
  if (o.adapter) opts.adapter = o.adapter;
  if (o.precision && o.precision !== 'f32') {
    if (o.precision !== 'f16') throw new Error(`--precision must be f32 or f16, got '${o.precision}'`);
    opts.precision = 'f16';
  }
  if (!quiet && process.stderr.isTTY) {
    opts.onProgress = (done: number, total: number, what: string) => {
      // shader compiles show from 8 pipelines up; calibration (backend auto, first use) always
      if (total < 8 && !what.startsWith('calibrating')) return;
      process.stderr.write(`\r\x1b[K${what}: ${done}/${total}${done === total ? '\n' : ''}`);
    };
  }
  return opts;
}
