// switchyard calibrate [device]: run a device's micro-benchmarks (matmul GFLOP/s, copy bandwidth,
// dispatch and unit overhead, upload/readback) with a progress bar and cache the measured profile,
// which `switchyard plan` and backend 'auto' then use instead of the default guess.
// Devices: cpu, wasm (--threads), webgpu or webgpu:<adapter> (swiftshader, llvmpipe, …).

import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { WasmDevice } from '../../backends/wasm/device.js';
import { ProfileCache } from '../../cost/calibrate/cache.js';
import {
  type Calibrator,
  calibrate,
  calibratorIds,
  getCalibrator,
  type Measurements,
} from '../../cost/calibrate/calibrator.js';
import { JsCpuCalibrator } from '../../cost/calibrate/js-cpu.js';
import type { DeviceProfile } from '../../cost/profile.js';
import { table } from '../table.js';

const n = (x: number | undefined, digits = 2) => (x === undefined ? '-' : x.toFixed(digits));

/** The measurements and what the planner will use from them, one row each. */
export function calibrationRows(m: Measurements, p: DeviceProfile): string[][] {
  const rows: string[][] = [];
  for (const [d, v] of Object.entries(m.matmulGflops ?? {})) rows.push([`matmul ${d} (sustained)`, `${n(v)} GFLOP/s`]);
  // the compute curve as the planner uses it (dispatch cost taken out): small kernels' share of peak
  const top = Math.max(0, ...(p.computeCurve ?? []).map((c) => c.flopsPerSec));
  for (const c of p.computeCurve ?? []) {
    rows.push([
      `matmul f32, ${c.flops >= 1e9 ? `${n(c.flops / 1e9, 1)} GFLOP` : `${n(c.flops / 1e6, 0)} MFLOP`} kernels`,
      `${n(c.flopsPerSec / 1e9)} GFLOP/s (${Math.round((100 * c.flopsPerSec) / top)}% of the largest)`,
    ]);
  }
  rows.push(['copy bandwidth', `${n(m.copyGBs)} GB/s`]);
  rows.push(['dispatch overhead (per kernel)', `${n(m.dispatchUs, 1)} us`]);
  if (m.unitUs !== undefined) rows.push(['unit overhead (submit + wait)', `${n(m.unitUs, 1)} us`]);
  if (m.uploadGBs !== undefined) rows.push(['upload', `${n(m.uploadGBs)} GB/s, ${n(m.uploadLatencyUs, 1)} us latency`]);
  if (m.readbackGBs !== undefined)
    rows.push(['readback', `${n(m.readbackGBs)} GB/s, ${n(m.readbackLatencyUs, 1)} us latency`]);
  if (p.computesOn) rows.push(['computes on', p.computesOn]);
  return rows;
}

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('measure a device with micro-benchmarks and cache its profile for planning')
    .argument(
      '[device]',
      `device to calibrate: cpu, wasm, webgpu or webgpu:<adapter> (calibrators: ` +
        `${['cpu', 'wasm', 'webgpu'].join(', ')})`,
      'cpu',
    )
    .option('--quick', 'smaller benchmarks (seconds instead of tens of seconds)')
    .option('--threads <n>', "wasm: worker threads (the main thread counts as one); default: the machine's cores")
    .option('--json', 'print the profile as JSON')
    .option('--no-cache', 'measure without writing the cache')
    .action(async (device: string, o: { quick?: boolean; json?: boolean; cache?: boolean; threads?: string }) => {
      void calibratorIds;
      let owned: WasmDevice | undefined;
      let c: Calibrator;
      if (device === 'cpu') c = new JsCpuCalibrator({ quick: o.quick });
      else if (device.split(':')[0] === 'wasm' && o.threads !== undefined) {
        const threads = Number(o.threads);
        if (!Number.isInteger(threads) || threads < 1)
          throw new Error(`--threads must be a positive integer, got '${o.threads}'`);
        owned = await WasmDevice.create({ threads, id: device, onWarning: () => {} });
        c = getCalibrator(device, { quick: o.quick, device: owned });
      } else c = getCalibrator(device, { quick: o.quick });
      const bar =
        o.json || !process.stderr.isTTY
          ? undefined
          : new cliProgress.SingleBar(
              {
                format: `calibrating ${c.device} [{bar}] {value}/{total} {step}`,
                stream: process.stderr,
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            );
      let started = false;
      const plain = !o.json && !bar;
      try {
        const { profile, measurements } = await calibrate(c, (done, total, step) => {
          if (plain) {
            process.stderr.write(`calibrating ${c.device}: ${done}/${total} ${step}\n`);
            return;
          }
          if (!bar) return;
          if (!started || done === 0) {
            bar.start(total, done, { step });
            started = true;
          } else bar.update(done, { step });
        });
        bar?.stop();
        if (o.cache !== false) new ProfileCache().put(c.device, profile, c.config);
        if (o.json) {
          console.log(JSON.stringify({ profile, measurements, config: c.config }));
          return;
        }
        console.log(table(['measure', 'value'], calibrationRows(measurements, profile), ['l', 'r']));
        for (const note of profile.notes ?? []) console.log(`note: ${note}`);
        if (o.cache !== false)
          console.log(
            `\nprofile cached as '${c.device}'${c.config ? ` (${c.config})` : ''} in ${new ProfileCache().path}`,
          );
      } finally {
        bar?.stop();
        await owned?.dispose();
      }
    });
}
