// The `switchyard` command line. Errors print one line naming the problem and exit non-zero;
// SWITCHYARD_DEBUG=1 shows the stack.

import { Command } from 'commander';
import '../index.js';
import { registerAgent } from './commands/agent.js';
import { registerBench } from './commands/bench.js';
import { registerCalibrate } from './commands/calibrate.js';
import { registerCompile } from './commands/compile.js';
import { registerConformance } from './commands/conformance.js';
import { registerDevices } from './commands/devices.js';
import { registerFleet } from './commands/fleet.js';
import { registerInspect } from './commands/inspect.js';
import { registerPlan } from './commands/plan.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';

const program = new Command('switchyard')
  .description(
    'Compile and run ONNX models, TypeScript-built graphs and agent graphs across WebGPU, WASM and remote devices.',
  )
  .version('0.1.0')
  .showHelpAfterError();

registerRun(program);
registerAgent(program);
registerInspect(program);
registerCompile(program);
registerConformance(program);
registerBench(program);
registerDevices(program);
registerPlan(program);
registerFleet(program);
registerCalibrate(program);
registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as Error;
  console.error(`switchyard: error: ${err.message}`);
  if (process.env.SWITCHYARD_DEBUG) console.error(err.stack);
  process.exitCode = 1;
}
