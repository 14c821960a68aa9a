// The row/column split of a generated k.map kernel among threads: each thread takes an even
// share of the rows, or of the 4-wide column vectors when there are fewer rows than threads, and
// returns early when its share is empty.

import type { Bytes } from './codegen-bytes.js';

/** Parameters read: thread id, thread count, rows and row length. */
export interface SplitParams {
  tid: number;
  nt: number;
  rows: number;
  len: number;
}

/** Locals written: this thread's rows [r0, r1) and columns [c0, c1); q and rem are scratch. */
export interface SplitLocals {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
  q: number;
  rem: number;
}

export function emitThreadSplit(c: Bytes, P: SplitParams, L: SplitLocals): void {
  const get = (l: number) => c.op(0x20).u(l);
  const set = (l: number) => c.op(0x21).u(l);
  const i32c = (v: number) => c.op(0x41).s(v);
  // start(t) = t*base + min(t, rem) for an even split of `count` items among nt
  const split = (count: () => void, t: () => void, dst: number) => {
    // q = count / nt; rem = count % nt
    count();
    get(P.nt);
    c.op(0x6e);
    set(L.q);
    count();
    get(P.nt);
    c.op(0x70);
    set(L.rem);
    t();
    get(L.q);
    c.op(0x6c);
    t();
    get(L.rem);
    t();
    get(L.rem);
    c.op(0x48);
    c.op(0x1b); // min(t, rem) via select(t, rem, t<rem)
    c.op(0x6a);
    set(dst);
  };
  const tid = () => get(P.tid);
  const tid1 = () => {
    get(P.tid);
    i32c(1);
    c.op(0x6a);
  };

  // if (rows >= nt) split rows else split vector columns
  get(P.rows);
  get(P.nt);
  c.op(0x4e);
  c.op(0x04, 0x40);
  split(() => get(P.rows), tid, L.r0);
  split(() => get(P.rows), tid1, L.r1);
  i32c(0);
  set(L.c0);
  get(P.len);
  set(L.c1);
  c.op(0x05);
  {
    i32c(0);
    set(L.r0);
    get(P.rows);
    set(L.r1);
    const vecs = () => {
      get(P.len);
      i32c(3);
      c.op(0x6a);
      i32c(2);
      c.op(0x76);
    }; // (len+3)>>2
    split(vecs, tid, L.c0);
    split(vecs, tid1, L.c1);
    get(L.c0);
    i32c(2);
    c.op(0x74);
    set(L.c0);
    // c1 = min(len, c1*4)
    get(L.c1);
    i32c(2);
    c.op(0x74);
    set(L.c1);
    get(L.c1);
    get(P.len);
    get(L.c1);
    get(P.len);
    c.op(0x48);
    c.op(0x1b);
    set(L.c1);
  }
  c.op(0x0b);
  // nothing to do?
  get(L.r0);
  get(L.r1);
  c.op(0x4e);
  get(L.c0);
  get(L.c1);
  c.op(0x4e);
  c.op(0x72);
  c.op(0x04, 0x40);
  c.op(0x0f);
  c.op(0x0b); // or; if return end
}
