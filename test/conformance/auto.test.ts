// backend 'auto' (the heterogeneous runtime) on the whole shared conformance set: whatever the
// planner places where, results equal the reference's (expectations: auto.expect.json).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { conformanceGate } from './gate.js';

process.env.SWITCHYARD_CACHE ??= mkdtempSync(join(tmpdir(), 'sy-cache-'));

test('auto backend passes the shared conformance set', async () => {
  await conformanceGate('auto');
});
