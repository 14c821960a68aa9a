// widen-float16: a graph stored in float16 computes in float32. Every float16 value inside the
// graph becomes float32 (constants converted once, exactly), Casts to float16 cast to float32,
// and the boundaries keep their types: a float16 graph input is cast up on entry, a float16
// output cast down on exit. For backends whose kernels take float32 (WASM): the model then runs
// on its kernels instead of the reference path, in more precision than float16 arithmetic.

import { dtypeToOnnx } from '../ir/dtype.js';
import { type Graph, Node, Value } from '../ir/graph.js';
import { castTensor } from '../ops/cast.js';
import type { Pass } from './pass.js';

const F16 = dtypeToOnnx('float16'),
  F32 = dtypeToOnnx('float32');

export const widenFloat16: Pass = {
  name: 'widen-float16',
  description: 'compute a float16 graph in float32: values and constants widened, casts at the inputs and outputs',
  run(g: Graph) {
    const seen = new Set<Value>();
    let count = 0;
    const widen = (v: Value | null) => {
      if (!v || seen.has(v)) return;
      seen.add(v);
      if (v.type?.dtype !== 'float16') return;
      v.type = { ...v.type, dtype: 'float32' };
      if (v.const) v.const = castTensor(v.const, 'float32');
      count++;
    };
    const boundary = new Set([...g.inputs, ...g.outputs].filter((v) => v.type?.dtype === 'float16'));
    // entry casts: the f16 input keeps its type; its readers take a float32 copy
    const entry: Node[] = [];
    const replace = new Map<Value, Value>();
    for (const v of g.inputs) {
      if (!boundary.has(v)) continue;
      const wide = new Value(`${v.name}.f32`, { ...v.type!, dtype: 'float32' });
      entry.push(new Node('nn.Cast', [v], [wide], { to: { kind: 'int', value: F32 } }, `${v.name}.widen`));
      replace.set(v, wide);
      seen.add(v);
      seen.add(wide);
    }
    for (const n of g.nodes) n.inputs = n.inputs.map((v) => (v && replace.has(v) ? replace.get(v)! : v));
    // exit casts: the output value keeps its name and type; the computed one is renamed
    const exit: Node[] = [];
    g.outputs = g.outputs.map((v) => {
      if (!boundary.has(v) || g.inputs.includes(v)) return v;
      const narrow = new Value(v.name, { ...v.type! });
      v.name = `${v.name}.f32`;
      exit.push(new Node('nn.Cast', [v], [narrow], { to: { kind: 'int', value: F16 } }, `${narrow.name}.narrow`));
      seen.add(narrow);
      return narrow;
    });
    for (const n of g.nodes) {
      n.inputs.forEach(widen);
      n.outputs.forEach(widen);
      if (
        (n.op === 'nn.Cast' || n.op === 'nn.EyeLike' || /^nn\.Random/.test(n.op)) &&
        n.attrs.to?.kind === 'int' &&
        n.attrs.to.value === F16
      )
        n.attrs.to = { kind: 'int', value: F32 };
      for (const key of ['dtype', 'output_dtype']) {
        const a = n.attrs[key];
        if (a?.kind === 'int' && a.value === F16) n.attrs[key] = { kind: 'int', value: F32 };
        if (a?.kind === 'string' && a.value === 'float16') n.attrs[key] = { kind: 'string', value: 'float32' };
      }
      for (const [key, a] of Object.entries(n.attrs)) {
        if (a.kind === 'tensor' && a.value.type === 'float16')
          n.attrs[key] = { kind: 'tensor', value: castTensor(a.value, 'float32') };
      }
    }
    g.outputs.forEach((v) => {
      if (!boundary.has(v)) widen(v);
    });
    g.nodes = [...entry, ...g.nodes, ...exit];
    return {
      changed: count > 0 || entry.length + exit.length > 0,
      summary: `widened ${count} float16 values to float32`,
    };
  },
};
