// switchyard devices [--json]: the WebGPU adapters this process can open (a real GPU, SwiftShader,
// Mesa llvmpipe), with their features and limits, and the CPU.

import { availableParallelism, cpus } from 'node:os';
import type { Command } from 'commander';
import { adapterName, limitsOf, listAdapters } from '../../backends/webgpu/gpu.js';

const KEY_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
];

export function registerDevices(program: Command): void {
  program
    .command('devices')
    .description('list the WebGPU adapters (with features and limits) and the CPU this machine offers')
    .option('--json', 'print one JSON object')
    .option('--all-limits', 'print every limit, not only those the kernels use')
    .action(async (o: { json?: boolean; allLimits?: boolean }) => {
      const found = await listAdapters();
      const adapters = found.map((f) => ({
        choice: f.label,
        name: adapterName(f.info),
        ...f.info,
        featureLevel: f.featureLevel,
        features: [...f.adapter.features].sort(),
        limits: limitsOf(f.adapter.limits),
      }));
      const cpu = { model: cpus()[0]?.model ?? 'unknown', threads: availableParallelism() };
      if (o.json) {
        console.log(JSON.stringify({ webgpu: adapters, cpu }));
        return;
      }
      if (!adapters.length)
        console.log(
          'webgpu: no adapter (install the webgpu package, and chromium or mesa-vulkan-drivers for ' +
            'CPU-emulated adapters: npm run setup)',
        );
      for (const a of adapters) {
        console.log(
          `webgpu  --adapter ${a.choice}: ${a.name} ` +
            `(${a.description || a.device}${a.isFallbackAdapter ? ', fallback adapter' : ''}, ${a.featureLevel})`,
        );
        console.log(`  features: ${a.features.join(', ') || '(none)'}`);
        const keys = o.allLimits ? Object.keys(a.limits) : KEY_LIMITS;
        for (const k of keys)
          if (a.limits[k] !== undefined) console.log(`  ${k}: ${a.limits[k]!.toLocaleString('en-US')}`);
        const f16 = a.features.includes('shader-f16');
        console.log(`  shader-f16: ${f16 ? 'yes (--precision f16 runs f16 kernels)' : 'no (f16 models run in f32)'}`);
      }
      console.log(`cpu     ${cpu.model}, ${cpu.threads} threads`);
    });
}
