// Giving the event loop a turn in the middle of long synchronous work (a WASM unit computing on
// the main thread, the JavaScript interpreter): other devices' completions, transfers and timers
// run, then the work goes on. setImmediate in Node; a MessageChannel message in a browser
// (setTimeout(0) would be clamped to 1-4 ms).

let channel: MessageChannel | undefined;
const waiting: (() => void)[] = [];

export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  if (g.setImmediate)
    return new Promise((r) => {
      g.setImmediate!(r);
    });
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  return new Promise((r) => {
    waiting.push(r);
    channel!.port2.postMessage(0);
  });
}

/** Yields when `everyMs` has passed since `since` (performance.now()); returns the new mark. */
export async function yieldIfDue(everyMs: number | undefined, since: number): Promise<number> {
  if (everyMs === undefined) return since;
  const now = performance.now();
  if (now - since < everyMs) return since;
  await yieldToEventLoop();
  return performance.now();
}
