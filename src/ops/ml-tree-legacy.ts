// ai.onnx.ml TreeEnsembleRegressor (opsets 1-3), the form most scikit-learn exports still write:
// nodes keyed by (tree id, node id) with string modes (BRANCH_LEQ ... LEAF) and per-leaf votes in
// target_*. It is rewritten into the opset-5 forest of ml-tree.ts and scored the same way, then
// offset by base_values and post-transformed. Host only.

import type { AttrReader } from '../ir/attributes.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { ML_DOMAIN } from './ml-basic.js';
import { type Forest, postTransform, scoreForest } from './ml-tree.js';
import { checkDType, inType, numelOf } from './util.js';

const MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ'];
const AGGREGATES = ['AVERAGE', 'SUM', 'MIN', 'MAX'];

/** A float list given as `name` or as the double tensor `name_as_tensor`. */
function floatsOr(a: AttrReader, name: string): number[] {
  const t = a.optTensor(`${name}_as_tensor`);
  return t ? Array.from(toF64(t)) : a.floats(name, []);
}

function legacyForest(a: AttrReader, prefix: 'target' | 'class'): Forest {
  const trees = a.ints('nodes_treeids'),
    ids = a.ints('nodes_nodeids'),
    modes = a.strings('nodes_modes');
  const feature = a.ints('nodes_featureids'),
    values = floatsOr(a, 'nodes_values');
  const trueIds = a.ints('nodes_truenodeids'),
    falseIds = a.ints('nodes_falsenodeids');
  const n = trees.length;
  const missing = a.ints('nodes_missing_value_tracks_true', new Array<number>(n).fill(0));
  for (const [name, len] of Object.entries({
    nodeids: ids.length,
    modes: modes.length,
    featureids: feature.length,
    values: values.length,
    truenodeids: trueIds.length,
    falsenodeids: falseIds.length,
  })) {
    if (len !== n) throw new Error(`TreeEnsemble nodes_${name} has ${len} entries for ${n} nodes`);
  }
  const at = new Map<string, number>();
  trees.forEach((t, i) => at.set(`${t}:${ids[i]}`, i));
  // leaves in node order; their votes grouped by leaf
  const leafOf = new Map<number, number>();
  modes.forEach((m, i) => {
    if (m === 'LEAF') leafOf.set(i, leafOf.size);
  });
  const vTrees = a.ints(`${prefix}_treeids`),
    vNodes = a.ints(`${prefix}_nodeids`),
    vIds = a.ints(`${prefix}_ids`);
  const vWeights = floatsOr(a, `${prefix}_weights`);
  if (vNodes.length !== vTrees.length || vIds.length !== vTrees.length || vWeights.length !== vTrees.length) {
    throw new Error(`TreeEnsemble ${prefix}_treeids, _nodeids, _ids and _weights differ in length`);
  }
  const votes: [number, number][][] = Array.from({ length: leafOf.size }, () => []);
  vTrees.forEach((t, v) => {
    const node = at.get(`${t}:${vNodes[v]}`);
    const leaf = node === undefined ? undefined : leafOf.get(node);
    if (leaf === undefined) {
      throw new Error(`${prefix} vote ${v} names tree ${t} node ${vNodes[v]}, which is not a leaf`);
    }
    votes[leaf]!.push([vIds[v]!, vWeights[v]!]);
  });
  const f: Forest = {
    roots: [],
    feature: [],
    split: new Float64Array(n),
    mode: [],
    trueId: [],
    falseId: [],
    trueLeaf: [],
    falseLeaf: [],
    missingTrue: missing,
    members: [],
    leafTarget: [],
    leafWeight: new Float64Array(vTrees.length),
    leafStart: [0],
  };
  let k = 0;
  for (const vs of votes) {
    for (const [t, w] of vs) {
      f.leafTarget.push(t);
      f.leafWeight[k++] = w;
    }
    f.leafStart!.push(k);
  }
  // a branch to a LEAF node becomes a leaf reference, as in the opset-5 form
  const target = (i: number, id: number, side: string): [number, number] => {
    const j = at.get(`${trees[i]}:${id}`);
    if (j === undefined) throw new Error(`tree ${trees[i]} node ${ids[i]}: ${side} branch ${id} is not a node`);
    return leafOf.has(j) ? [leafOf.get(j)!, 1] : [j, 0];
  };
  for (let i = 0; i < n; i++) {
    f.feature.push(feature[i]!);
    f.split[i] = values[i]!;
    f.members.push(undefined);
    if (modes[i] === 'LEAF') {
      f.mode.push(0);
      f.trueId.push(0);
      f.falseId.push(0);
      f.trueLeaf.push(1);
      f.falseLeaf.push(1);
      continue;
    }
    const m = MODES.indexOf(modes[i]!);
    if (m < 0) throw new Error(`node ${i} has mode '${modes[i]}', not one of ${MODES.join(', ')}, LEAF`);
    f.mode.push(m);
    const [ti, tl] = target(i, trueIds[i]!, 'true'),
      [fi, fl] = target(i, falseIds[i]!, 'false');
    f.trueId.push(ti);
    f.trueLeaf.push(tl);
    f.falseId.push(fi);
    f.falseLeaf.push(fl);
  }
  // one root per tree: its node 0 (a tree that is one leaf is encoded as -(leaf + 1))
  for (const t of [...new Set(trees)]) {
    const r = at.get(`${t}:0`);
    if (r === undefined) throw new Error(`tree ${t} has no node 0`);
    f.roots.push(leafOf.has(r) ? -leafOf.get(r)! - 1 : r);
  }
  return f;
}

const treeEnsembleRegressor: OpDef = {
  name: 'ml.TreeEnsembleRegressor',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {
    aggregate_function: { kind: 'string', default: 'SUM' },
    base_values: { kind: 'floats' },
    base_values_as_tensor: { kind: 'tensor' },
    n_targets: { kind: 'int', required: true },
    nodes_falsenodeids: { kind: 'ints' },
    nodes_featureids: { kind: 'ints' },
    nodes_hitrates: { kind: 'floats' },
    nodes_hitrates_as_tensor: { kind: 'tensor' },
    nodes_missing_value_tracks_true: { kind: 'ints' },
    nodes_modes: { kind: 'strings' },
    nodes_nodeids: { kind: 'ints' },
    nodes_treeids: { kind: 'ints' },
    nodes_truenodeids: { kind: 'ints' },
    nodes_values: { kind: 'floats' },
    nodes_values_as_tensor: { kind: 'tensor' },
    post_transform: { kind: 'string', default: 'NONE' },
    target_ids: { kind: 'ints' },
    target_nodeids: { kind: 'ints' },
    target_treeids: { kind: 'ints' },
    target_weights: { kind: 'floats' },
    target_weights_as_tensor: { kind: 'tensor' },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, ['float32', 'float64', 'int64', 'int32'], 'X');
    if (x.shape && x.shape.length > 2) throw new Error(`TreeEnsembleRegressor X ${formatType(x)} must be [N, F]`);
    const agg = ctx.attrs.string('aggregate_function', 'SUM');
    if (!AGGREGATES.includes(agg)) throw new Error(`aggregate_function '${agg}' is not ${AGGREGATES.join(', ')}`);
    legacyForest(ctx.attrs, 'target');
    const rows = x.shape ? (x.shape.length === 2 ? x.shape[0]! : 1) : undefined;
    return [{ dtype: 'float32', ...(rows !== undefined ? { shape: [rows, ctx.attrs.int('n_targets')] } : {}) }];
  },
  run({ inputs: [x], attrs }) {
    const nf = x!.dims[x!.dims.length - 1] ?? 1,
      rows = x!.size / nf;
    const nTargets = attrs.int('n_targets');
    const f = legacyForest(attrs, 'target');
    for (const t of f.leafTarget) {
      if (t < 0 || t >= nTargets) throw new Error(`target id ${t} is not below n_targets ${nTargets}`);
    }
    for (const j of f.feature) if (j < 0 || j >= nf) throw new Error(`a node reads feature ${j}, X has ${nf}`);
    const base = floatsOr(attrs, 'base_values');
    const agg = AGGREGATES.indexOf(attrs.string('aggregate_function', 'SUM'));
    const out = scoreForest(f, toF64(x!), rows, nf, nTargets, agg, base);
    const post = attrs.string('post_transform', 'NONE');
    for (let r = 0; r < rows; r++) postTransform(post, out.subarray(r * nTargets, (r + 1) * nTargets));
    return [fromF64('float32', [rows, nTargets], out)];
  },
  cost: (ctx) => ({ flops: 8 * numelOf(ctx.types[0]), bytes: 0 }),
  onnx: { type: 'TreeEnsembleRegressor', domain: ML_DOMAIN, minOpset: 1 },
};

registerOps([treeEnsembleRegressor]);
