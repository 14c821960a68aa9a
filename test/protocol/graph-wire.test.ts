// Graphs on the wire: IR text with large constants as sha256 references, a stable address, and
// parsing back over a blob store (views, not copies).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { printGraph } from '../../src/ir/printer.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { blobRefs, graphFromWire, graphToWire } from '../../src/protocol/graph-wire.js';
import { sha256Hex } from '../../src/protocol/hash.js';
import { closeTo, input, mlp } from '../helpers/offload.js';

test('a graph travels as text plus content-addressed blobs and parses back to the same graph', async () => {
  const g = mlp(1);
  const w = await graphToWire(g);
  assert.equal(w.id, await sha256Hex(w.text));
  assert.equal(w.blobs.size, 2);
  assert.deepEqual(blobRefs(w.text).sort(), [...w.blobs.keys()].sort());
  for (const [h, b] of w.blobs) assert.equal(h, await sha256Hex(b));
  assert.ok(!/[A-Za-z0-9+/]{200}/.test(w.text), 'no base64 weights in the text');
  const back = graphFromWire(w.text, (h) => w.blobs.get(h));
  assert.equal(printGraph(back), printGraph(g));
  const x = input(1, 3);
  assert.ok(closeTo(interpret(back, [x])[0]!, interpret(g, [x])[0]!, 0));
  const again = await graphToWire(mlp(1));
  assert.equal(again.id, w.id, 'same graph, same address');
  assert.notEqual((await graphToWire(mlp(2))).id, w.id);
});

test('parsing shares blob bytes when aligned, and names missing blobs', async () => {
  const w = await graphToWire(mlp(3));
  const shared = new Map(
    [...w.blobs].map(([h, b]) => {
      const s = new Uint8Array(new SharedArrayBuffer(b.length));
      s.set(b);
      return [h, s];
    }),
  );
  const g = graphFromWire(w.text, (h) => shared.get(h));
  const bufs = g.constants().map((c) => c.const!.bytes().buffer);
  assert.ok(bufs.some((b) => b instanceof SharedArrayBuffer));
  const first = [...w.blobs.keys()][0]!;
  assert.throws(
    () => graphFromWire(w.text, (h) => (h === first ? undefined : w.blobs.get(h))),
    (e: unknown) =>
      e instanceof ProtocolError && e.code === 'missing_blobs' && (e.extra.missing as string[])[0] === first,
  );
  assert.throws(
    () => graphFromWire('graph @"x"(', () => undefined),
    (e: unknown) => e instanceof ProtocolError && e.code === 'compile_failed',
  );
});

test('the plain-TypeScript SHA-256 (pages without crypto.subtle) matches node:crypto', async () => {
  const { createHash } = await import('node:crypto');
  const { sha256Js } = await import('../../src/protocol/sha256.js');
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003]) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
    assert.equal(Buffer.from(sha256Js(b)).toString('hex'), createHash('sha256').update(b).digest('hex'), `${n} bytes`);
    assert.equal(
      Buffer.from(sha256Js(b.subarray(1))).toString('hex'),
      createHash('sha256').update(b.subarray(1)).digest('hex'),
      `${n} bytes, offset view`,
    );
  }
});
