// Optionals: a value that holds a tensor or a sequence, or nothing (ONNX optional types), and
// Identity on any value. Opset 18 lets OptionalHasElement/GetElement take a plain tensor or
// sequence too (it always has an element), and an absent input (no element).

import type { TensorType } from '../ir/graph.js';
import { type OpDef, registerOps, type ValueRunContext } from '../ir/op-def.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { describeRunValue, OptionalValue, type RunValue } from '../ir/values.js';

const optOf = (t: TensorType): TensorType => ({ ...t, wrap: ['optional', ...(t.wrap ?? [])] });
function contents(t: TensorType): TensorType {
  if (t.wrap?.[0] !== 'optional') return t;
  const { wrap, ...rest } = t;
  return wrap.length > 1 ? { ...rest, wrap: wrap.slice(1) } : rest;
}

const values = (f: (ctx: ValueRunContext) => RunValue[]) => ({
  values: true,
  run: () => {
    throw new Error('optional ops run through runValues');
  },
  runValues: f,
});

const optional: OpDef = {
  name: 'nn.Optional',
  inputs: ['input?'],
  outputs: ['output'],
  attrs: { type: { kind: 'type' } },
  infer(ctx) {
    const t = ctx.types[0];
    const declared = ctx.node.attrs.type?.kind === 'type' ? ctx.node.attrs.type.value : undefined;
    if (t?.wrap?.[0] === 'optional') throw new Error(`input is already optional (${formatType(t)})`);
    const elem = t ?? declared;
    if (!elem) throw new Error('an empty Optional needs its type attribute');
    return [optOf(elem)];
  },
  ...values((ctx) => {
    const x = ctx.inputs[0];
    const t = ctx.node.outputs[0]?.type;
    const inner = t ? contents(t) : { dtype: x instanceof Tensor ? x.type : ('float32' as const) };
    if (x instanceof OptionalValue) throw new Error('input is already an optional');
    return [new OptionalValue(inner, x)];
  }),
  onnx: { type: 'Optional', minOpset: 15 },
};

const hasElement: OpDef = {
  name: 'nn.OptionalHasElement',
  inputs: ['input?'],
  outputs: ['output'],
  infer: () => [{ dtype: 'bool', shape: [] }],
  ...values((ctx) => {
    const x = ctx.inputs[0];
    const has = x === undefined ? false : x instanceof OptionalValue ? x.hasValue : true;
    return [Tensor.from('bool', [has ? 1 : 0], [])];
  }),
  onnx: { type: 'OptionalHasElement', minOpset: 15 },
};

const getElement: OpDef = {
  name: 'nn.OptionalGetElement',
  inputs: ['input'],
  outputs: ['output'],
  infer(ctx) {
    const t = ctx.types[0];
    if (!t) throw new Error('input has no type');
    return [contents(t)];
  },
  ...values((ctx) => {
    const x = ctx.inputs[0];
    if (!(x instanceof OptionalValue)) {
      if (x === undefined) throw new Error('input is missing');
      return [x];
    }
    if (!x.value) throw new Error(`the optional is empty (${describeRunValue(x)}); check OptionalHasElement first`);
    return [x.value];
  }),
  onnx: { type: 'OptionalGetElement', minOpset: 15 },
};

registerOps([optional, hasElement, getElement]);
