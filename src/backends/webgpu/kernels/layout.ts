// Data-movement family (shaders/layout.wgsl) and views: reshape-like ops alias their input's
// storage (no copy); transpose, slice, pad, expand, tile, concat, split, gather, gather-elements
// and trilu copy with a per-element index map specialised for the shapes.

import type { AttrReader } from '../../../ir/attributes.js';
import { normAxis } from '../../../ir/shape.js';
import { getter, Tensor, toIntArray } from '../../../ir/tensor.js';
import { sliceAxis } from '../../../ops/slice.js';
import {
  type Dispatch,
  type KernelContext,
  type NodePlan,
  type PlanArgs,
  registerKernels,
  type TRef,
} from '../kernel.js';
import { fillTemplate, type Layout, lit, ShaderBuilder, strides, unflatten } from '../wgsl.js';
import { storeRule } from './elementwise.js';

/** One copy kernel over `n` elements; `body` computes and stores element i. */
export function copyKernel(
  ctx: KernelContext,
  label: string,
  n: number,
  ins: { name: string; layout: Layout; ref: TRef }[],
  out: { name: string; layout: Layout; ref: TRef },
  body: string,
): Dispatch {
  const b = new ShaderBuilder();
  const tensors: TRef[] = [];
  for (const x of ins) {
    b.input(x.name, x.layout);
    tensors.push(x.ref);
  }
  b.output(out.name, out.layout);
  tensors.push(out.ref);
  const per = ctx.tiles.perThread;
  const threads = Math.ceil(n / per);
  const code = fillTemplate('layout', {
    BINDINGS: b.header(),
    WG: ctx.wg,
    THREADS: threads,
    PER_THREAD: per,
    N: n,
    BODY: body,
  });
  return { code, bindings: b.bindings, tensors, grid: ctx.grid(Math.ceil(threads / ctx.wg)), label };
}

/** Flat source offset from per-axis source coordinates `s{k}` (expressions). */
const offsetFrom = (coords: string[], st: number[]) =>
  coords.map((c, k) => (st[k] === 1 ? `(${c})` : `(${c}) * ${st[k]}u`)).join(' + ') || '0u';

function gatherPlan(
  a: PlanArgs,
  srcCoords: (k: number) => string,
  opts: { pad?: string; preamble?: string[]; extraIns?: { name: string; idx: number }[] } = {},
): NodePlan {
  const x = a.ins[0]!,
    y = a.outs[0]!;
  const n = y.layout.numel;
  if (n === 0) return { dispatches: [] };
  if (x.layout.numel === 0 && !opts.pad) return { dispatches: [] };
  const st = strides(x.dims);
  const lines = [`    ${unflatten('i', y.dims, 'c')}`, ...(opts.preamble ?? [])];
  const coords = x.dims.map((_, k) => srcCoords(k));
  if (opts.pad !== undefined) {
    lines.push(`    var inside = true;`);
    x.dims.forEach((d, k) =>
      lines.push(`    let s${k} = ${coords[k]}; inside = inside && s${k} >= 0 && s${k} < ${d};`),
    );
    const off = x.dims.map((_, k) => (st[k] === 1 ? `u32(s${k})` : `u32(s${k}) * ${st[k]}u`)).join(' + ') || '0u';
    lines.push(`    if (inside) { y_set(i, x(${off})); } else { y_set(i, ${opts.pad}); }`);
  } else {
    lines.push(`    y_set(i, x(${offsetFrom(coords, st)}));`);
  }
  const ins = [{ name: 'x', layout: x.layout, ref: { in: 0 } as TRef }];
  for (const e of opts.extraIns ?? []) ins.push({ name: e.name, layout: a.ins[e.idx]!.layout, ref: { in: e.idx } });
  return {
    dispatches: [
      copyKernel(
        a.ctx,
        `${a.node.op}:layout`,
        n,
        ins,
        { name: 'y', layout: y.layout, ref: { out: 0 } },
        lines.join('\n'),
      ),
    ],
  };
}

const ints = (t: Tensor | undefined) => (t ? toIntArray(t) : undefined);

// ---- views: the output is the input's storage with other dims -------------------------------
registerKernels({
  ops: ['nn.Reshape', 'nn.Flatten', 'nn.Squeeze', 'nn.Unsqueeze', 'nn.Identity', 'nn.Dropout'],
  int64Inputs: [1],
  supports(node) {
    if (node.op === 'nn.Dropout' && node.outputs[1]) return 'Dropout with a mask output';
    const training = node.op === 'nn.Dropout' ? node.inputs[2] : null;
    if (training && !(training.const && !training.const.data[0])) {
      return 'Dropout with a training_mode input (random in training)';
    }
    return true;
  },
  hostInputs: (node) => (node.op === 'nn.Reshape' || node.op === 'nn.Squeeze' || node.op === 'nn.Unsqueeze' ? [1] : []),
  plan: () => ({ alias: [0], dispatches: [] }),
});

// ---- host-computed: shapes are known before the kernels run ---------------------------------
registerKernels({
  ops: ['nn.Shape', 'nn.Size'],
  int64Outputs: true,
  int64Inputs: 'all',
  plan(a) {
    const dims = a.ins[0]!.dims;
    if (a.node.op === 'nn.Size')
      return { host: [Tensor.from('int64', [BigInt(dims.reduce((p, q) => p * q, 1))], [])], dispatches: [] };
    const r = dims.length;
    const clampAx = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const start = clampAx(a.attrs.int('start', 0));
    const end = a.attrs.has('end') ? clampAx(a.attrs.int('end')) : r;
    return {
      host: [Tensor.from('int64', dims.slice(start, Math.max(start, end)).map(BigInt), [Math.max(0, end - start)])],
      dispatches: [],
    };
  },
});

registerKernels({
  ops: ['nn.Transpose'],
  plan(a) {
    const r = a.ins[0]!.dims.length;
    const perm = a.attrs.has('perm') ? a.attrs.ints('perm') : Array.from({ length: r }, (_, i) => r - 1 - i);
    const inv = new Array<number>(r);
    perm.forEach((p, k) => {
      inv[p] = k;
    });
    return gatherPlan(a, (k) => `c${inv[k]}`);
  },
});

registerKernels({
  ops: ['nn.Slice'],
  int64Inputs: [1, 2, 3, 4],
  hostInputs: () => [1, 2, 3, 4],
  plan(a) {
    const x = a.ins[0]!;
    const r = x.dims.length;
    const starts = ints(a.ins[1]?.host)!,
      ends = ints(a.ins[2]?.host)!;
    const axes = (ints(a.ins[3]?.host) ?? starts.map((_, i) => i)).map((v) => normAxis(v, r, 'axes entry'));
    const steps = ints(a.ins[4]?.host) ?? starts.map(() => 1);
    const begin = new Array<number>(r).fill(0),
      step = new Array<number>(r).fill(1);
    axes.forEach((ax, i) => {
      const s = sliceAxis(x.dims[ax]!, starts[i]!, ends[i]!, steps[i]!);
      begin[ax] = s.start;
      step[ax] = steps[i]!;
    });
    return gatherPlan(a, (k) =>
      step[k] === 1 && begin[k] === 0 ? `c${k}` : `u32(${begin[k]}i + i32(c${k}) * ${step[k]}i)`,
    );
  },
});

registerKernels({
  ops: ['nn.Pad'],
  int64Inputs: [1, 3],
  hostInputs: () => [1, 2, 3],
  plan(a) {
    const x = a.ins[0]!;
    const r = x.dims.length;
    const mode = a.attrs.string('mode', 'constant');
    const pads = ints(a.ins[1]?.host)!;
    const axes = (ints(a.ins[3]?.host) ?? Array.from({ length: r }, (_, i) => i)).map((v) =>
      normAxis(v, r, 'axes entry'),
    );
    const before = new Array<number>(r).fill(0);
    axes.forEach((ax, i) => {
      before[ax] = pads[i]!;
    });
    const cv = a.ins[2]?.host && a.ins[2].host.size ? Number(getter(a.ins[2].host)(0)) : 0;
    const w = x.layout.wtype;
    const raw = (k: number) => `(i32(c${k}) - ${before[k]}i)`;
    if (mode === 'constant') return gatherPlan(a, raw, { pad: storeRule(lit(cv, w), a.outs[0]!.dtype, w) });
    const src = (k: number) => {
      const n = x.dims[k]!;
      if (mode === 'edge') return `u32(clamp(${raw(k)}, 0i, ${n - 1}i))`;
      if (mode === 'wrap') return `u32(((${raw(k)} % ${n}i) + ${n}i) % ${n}i)`;
      if (n === 1) return '0u';
      const p = 2 * (n - 1);
      return `u32(reflect_i(${raw(k)}, ${n}i, ${p}i))`;
    };
    const plan = gatherPlan(a, src);
    if (mode === 'reflect') {
      const helper =
        'fn reflect_i(i: i32, n: i32, p: i32) -> i32 { let m = ((i % p) + p) % p; return select(p - m, m, m < n); }';
      for (const d of plan.dispatches) d.code = d.code.replace('@compute', `${helper}\n@compute`);
    }
    return plan;
  },
});

registerKernels({
  ops: ['nn.Expand'],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    const off = y.dims.length - x.dims.length;
    return gatherPlan(a, (k) => (x.dims[k] === 1 ? '0u' : `c${k + off}`));
  },
});

registerKernels({
  ops: ['nn.Tile'],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!;
    return gatherPlan(a, (k) => (x.dims[k] === 1 ? '0u' : `c${k} % ${x.dims[k]}u`));
  },
});

// DepthToSpace / SpaceToDepth on NCHW: a gather whose source coordinates come from the output's
// (c0..c3) by the block arithmetic of the two ops
registerKernels({
  ops: ['nn.DepthToSpace', 'nn.SpaceToDepth'],
  plan(a) {
    const [, C] = a.ins[0]!.dims as [number, number];
    const b = a.attrs.int('blocksize');
    if (a.node.op === 'nn.DepthToSpace') {
      const co = C / (b * b);
      const crd = a.attrs.string('mode', 'DCR') === 'CRD';
      // depth index: (c, bh, bw) for CRD, (bh, bw, c) for DCR
      const ch = crd
        ? `(c1 * ${b}u + c2 % ${b}u) * ${b}u + c3 % ${b}u`
        : `((c2 % ${b}u) * ${b}u + c3 % ${b}u) * ${co}u + c1`;
      return gatherPlan(a, (k) => [`c0`, ch, `c2 / ${b}u`, `c3 / ${b}u`][k]!);
    }
    // output channel = (bh, bw, c)
    return gatherPlan(
      a,
      (k) => [`c0`, `c1 % ${C}u`, `c2 * ${b}u + c1 / ${C * b}u`, `c3 * ${b}u + (c1 / ${C}u) % ${b}u`][k]!,
    );
  },
});

registerKernels({
  ops: ['nn.Trilu'],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!;
    const r = x.dims.length;
    const kk = a.ins[1]?.host ? Number(toIntArray(a.ins[1].host)[0]) : 0;
    const upper = a.attrs.int('upper', 1) === 1;
    const cond = upper ? `i32(c${r - 1}) - i32(c${r - 2}) >= ${kk}i` : `i32(c${r - 1}) - i32(c${r - 2}) <= ${kk}i`;
    const w = x.layout.wtype;
    const zero = lit(0, w);
    return gatherPlan(a, (k) => `c${k}`, { preamble: [`    let keep = ${cond};`] }).dispatches.length
      ? {
          dispatches: [
            copyKernel(
              a.ctx,
              'nn.Trilu:layout',
              a.outs[0]!.layout.numel,
              [{ name: 'x', layout: x.layout, ref: { in: 0 } }],
              { name: 'y', layout: a.outs[0]!.layout, ref: { out: 0 } },
              `    ${unflatten('i', x.dims, 'c')}\n    y_set(i, select(${zero}, x(i), ${cond}));`,
            ),
          ],
        }
      : { dispatches: [] };
  },
});

registerKernels({
  ops: ['nn.Concat'],
  plan(a) {
    const y = a.outs[0]!;
    const r = y.dims.length;
    const axis = normAxis(a.attrs.int('axis'), r);
    const yst = strides(y.dims);
    const ds: Dispatch[] = [];
    let off = 0;
    a.ins.forEach((x, j) => {
      if (!x) return;
      const n = x.layout.numel;
      if (n > 0) {
        const coords = x.dims.map((_, k) => (k === axis && off ? `(c${k} + ${off}u)` : `c${k}`));
        const body = `    ${unflatten('i', x.dims, 'c')}\n    y_set(${offsetFrom(coords, yst)}, x(i));`;
        ds.push(
          copyKernel(
            a.ctx,
            'nn.Concat:layout',
            n,
            [{ name: 'x', layout: x.layout, ref: { in: j } }],
            { name: 'y', layout: y.layout, ref: { out: 0 } },
            body,
          ),
        );
      }
      off += x.dims[axis]!;
    });
    return { dispatches: ds };
  },
});

registerKernels({
  ops: ['nn.Split'],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!;
    const axis = normAxis(a.attrs.int('axis', 0), x.dims.length);
    const st = strides(x.dims);
    const ds: Dispatch[] = [];
    let off = 0;
    a.outs.forEach((y, j) => {
      const n = y.layout.numel;
      if (n > 0) {
        const coords = y.dims.map((_, k) => (k === axis && off ? `(c${k} + ${off}u)` : `c${k}`));
        const body = `    ${unflatten('i', y.dims, 'c')}\n    y_set(i, x(${offsetFrom(coords, st)}));`;
        ds.push(
          copyKernel(
            a.ctx,
            'nn.Split:layout',
            n,
            [{ name: 'x', layout: x.layout, ref: { in: 0 } }],
            { name: 'y', layout: y.layout, ref: { out: j } },
            body,
          ),
        );
      }
      off += y.dims[axis]!;
    });
    return { dispatches: ds };
  },
});

function axisOf(attrs: AttrReader, r: number): number {
  return normAxis(attrs.int('axis', 0), r);
}

registerKernels({
  ops: ['nn.Gather'],
  int64Inputs: [1],
  plan(a) {
    const x = a.ins[0]!,
      ind = a.ins[1]!,
      _y = a.outs[0]!;
    const axis = axisOf(a.attrs, x.dims.length);
    const q = ind.dims.length;
    const n = x.dims[axis]!;
    // output coords: [x dims before axis][indices dims][x dims after axis]
    const ist = strides(ind.dims);
    const idxOff =
      ind.dims.map((_, k) => (ist[k] === 1 ? `c${axis + k}` : `c${axis + k} * ${ist[k]}u`)).join(' + ') || '0u';
    const pre = [
      `    var g = i32(ind(${idxOff})); if (g < 0) { g = g + ${n}i; } g = clamp(g, 0i, ${Math.max(0, n - 1)}i);`,
    ];
    return gatherPlan(a, (k) => (k < axis ? `c${k}` : k === axis ? 'u32(g)' : `c${k + q - 1}`), {
      preamble: pre,
      extraIns: [{ name: 'ind', idx: 1 }],
    });
  },
});

// OneHot: output element (o, k, b) holds values[1] where indices[o, b] (negative: + depth) == k,
// values[0] elsewhere; depth is read on the host, so the shape is known when planning
registerKernels({
  ops: ['nn.OneHot'],
  int64Inputs: [0, 1],
  hostInputs: () => [1],
  plan(a) {
    const ind = a.ins[0]!,
      vals = a.ins[2]!,
      y = a.outs[0]!;
    const n = y.layout.numel;
    if (n === 0) return { dispatches: [] };
    const axis = normAxis(a.attrs.int('axis', -1), ind.dims.length + 1, 'axis');
    const depth = y.dims[axis]!;
    const inner = ind.dims.slice(axis).reduce((p, q) => p * q, 1);
    const body = [
      `    let o = i / ${depth * inner}u; let k = i32((i / ${inner}u) % ${depth}u); let b = i % ${inner}u;`,
      `    var g = i32(ind(o * ${inner}u + b)); if (g < 0) { g = g + ${depth}i; }`,
      `    y_set(i, select(v(0u), v(1u), g == k));`,
    ].join('\n');
    const ins = [
      { name: 'ind', layout: ind.layout, ref: { in: 0 } as TRef },
      { name: 'v', layout: vals.layout, ref: { in: 2 } as TRef },
    ];
    return {
      dispatches: [
        copyKernel(a.ctx, 'nn.OneHot:layout', n, ins, { name: 'y', layout: y.layout, ref: { out: 0 } }, body),
      ],
    };
  },
});

registerKernels({
  ops: ['nn.GatherElements'],
  int64Inputs: [1],
  plan(a) {
    const x = a.ins[0]!;
    const axis = axisOf(a.attrs, x.dims.length);
    const n = x.dims[axis]!;
    const pre = [`    var g = i32(ind(i)); if (g < 0) { g = g + ${n}i; } g = clamp(g, 0i, ${Math.max(0, n - 1)}i);`];
    return gatherPlan(a, (k) => (k === axis ? 'u32(g)' : `c${k}`), {
      preamble: pre,
      extraIns: [{ name: 'ind', idx: 1 }],
    });
  },
});
