// Einsum: Einstein summation over any number of operands.
//
// Equation `term,term,...[->output]`, each term a run of letters (a-z, A-Z) with at most one
// ellipsis `...` standing for the leading (broadcast) dims. Semantics follow numpy.einsum:
//  - implicit mode (no `->`): the output is the ellipsis dims, then every letter that occurs
//    exactly once in the inputs, in ASCII order (upper case before lower case);
//  - a letter repeated inside one term takes the diagonal; letters absent from the output are
//    summed over (an empty sum gives 0);
//  - ellipsis dims of different operands broadcast numpy-style (right-aligned, size 1 stretches),
//    and so does a letter of size 1 against the same letter of a larger size elsewhere;
//  - ellipsis dims that an explicit output leaves out are summed over.
// Floats accumulate in double; integers wrap like C (int32 arithmetic, bigint for 64-bit).

import type { DType } from '../ir/dtype.js';
import { isBig, isFloat } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim, numel, type Shape, stridesOf } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { fromF64, offsets, toF64 } from './math-util.js';
import { bytesOf, checkDType, inType, NUMERIC, sameDType } from './util.js';

/** A parsed equation for operands of known ranks: labels per axis and for the output. */
interface Parsed {
  /** Label of each axis of each operand: a letter, or `.0`, `.1`, ... for ellipsis dims. */
  inputs: string[][];
  output: string[];
}

const LETTER = /^[A-Za-z]$/;

/** Split one term into its letters around an optional ellipsis. */
function splitTerm(term: string, what: string): { before: string[]; after: string[]; ellipsis: boolean } {
  const parts = term.split('...');
  if (parts.length > 2) throw new Error(`${what} '${term}' has more than one ellipsis`);
  const check = (s: string) => {
    for (const c of s)
      if (!LETTER.test(c)) throw new Error(`${what} '${term}' has '${c}'; only letters and '...' are allowed`);
    return [...s];
  };
  return { before: check(parts[0]!), after: parts.length === 2 ? check(parts[1]!) : [], ellipsis: parts.length === 2 };
}

export function parseEquation(equation: string, ranks: readonly number[]): Parsed {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  if (arrow >= 0 && eq.indexOf('->', arrow + 1) >= 0) throw new Error(`equation '${equation}' has more than one '->'`);
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',');
  if (terms.length !== ranks.length) {
    throw new Error(
      `equation '${equation}' has ${terms.length} input term(s) but the node has ${ranks.length} input(s)`,
    );
  }
  const split = terms.map((term, i) => {
    const t = splitTerm(term, `input term ${i}`);
    const letters = t.before.length + t.after.length;
    const e = ranks[i]! - letters;
    if (t.ellipsis ? e < 0 : e !== 0) {
      throw new Error(
        `input term ${i} '${term}' has ${letters} label(s)${t.ellipsis ? ' and an ellipsis' : ''} but input ` +
          `${i} has rank ${ranks[i]}`,
      );
    }
    return { ...t, e };
  });
  const ellRank = Math.max(0, ...split.map((t) => t.e));
  // ellipsis dims are right-aligned against the widest ellipsis, as numpy broadcasting aligns them
  const inputs = split.map(({ before, after, e }) => [
    ...before,
    ...Array.from({ length: e }, (_, k) => `.${ellRank - e + k}`),
    ...after,
  ]);
  const ell = Array.from({ length: ellRank }, (_, k) => `.${k}`);
  let output: string[];
  if (arrow >= 0) {
    const rhs = eq.slice(arrow + 2);
    const { before, after, ellipsis } = splitTerm(rhs, 'output term');
    // ellipsis dims that the output leaves out are summed over
    output = [...before, ...(ellipsis ? ell : []), ...after];
    const seen = new Set<string>();
    const all = new Set(inputs.flat());
    for (const l of [...before, ...after]) {
      if (seen.has(l)) throw new Error(`output term '${rhs}' repeats the label '${l}'`);
      seen.add(l);
      if (!all.has(l)) throw new Error(`output label '${l}' does not occur in any input term`);
    }
  } else {
    const counts = new Map<string, number>();
    for (const term of terms) for (const c of term) if (LETTER.test(c)) counts.set(c, (counts.get(c) ?? 0) + 1);
    const once = [...counts]
      .filter(([, n]) => n === 1)
      .map(([c]) => c)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    output = [...ell, ...once];
  }
  return { inputs, output };
}

/** Size of every label from the operand shapes (size 1 broadcasts against a larger size). */
function labelSizes(p: Parsed, shapes: readonly (readonly Dim[])[]): Map<string, Dim> {
  const sizes = new Map<string, Dim>();
  p.inputs.forEach((labels, i) => {
    labels.forEach((l, ax) => {
      const d = shapes[i]![ax]!;
      const cur = sizes.get(l);
      if (cur === undefined || cur === 1) {
        sizes.set(l, d);
        return;
      }
      if (d === 1 || d === cur) return;
      if (typeof d === 'number' && typeof cur === 'number') {
        const name = l.startsWith('.') ? `ellipsis dim ${l.slice(1)}` : `label '${l}'`;
        throw new Error(`${name} has size ${cur} in one place and ${d} in input ${i}`);
      }
      if (typeof cur === 'string' && typeof d === 'number') sizes.set(l, d);
    });
  });
  return sizes;
}

function einsumRun(equation: string, xs: Tensor[]): Tensor {
  const p = parseEquation(
    equation,
    xs.map((x) => x.dims.length),
  );
  const sizes = labelSizes(
    p,
    xs.map((x) => x.dims),
  ) as Map<string, number>;
  // a repeated label inside one operand must have one size there (the diagonal)
  p.inputs.forEach((labels, i) => {
    labels.forEach((l, ax) => {
      const d = xs[i]!.dims[ax]!;
      if (d !== sizes.get(l) && d !== 1)
        throw new Error(`label '${l}' has size ${d} in input ${i} but ${sizes.get(l)} elsewhere`);
      const first = labels.indexOf(l);
      if (first !== ax && xs[i]!.dims[first] !== d)
        throw new Error(`label '${l}' repeats in input ${i} with sizes ${xs[i]!.dims[first]} and ${d}`);
    });
  });
  const outLabels = p.output;
  const sumLabels = [...sizes.keys()].filter((l) => !outLabels.includes(l));
  const outSizes = outLabels.map((l) => sizes.get(l)!);
  const sumSizes = sumLabels.map((l) => sizes.get(l)!);
  // stride of each label in each operand: repeated labels add up (diagonal), size-1 axes give 0
  const labelStride = xs.map((x, i) => {
    const st = stridesOf(x.dims);
    const m = new Map<string, number>();
    p.inputs[i]!.forEach((l, ax) => {
      const s = x.dims[ax] === 1 && sizes.get(l) !== 1 ? 0 : st[ax]!;
      m.set(l, (m.get(l) ?? 0) + s);
    });
    return m;
  });
  const outOff = labelStride.map((m) =>
    offsets(
      outSizes,
      outLabels.map((l) => m.get(l) ?? 0),
    ),
  );
  const sumOff = labelStride.map((m) =>
    offsets(
      sumSizes,
      sumLabels.map((l) => m.get(l) ?? 0),
    ),
  );
  const nOut = numel(outSizes),
    nSum = numel(sumSizes);
  const dtype = xs[0]!.type;
  const k = xs.length;

  if (isBig(dtype)) {
    const data = xs.map((x) => x.data as BigInt64Array);
    const out = Tensor.zeros(dtype, outSizes);
    const y = out.data as BigInt64Array;
    for (let o = 0; o < nOut; o++) {
      let acc = 0n;
      for (let s = 0; s < nSum; s++) {
        let prod = 1n;
        for (let t = 0; t < k; t++) prod *= data[t]![outOff[t]![o]! + sumOff[t]![s]!]!;
        acc += prod;
      }
      y[o] = BigInt.asIntN(64, acc);
    }
    return out;
  }
  const float = isFloat(dtype);
  const data = xs.map((x) => toF64(x));
  const y = new Float64Array(nOut);
  if (float && k === 2) {
    // the common two-operand case without the operand loop
    const [A, B] = data as [Float64Array, Float64Array];
    const [oa, ob] = outOff as [Int32Array, Int32Array];
    const [sa, sb] = sumOff as [Int32Array, Int32Array];
    for (let o = 0; o < nOut; o++) {
      const a0 = oa[o]!,
        b0 = ob[o]!;
      let acc = 0;
      for (let s = 0; s < nSum; s++) acc += A[a0 + sa[s]!]! * B[b0 + sb[s]!]!;
      y[o] = acc;
    }
  } else {
    for (let o = 0; o < nOut; o++) {
      let acc = 0;
      for (let s = 0; s < nSum; s++) {
        let prod = 1;
        for (let t = 0; t < k; t++) {
          const v = data[t]![outOff[t]![o]! + sumOff[t]![s]!]!;
          prod = float ? prod * v : Math.imul(prod, v);
        }
        acc = float ? acc + prod : (acc + prod) | 0;
      }
      y[o] = acc;
    }
  }
  return fromF64(dtype, outSizes, y);
}

const einsum: OpDef = {
  name: 'nn.Einsum',
  inputs: ['Inputs...'],
  outputs: ['Output'],
  attrs: { equation: { kind: 'string', required: true } },
  infer(ctx) {
    const first = inType(ctx, 0, 'Inputs[0]');
    checkDType(first, NUMERIC as DType[], 'Inputs[0]');
    ctx.types.forEach((t, i) => {
      if (!t) throw new Error(`input #${i} is missing; Einsum takes no optional inputs`);
      sameDType(first, t, `Inputs[0] and Inputs[${i}]`);
    });
    const equation = ctx.attrs.string('equation');
    const shapes = ctx.types.map((t) => t!.shape);
    if (shapes.some((s) => !s)) return [{ dtype: first.dtype }];
    const p = parseEquation(
      equation,
      shapes.map((s) => s!.length),
    );
    const sizes = labelSizes(p, shapes as Shape[]);
    return [{ dtype: first.dtype, shape: p.output.map((l) => sizes.get(l) ?? freshDim('e')) }];
  },
  run({ inputs, attrs }) {
    const xs = inputs.map((x, i) => {
      if (!x) throw new Error(`input #${i} is missing`);
      return x;
    });
    return [einsumRun(attrs.string('equation'), xs)];
  },
  cost(ctx) {
    const shapes = ctx.types.map((t) => t?.shape);
    const bytes = ctx.types.reduce((s, t) => s + bytesOf(t), 0) + bytesOf(ctx.outTypes[0]);
    if (shapes.some((s) => !s)) return { flops: 0, bytes };
    try {
      const p = parseEquation(
        ctx.attrs.string('equation'),
        shapes.map((s) => s!.length),
      );
      const sizes = labelSizes(p, shapes as Shape[]);
      let n = 1;
      for (const d of sizes.values()) n *= typeof d === 'number' ? d : 1;
      return { flops: n * Math.max(1, ctx.types.length), bytes };
    } catch {
      return { flops: 0, bytes };
    }
  },
  onnx: { type: 'Einsum', minOpset: 12 },
};

registerOps([einsum]);
