// Shapes with symbolic dims: a dim is a known size (number) or a name (string) such as 'b' or 'seq'.

export type Dim = number | string;
export type Shape = Dim[];

export const isStatic = (s: readonly Dim[]): s is number[] => s.every((d) => typeof d === 'number');

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major strides of a static shape. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

export const formatDims = (dims: readonly Dim[]): string => `[${dims.join(',')}]`;

/** Normalise a possibly negative axis against a rank, with an error that names the rule. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${what} ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

let fresh = 0;
/** A new symbolic dim for a size that is only known at run time. */
export function freshDim(hint = 'd'): string {
  return `${hint}${fresh++}`;
}

/** Numpy-style broadcast of two shapes; symbolic dims unify with 1 and with themselves. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Shape {
  const n = Math.max(a.length, b.length);
  const out: Shape = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const y = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (x === y) out[i] = x;
    else if (x === 1) out[i] = y;
    else if (y === 1) out[i] = x;
    else if (typeof x === 'number' && typeof y === 'number') {
      throw new Error(`shapes ${formatDims(a)} and ${formatDims(b)} do not broadcast (dim ${i}: ${x} vs ${y})`);
    } else if (typeof x === 'number')
      out[i] = x; // the symbolic side must equal the known size
    else if (typeof y === 'number') out[i] = y;
    else out[i] = freshDim('bc');
  }
  return out;
}

export function broadcastMany(shapes: readonly (readonly Dim[])[]): Shape {
  return shapes.reduce<Shape>((acc, s) => broadcastShapes(acc, s), []);
}

export function sameDims(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
