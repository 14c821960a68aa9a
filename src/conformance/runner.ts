// Runs ONNX backend-test folders (test_*/model.onnx + test_data_set_N/{input,output}_K.pb) on a
// backend. Works with and without a MANIFEST.json, so ONNX's model-level suites run too.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, onnx, type ValueInfoProto } from '../frontend/onnx/proto.js';
import { readValueFile } from '../frontend/onnx/value-proto.js';
import { typeFromProto } from '../frontend/onnx/value-types.js';
import type { TensorType } from '../ir/graph.js';
import type { RunValue } from '../ir/values.js';
import { Session, type SessionOptions } from '../runtime/session.js';
import { compareValues, DEFAULT_TOLERANCE, type Tolerance } from './compare.js';

export type Status = 'pass' | 'fail' | 'error' | 'skip';

export interface TestResult {
  name: string;
  status: Status;
  message?: string;
  maxAbsErr?: number;
  ms?: number;
}

export interface SuiteResult {
  backend: string;
  passed: number;
  failed: number;
  skipped: number;
  results: TestResult[];
}

/** Every folder named test_* that holds a model.onnx, under dir (recursively), sorted by name. */
export function discoverTests(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(d, e.name);
      if (e.name.startsWith('test_') && existsSync(join(p, 'model.onnx'))) out.push(p);
      else if (!e.name.startsWith('test_data_set_')) walk(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => a.localeCompare(b));
}

export function readTolerance(dir: string): Tolerance {
  const m = join(dir, 'MANIFEST.json');
  if (!existsSync(m)) return DEFAULT_TOLERANCE;
  const tol = (JSON.parse(readFileSync(m, 'utf8')) as { tolerance?: Partial<Tolerance> }).tolerance;
  return { rtol: tol?.rtol ?? DEFAULT_TOLERANCE.rtol, atol: tol?.atol ?? DEFAULT_TOLERANCE.atol };
}

const indexed = (files: string[], prefix: string) =>
  files
    .filter((f) => new RegExp(`^${prefix}_\\d+\\.pb$`).test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));

/** A value of a data set: a tensor, or a sequence or optional where the model's type says so. */
export interface DataValue {
  file: string;
  value: RunValue;
}
export interface DataSet {
  name: string;
  inputs: DataValue[];
  outputs: DataValue[];
}

/** The declared types of a model's inputs and outputs, to read sequence and optional files. */
function modelTypes(testDir: string): { inputs: (TensorType | undefined)[]; outputs: (TensorType | undefined)[] } {
  const file = join(testDir, 'model.onnx');
  let g;
  // a model that does not decode is reported when the session loads it, after the data is checked
  try {
    g = decodeModel(new Uint8Array(readFileSync(file)), file).graph;
  } catch {
    return { inputs: [], outputs: [] };
  }
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  const type = (vi: ValueInfoProto) => {
    try {
      return vi.type ? typeFromProto(vi.type, vi.name ?? '') : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    inputs: (g?.input ?? []).filter((vi) => !inits.has(vi.name)).map(type),
    outputs: (g?.output ?? []).map(type),
  };
}

/** What each graph input and output of a model holds: 'tensor', 'sequence', 'optional' or 'map'. */
export interface ValueKinds {
  inputs: { name: string; kind: string }[];
  outputs: { name: string; kind: string }[];
}

export function modelValueKinds(modelPath: string): ValueKinds | undefined {
  let m;
  try {
    m = onnx.ModelProto.decode(new Uint8Array(readFileSync(modelPath)));
  } catch {
    return undefined;
  }
  const kind = (vi: ValueInfoProto) => {
    const t = vi.type;
    return t?.sequenceType ? 'sequence' : t?.optionalType ? 'optional' : t?.mapType ? 'map' : 'tensor';
  };
  const inits = new Set((m.graph?.initializer ?? []).map((t) => t.name));
  const list = (vs: ValueInfoProto[] | null | undefined) =>
    (vs ?? []).map((v) => ({ name: v.name ?? '', kind: kind(v) }));
  return { inputs: list(m.graph?.input?.filter((v) => !inits.has(v.name ?? ''))), outputs: list(m.graph?.output) };
}

/**
 * Read one test folder's data sets; an inconsistent folder is an error that names the file. With
 * the model's value kinds, a file standing for a sequence or optional value (a SequenceProto or
 * OptionalProto, which decodes as a nonsense TensorProto) is refused by name, not misread.
 */
export function readDataSets(testDir: string, _kinds?: ValueKinds): DataSet[] {
  const sets = readdirSync(testDir)
    .filter((f) => /^test_data_set_\d+$/.test(f))
    .sort();
  if (!sets.length) throw new Error(`${testDir}: no test_data_set_N folder`);
  const types = modelTypes(testDir);
  return sets.map((s) => {
    const dir = join(testDir, s);
    const files = readdirSync(dir);
    const read =
      (kinds: (TensorType | undefined)[]) =>
      (f: string, i: number): DataValue => ({
        file: join(dir, f),
        value: readValueFile(new Uint8Array(readFileSync(join(dir, f))), kinds[i], join(dir, f)),
      });
    const outputs = indexed(files, 'output').map(read(types.outputs));
    if (!outputs.length) throw new Error(`${dir}: no output_N.pb files`);
    return { name: s, inputs: indexed(files, 'input').map(read(types.inputs)), outputs };
  });
}

/** Bind input files to graph inputs by position, or by TensorProto name when the counts differ. */
function bindInputs(
  session: Session,
  set: DataSet,
  dir: string,
  names: (string | undefined)[],
): Record<string, RunValue> {
  const inNames = session.inputNames;
  const feeds: Record<string, RunValue> = {};
  if (set.inputs.length === inNames.length) {
    set.inputs.forEach((x, i) => {
      feeds[inNames[i]!] = x.value;
    });
    return feeds;
  }
  set.inputs.forEach((x, i) => {
    const n = names[i];
    if (!n || !inNames.includes(n)) {
      throw new Error(
        `${dir}/${set.name}: ${set.inputs.length} input files but the model has ${inNames.length} inputs ` +
          `(${inNames.join(', ')}), and ${x.file} names no input`,
      );
    }
    feeds[n] = x.value;
  });
  return feeds;
}

export interface RunOptions extends SessionOptions {
  tolerance?: Tolerance;
  /** Only tests whose name matches. */
  filter?: RegExp;
  onResult?(r: TestResult): void;
}

export async function runTest(testDir: string, opts: RunOptions): Promise<TestResult> {
  const name = testDir.split(/[\\/]/).pop()!;
  const t0 = performance.now();
  let session: Session | undefined;
  try {
    const sets = readDataSets(testDir, modelValueKinds(join(testDir, 'model.onnx')));
    session = await Session.create(join(testDir, 'model.onnx'), opts);
    const maxAbsErr = 0;
    for (const set of sets) {
      const names = set.inputs.map((x) => readTensorName(x.file));
      const feeds = bindInputs(session, set, testDir, names);
      const outs = await session.runValues(feeds);
      const outNames = session.outputNames;
      if (outNames.length !== set.outputs.length) {
        return {
          name,
          status: 'fail',
          message: `${set.name}: model has ${outNames.length} outputs, ${set.outputs.length} expected`,
        };
      }
      for (let i = 0; i < outNames.length; i++) {
        const m = compareValues(
          outs[outNames[i]!]!,
          set.outputs[i]!.value,
          opts.tolerance ?? DEFAULT_TOLERANCE,
          `${set.name} output #${i} '${outNames[i]}'`,
        );
        if (m) return { name, status: 'fail', message: m.message, maxAbsErr: m.maxAbsErr, ms: performance.now() - t0 };
      }
    }
    return { name, status: 'pass', maxAbsErr, ms: performance.now() - t0 };
  } catch (e) {
    const err = e as Error & { skip?: boolean };
    return { name, status: err.skip ? 'skip' : 'error', message: err.message, ms: performance.now() - t0 };
  } finally {
    await session?.release();
  }
}

/** The TensorProto's own name; only used when file positions do not line up with inputs. */
function readTensorName(file: string): string | undefined {
  try {
    return onnx.TensorProto.decode(new Uint8Array(readFileSync(file))).name || undefined;
  } catch {
    return undefined;
  }
}

export async function runSuite(dir: string, opts: RunOptions): Promise<SuiteResult> {
  const tests = discoverTests(dir).filter((t) => !opts.filter || opts.filter.test(t.split(/[\\/]/).pop()!));
  const tolerance = opts.tolerance ?? readTolerance(dir);
  const results: TestResult[] = [];
  for (const t of tests) {
    const r = await runTest(t, { ...opts, tolerance });
    results.push(r);
    opts.onResult?.(r);
  }
  return {
    backend: opts.backend ?? 'reference',
    passed: results.filter((r) => r.status === 'pass').length,
    failed: results.filter((r) => r.status === 'fail' || r.status === 'error').length,
    skipped: results.filter((r) => r.status === 'skip').length,
    results,
  };
}
