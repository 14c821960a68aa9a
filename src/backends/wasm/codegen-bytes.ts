// Byte-level WASM emission for the run-time generated kernels (codegen.ts): LEB128 integers,
// sections, the f32x4 opcodes used, and the module around one generated function.

// f32x4 opcodes after the 0xfd prefix
export const SIMD: Record<string, number> = {
  add: 0xe4,
  sub: 0xe5,
  mul: 0xe6,
  div: 0xe7,
  min: 0xe8,
  max: 0xe9,
  abs: 0xe0,
  neg: 0xe1,
  sqrt: 0xe3,
  ceil: 0x67,
  floor: 0x68,
  trunc: 0x69,
  round: 0x6a,
  eq: 0x41,
  ne: 0x42,
  lt: 0x43,
  gt: 0x44,
  le: 0x45,
  ge: 0x46,
};

export class Bytes {
  b: number[] = [];
  u(v: number): this {
    do {
      let x = v & 0x7f;
      v = Math.floor(v / 128);
      if (v) x |= 0x80;
      this.b.push(x);
    } while (v);
    return this;
  }
  s(v: number): this {
    for (;;) {
      const x = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(x & 0x40)) || (v === -1 && x & 0x40)) {
        this.b.push(x);
        return this;
      }
      this.b.push(x | 0x80);
    }
  }
  op(...xs: number[]): this {
    this.b.push(...xs);
    return this;
  }
  str(s: string): this {
    const e = new TextEncoder().encode(s);
    this.u(e.length);
    this.b.push(...e);
    return this;
  }
  vec(items: number[][]): this {
    this.u(items.length);
    for (const i of items) this.b.push(...i);
    return this;
  }
  section(id: number, body: Bytes): this {
    this.b.push(id);
    this.u(body.b.length);
    this.b.push(...body.b);
    return this;
  }
}

/** Functions a generated map imports from the elementwise kernel module: export name, arity. */
export const IMPORTED: Record<string, [string, number]> = {
  log: ['log4', 1],
  softplus: ['softplus4', 1],
  pow: ['pow4', 2],
};

export interface ModuleParts {
  /** i32 parameters of `run`. */
  nParams: number;
  /** Imported math functions, in import order. */
  imports: string[];
  shared: boolean;
  nI32: number;
  nV: number;
  code: Bytes;
}

/** The module: type, imports (env.memory and math.*), one function `run` with the emitted body. */
export function assembleModule(p: ModuleParts): Uint8Array<ArrayBuffer> {
  const { nParams, imports, shared, nI32, nV } = p;
  const I32 = 0x7f,
    V128 = 0x7b;
  const mod = new Bytes().op(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  const types = new Bytes();
  types.u(3);
  types.op(0x60).u(nParams);
  for (let i = 0; i < nParams; i++) types.op(I32);
  types.u(0);
  types.op(0x60, 1, V128, 1, V128);
  types.op(0x60, 2, V128, V128, 1, V128);
  mod.section(1, types);
  const imp = new Bytes();
  imp.u(1 + imports.length);
  imp
    .str('env')
    .str('memory')
    .op(0x02, shared ? 0x03 : 0x01)
    .u(1)
    .u(65536);
  for (const name of imports)
    imp
      .str('math')
      .str(IMPORTED[name]![0])
      .op(0x00)
      .u(IMPORTED[name]![1] === 1 ? 1 : 2);
  mod.section(2, imp);
  mod.section(3, new Bytes().u(1).u(0));
  mod.section(7, new Bytes().u(1).str('run').op(0x00).u(imports.length));
  const body = new Bytes();
  body.u(2).u(nI32).op(I32).u(nV).op(V128);
  body.b.push(...p.code.b);
  mod.section(
    10,
    new Bytes()
      .u(1)
      .u(body.b.length)
      .op(...body.b),
  );
  return new Uint8Array(mod.b);
}
