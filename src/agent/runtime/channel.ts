// A one-consumer async queue: producers push, the consumer iterates, close() ends iteration and
// fail() ends it with an error.

export class Channel<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiting?: () => void;
  private closed = false;
  private error: unknown;

  push(v: T): void {
    if (this.closed) return;
    this.items.push(v);
    this.waiting?.();
  }
  close(): void {
    this.closed = true;
    this.waiting?.();
  }
  fail(e: unknown): void {
    this.error = e;
    this.close();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length) {
        yield this.items.shift()!;
        continue;
      }
      if (this.closed) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((r) => {
        this.waiting = r;
      });
      this.waiting = undefined;
    }
  }
}
