// switchyard calibrate [device]: run a device's micro-benchmarks (matmul GFLOP/s, copy
// bandwidth, dispatch overhead) with a progress bar and cache the measured profile, which
// `switchyard plan` then uses instead of the catalog default.

import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ProfileCache } from '../../cost/calibrate/cache.js';
import { calibrate, calibratorIds, getCalibrator } from '../../cost/calibrate/calibrator.js';
import { JsCpuCalibrator } from '../../cost/calibrate/js-cpu.js';
import { table } from '../table.js';

export function registerCalibrate(program: Command): void {
  program.command('calibrate')
    .description('measure a device with micro-benchmarks and cache its profile for planning')
    .argument('[device]', 'device to calibrate', 'cpu')
    .option('--quick', 'smaller benchmarks (seconds instead of tens of seconds)')
    .option('--json', 'print the profile as JSON')
    .option('--no-cache', 'measure without writing the cache')
    .action(async (device: string, o: { quick?: boolean; json?: boolean; cache?: boolean }) => {
      const c = device === 'cpu' ? new JsCpuCalibrator({ quick: o.quick }) : getCalibrator(device);
      void calibratorIds;
      const bar = o.json || !process.stderr.isTTY ? undefined : new cliProgress.SingleBar({
        format: `calibrating ${c.device} [{bar}] {value}/{total} {step}`, stream: process.stderr, hideCursor: true,
      }, cliProgress.Presets.shades_classic);
      const { profile, measurements } = await calibrate(c, (done, total, step) => {
        if (!bar) return;
        if (done === 0) bar.start(total, 0, { step });
        else bar.update(done, { step });
      });
      bar?.stop();
      if (o.cache !== false) new ProfileCache().put(c.device, profile);
      if (o.json) { console.log(JSON.stringify({ profile, measurements })); return; }
      const g = measurements.matmulGflops ?? {};
      console.log(table(['measure', 'value'], [
        ...Object.entries(g).map(([d, v]) => [`matmul ${d}`, `${v.toFixed(2)} GFLOP/s`]),
        ['copy bandwidth', `${(measurements.copyGBs ?? 0).toFixed(2)} GB/s`],
        ['dispatch overhead', `${(measurements.dispatchUs ?? 0).toFixed(3)} us`],
      ], ['l', 'r']));
      if (o.cache !== false) console.log(`\nprofile cached as '${c.device}' in ${new ProfileCache().path}`);
    });
}
