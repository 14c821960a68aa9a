// ai.onnx.ml TreeEnsemble (opset 5): decision trees in flat arrays. Each tree starts at tree_roots[t];
// node i compares X[n, nodes_featureids[i]] with nodes_splits[i] under nodes_modes[i] (LEQ, LT, GTE,
// GT, EQ, NEQ, MEMBER of a NaN-separated slice of membership_values), then follows the true or false
// branch; a branch flagged in nodes_trueleafs / nodes_falseleafs names a leaf (leaf_targetids,
// leaf_weights) instead of a node. Leaves are aggregated per target over the trees (AVERAGE, SUM,
// MIN, MAX) and post-transformed (NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO, PROBIT). Host only.

import type { AttrReader } from '../ir/attributes.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { ML_DOMAIN } from './ml-basic.js';
import { bytesOf, checkDType, inType, numelOf } from './util.js';

const enum Mode {
  LEQ,
  LT,
  GTE,
  GT,
  EQ,
  NEQ,
  MEMBER,
}

export interface Forest {
  roots: number[];
  feature: number[];
  split: Float64Array;
  mode: number[];
  trueId: number[];
  falseId: number[];
  trueLeaf: number[];
  falseLeaf: number[];
  missingTrue: number[];
  members: (Set<number> | undefined)[];
  leafTarget: number[];
  leafWeight: Float64Array;
  /** Votes of leaf L are leafStart[L] .. leafStart[L+1]-1 (absent: one vote per leaf, vote L). */
  leafStart?: number[];
}

function readForest(a: AttrReader, nFeatures: number | undefined, nTargets: number): Forest {
  const feature = a.ints('nodes_featureids');
  const n = feature.length;
  const f: Forest = {
    roots: a.ints('tree_roots'),
    feature,
    split: toF64(a.tensor('nodes_splits')),
    mode: Array.from(toF64(a.tensor('nodes_modes'))),
    trueId: a.ints('nodes_truenodeids'),
    falseId: a.ints('nodes_falsenodeids'),
    trueLeaf: a.ints('nodes_trueleafs'),
    falseLeaf: a.ints('nodes_falseleafs'),
    missingTrue: a.ints('nodes_missing_value_tracks_true', new Array<number>(n).fill(0)),
    members: [],
    leafTarget: a.ints('leaf_targetids'),
    leafWeight: toF64(a.tensor('leaf_weights')),
  };
  const perNode = {
    split: f.split.length,
    mode: f.mode.length,
    truenodeids: f.trueId.length,
    falsenodeids: f.falseId.length,
    trueleafs: f.trueLeaf.length,
    falseleafs: f.falseLeaf.length,
    missing_value_tracks_true: f.missingTrue.length,
  };
  for (const [name, len] of Object.entries(perNode)) {
    if (len !== n) throw new Error(`TreeEnsemble nodes_${name} has ${len} entries for ${n} nodes`);
  }
  if (f.leafTarget.length !== f.leafWeight.length) {
    throw new Error(`TreeEnsemble has ${f.leafTarget.length} leaf_targetids and ${f.leafWeight.length} leaf_weights`);
  }
  for (const t of f.leafTarget) {
    if (t < 0 || t >= nTargets) throw new Error(`leaf target ${t} is not below n_targets ${nTargets}`);
  }
  for (const r of f.roots) if (r < 0 || r >= n) throw new Error(`tree root ${r} is not a node (${n} nodes)`);
  for (let i = 0; i < n; i++) {
    if (nFeatures !== undefined && (feature[i]! < 0 || feature[i]! >= nFeatures)) {
      throw new Error(`node ${i} reads feature ${feature[i]}, X has ${nFeatures}`);
    }
    for (const [leaf, id] of [
      [f.trueLeaf[i]!, f.trueId[i]!],
      [f.falseLeaf[i]!, f.falseId[i]!],
    ]) {
      const limit = leaf ? f.leafWeight.length : n;
      if (id! < 0 || id! >= limit) {
        throw new Error(`node ${i} branches to ${leaf ? 'leaf' : 'node'} ${id}, not below ${limit}`);
      }
    }
  }
  // membership sets: one NaN-terminated run of membership_values per MEMBER node, in node order
  const mv = a.optTensor('membership_values');
  const values = mv ? Array.from(toF64(mv)) : [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (f.mode[i] !== Mode.MEMBER) {
      f.members.push(undefined);
      continue;
    }
    const set = new Set<number>();
    while (at < values.length && !Number.isNaN(values[at]!)) set.add(values[at++]!);
    at++;
    f.members.push(set);
  }
  return f;
}

export function branch(f: Forest, i: number, x: number): boolean {
  if (Number.isNaN(x) && f.missingTrue[i]) return true;
  const s = f.split[i]!;
  switch (f.mode[i]) {
    case Mode.LEQ:
      return x <= s;
    case Mode.LT:
      return x < s;
    case Mode.GTE:
      return x >= s;
    case Mode.GT:
      return x > s;
    case Mode.EQ:
      return x === s;
    case Mode.NEQ:
      return x !== s;
    case Mode.MEMBER:
      return f.members[i]!.has(x);
    default:
      throw new Error(`TreeEnsemble node ${i} has mode ${f.mode[i]}, not one of 0-6`);
  }
}

/** The leaf tree `root` reaches for one row; a walk longer than the node count means a cycle. */
function walk(f: Forest, root: number, row: Float64Array, off: number): number {
  if (root < 0) return -root - 1; // a tree that is one leaf
  let node = root;
  for (let steps = 0; steps <= f.feature.length; steps++) {
    const t = branch(f, node, row[off + f.feature[node]!]!);
    const next = t ? f.trueId[node]! : f.falseId[node]!;
    if (t ? f.trueLeaf[node] : f.falseLeaf[node]) return next;
    node = next;
  }
  throw new Error(`TreeEnsemble tree at root ${root} has a cycle`);
}

/** sqrt(2)·erfinv(2p-1): Giles' single-precision erfinv approximation, enough for float outputs. */
export function probit(p: number): number {
  const x = 2 * p - 1;
  let w = -Math.log((1 - x) * (1 + x)),
    r: number;
  if (w < 5) {
    w -= 2.5;
    r = 2.81022636e-8;
    for (const c of [
      3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
      1.50140941,
    ])
      r = c + r * w;
  } else {
    w = Math.sqrt(w) - 3;
    r = -0.000200214257;
    for (const c of [
      0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
      2.83297682,
    ])
      r = c + r * w;
  }
  return Math.SQRT2 * r * x;
}

/** The post_transform of the ML ops on one row of scores, in place. */
export function postTransform(kind: number | string, v: Float64Array): void {
  const name = typeof kind === 'number' ? ['NONE', 'SOFTMAX', 'LOGISTIC', 'SOFTMAX_ZERO', 'PROBIT'][kind] : kind;
  if (name === 'NONE') return;
  if (name === 'LOGISTIC') {
    for (let i = 0; i < v.length; i++) v[i] = 1 / (1 + Math.exp(-v[i]!));
    return;
  }
  if (name === 'PROBIT') {
    for (let i = 0; i < v.length; i++) v[i] = probit(v[i]!);
    return;
  }
  if (name === 'SOFTMAX' || name === 'SOFTMAX_ZERO') {
    // SOFTMAX_ZERO leaves zeros at zero and normalises the others among themselves
    const zero = name === 'SOFTMAX_ZERO';
    const max = v.reduce((a, e) => (zero && e === 0 ? a : Math.max(a, e)), -Infinity);
    let sum = 0;
    for (let i = 0; i < v.length; i++) {
      v[i] = zero && v[i] === 0 ? 0 : Math.exp(v[i]! - max);
      sum += v[i]!;
    }
    for (let i = 0; i < v.length; i++) v[i] = sum ? v[i]! / sum : 0;
    return;
  }
  throw new Error(`post_transform ${kind} is not NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO or PROBIT`);
}

/**
 * Per-row target scores: the votes of the leaf each tree reaches, aggregated (0 AVERAGE, 1 SUM,
 * 2 MIN, 3 MAX) and offset by `base` (one value per target, or none).
 */
export function scoreForest(
  f: Forest,
  data: Float64Array,
  rows: number,
  nf: number,
  nTargets: number,
  agg: number,
  base: number[],
): Float64Array {
  const out = new Float64Array(rows * nTargets);
  for (let r = 0; r < rows; r++) {
    const score = out.subarray(r * nTargets, (r + 1) * nTargets);
    const seen = new Uint8Array(nTargets);
    for (const root of f.roots) {
      const leaf = walk(f, root, data, r * nf);
      const from = f.leafStart ? f.leafStart[leaf]! : leaf,
        to = f.leafStart ? f.leafStart[leaf + 1]! : leaf + 1;
      for (let v = from; v < to; v++) {
        const t = f.leafTarget[v]!,
          w = f.leafWeight[v]!;
        // MIN and MAX start from the first vote for a target; a target no vote reaches stays 0
        if (agg === 2) score[t] = seen[t] ? Math.min(score[t]!, w) : w;
        else if (agg === 3) score[t] = seen[t] ? Math.max(score[t]!, w) : w;
        else score[t] += w;
        seen[t] = 1;
      }
    }
    for (let t = 0; t < nTargets; t++) {
      if (agg === 0) score[t] /= f.roots.length;
      score[t] += base[t] ?? 0;
    }
  }
  return out;
}

const treeEnsemble: OpDef = {
  name: 'ml.TreeEnsemble',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {
    aggregate_function: { kind: 'int', default: 1 },
    leaf_targetids: { kind: 'ints', required: true },
    leaf_weights: { kind: 'tensor', required: true },
    membership_values: { kind: 'tensor' },
    n_targets: { kind: 'int', required: true },
    nodes_falseleafs: { kind: 'ints', required: true },
    nodes_falsenodeids: { kind: 'ints', required: true },
    nodes_featureids: { kind: 'ints', required: true },
    nodes_hitrates: { kind: 'tensor' },
    nodes_missing_value_tracks_true: { kind: 'ints' },
    nodes_modes: { kind: 'tensor', required: true },
    nodes_splits: { kind: 'tensor', required: true },
    nodes_trueleafs: { kind: 'ints', required: true },
    nodes_truenodeids: { kind: 'ints', required: true },
    post_transform: { kind: 'int', default: 0 },
    tree_roots: { kind: 'ints', required: true },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, ['float32', 'float64', 'float16'], 'X');
    if (x.shape && x.shape.length !== 2) throw new Error(`TreeEnsemble X ${formatType(x)} must be [N, F]`);
    const nTargets = ctx.attrs.int('n_targets');
    const agg = ctx.attrs.int('aggregate_function', 1);
    if (agg < 0 || agg > 3) throw new Error(`aggregate_function ${agg} is not 0-3 (AVERAGE, SUM, MIN, MAX)`);
    const nf = x.shape?.[1];
    readForest(ctx.attrs, typeof nf === 'number' ? nf : undefined, nTargets);
    return [{ dtype: x.dtype, ...(x.shape ? { shape: [x.shape[0]!, nTargets] } : {}) }];
  },
  run({ inputs: [x], attrs }) {
    const [rows, nf] = x!.dims as [number, number];
    const nTargets = attrs.int('n_targets');
    const agg = attrs.int('aggregate_function', 1);
    const post = attrs.int('post_transform', 0);
    const f = readForest(attrs, nf, nTargets);
    const out = scoreForest(f, toF64(x!), rows, nf, nTargets, agg, []);
    for (let r = 0; r < rows; r++) postTransform(post, out.subarray(r * nTargets, (r + 1) * nTargets));
    return [fromF64(x!.type, [rows, nTargets], out)];
  },
  // about one comparison per tree level; depth is unknown here, so count 8 per tree and row
  cost: (ctx) => ({
    flops: ctx.attrs.ints('tree_roots').length * 8 * numelOf(ctx.outTypes[0]),
    bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]),
  }),
  onnx: { type: 'TreeEnsemble', domain: ML_DOMAIN, minOpset: 5 },
};

registerOps([treeEnsemble]);
