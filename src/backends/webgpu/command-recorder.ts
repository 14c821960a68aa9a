// Recording a run's dispatches: one command encoder per stretch of GPU work, one compute pass
// holding many dispatches (one pass per dispatch while profiling, so timestamps time one kernel),
// submitted when the run ends or a host input has to be read back first.

import type { GpuCounters } from './counters.js';
import type { Dispatch } from './kernel.js';
import type { Gpu } from './open-device.js';

export class CommandRecorder {
  private encoder?: GPUCommandEncoder;
  private pass?: GPUComputePassEncoder;

  constructor(
    private readonly g: Gpu,
    private readonly counters: GpuCounters,
  ) {}

  /** Submit what is recorded so far; buffers released while recording go back to the pool. */
  flush(): void {
    const encoder = this.encoder;
    if (!encoder) return;
    this.pass?.end();
    const timed = this.g.timer?.resolveInto(encoder);
    this.g.device.queue.submit([encoder.finish()]);
    timed?.();
    this.counters.submits++;
    this.encoder = undefined;
    this.pass = undefined;
    this.g.pool.flushPending();
  }

  dispatch(d: Dispatch, pipe: GPUComputePipeline, bind: GPUBindGroup): void {
    if (!this.encoder) {
      this.encoder = this.g.device.createCommandEncoder();
      this.pass = undefined;
    }
    const timedPass = this.g.timer?.passFor(d.label);
    if (timedPass) this.pass?.end();
    if (!this.pass || timedPass) {
      this.pass = this.encoder.beginComputePass(timedPass);
      this.counters.computePasses++;
    }
    this.pass.setPipeline(pipe);
    this.pass.setBindGroup(0, bind);
    this.pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
    this.counters.dispatches++;
  }

  /** A failed run: end the open pass (its encoder is never submitted). */
  abandon(): void {
    try {
      if (this.encoder) this.pass?.end();
    } catch {
      /* abandoned */
    }
    this.g.pool.flushPending();
  }
}
