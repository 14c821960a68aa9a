// Which files implement each registered op, found from the source: the src/ops file that
// registers it (its family), its lowering's k.* ops, the kernel files that name it (op-type string
// literals in WebGPU kernel registrations and WASM planner tables), the WGSL templates those
// files fill and the WASM kernel modules they call. Used by op-families.test.ts (the rule) and
// scripts/op-families.js (the table in docs/op-families.md).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface OpPieces {
  op: string;
  /** The family: the src/ops file that registers the op, without .ts (kernel/matmul for k.matmul). */
  family: string;
  opsFile: string;
  lowersTo: string[];
  webgpu: string[];
  shaders: string[];
  wasm: string[];
  /** WASM kernel modules (wasm/<m>.ts) whose functions the op's WASM files call. */
  wasmModules: string[];
}

export interface Scan {
  ops: OpPieces[];
  /** Shader template -> names of the kernel files that fill it. */
  shaderUsers: Map<string, Set<string>>;
  /** `module.fn` -> names of the WASM kernel files that call it. */
  wasmFnUsers: Map<string, Set<string>>;
  /** Ops named in files that belong to no family (lib/ helpers, the lowering pass). */
  strays: { file: string; op: string }[];
}

const OP_LITERAL = /['"]((?:nn|ms|ml|k|agent|xfer)\.[A-Za-z][\w]*)['"]/g;

/** Family of an op: its ops file name; a k.* op's family is the kernel/<name> it is defined in. */
export const familyName = (family: string): string => family.replace(/^kernel\//, '');

/** A file named `<family>` or `<family>-<variant>` (or the family a variant of the file's name) counts. */
export function fileMatches(fileBase: string, family: string): boolean {
  const f = familyName(family);
  return fileBase === f || fileBase.startsWith(`${f}-`) || f.startsWith(`${fileBase}-`);
}

const baseOf = (path: string) =>
  path
    .split('/')
    .pop()!
    .replace(/\.(ts|wgsl)$/, '');

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const stripComments = (src: string) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');

const opsNamed = (src: string) => new Set([...stripComments(src).matchAll(OP_LITERAL)].map((m) => m[1]!));

/** Local files a kernel file imports (./lib/x.js and the like), as absolute .ts paths. */
function localImports(file: string, src: string): string[] {
  const dir = file.slice(0, file.lastIndexOf('/'));
  return [...src.matchAll(/from '(\.[^']+)\.js'/g)].map((m) => join(dir, `${m[1]}.ts`)).filter(existsSync);
}

interface Uses {
  templates: Set<string>;
  fns: Set<string>;
}

const usesIn = (text: string): Uses => ({
  templates: new Set([...text.matchAll(/fillTemplate\('([\w-]+)'/g)].map((m) => m[1]!)),
  fns: new Set([...text.matchAll(/\bfn\('([\w-]+)', '(\w+)'\)/g)].map((m) => `${m[1]}.${m[2]}`)),
});

/**
 * Templates and kernel-module functions reached through each top-level function of a helper
 * file (calls between its own functions followed), so that importing one helper does not count
 * the templates of the others.
 */
function helperUses(src: string): Map<string, Uses> {
  const code = stripComments(src);
  const heads = [...code.matchAll(/^(?:export )?(?:async )?(?:function|const) (\w+)/gm)];
  const blocks = heads.map((h, i) => ({
    name: h[1]!,
    text: code.slice(h.index, i + 1 < heads.length ? heads[i + 1]!.index : code.length),
  }));
  const uses = new Map(blocks.map((b) => [b.name, usesIn(b.text)]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of blocks)
      for (const other of blocks) {
        if (other === b || !new RegExp(`\\b${other.name}\\(`).test(b.text)) continue;
        const u = uses.get(b.name)!;
        for (const x of uses.get(other.name)!.templates) if (!u.templates.has(x)) u.templates.add(x), (changed = true);
        for (const x of uses.get(other.name)!.fns) if (!u.fns.has(x)) u.fns.add(x), (changed = true);
      }
  }
  return uses;
}

/** What a kernel file fills and calls: its own text, and the imported helpers it references. */
function fileUses(file: string, src: string): Uses {
  const code = stripComments(src);
  const u = usesIn(code);
  for (const dep of localImports(file, src))
    for (const [name, du] of helperUses(readFileSync(dep, 'utf8'))) {
      if (!new RegExp(`\\b${name}\\b`).test(code)) continue;
      for (const x of du.templates) u.templates.add(x);
      for (const x of du.fns) u.fns.add(x);
    }
  return u;
}

/**
 * Op -> family, by importing the compiled src/ops files one at a time in dependency order and
 * seeing which ops each one adds to the registry.
 */
export async function opFamilies(repo: string): Promise<Map<string, { family: string; def: unknown }>> {
  const srcOps = join(repo, 'src/ops');
  const distOps = join(repo, 'dist/src/ops');
  const { registeredOps } = await import(pathToFileURL(join(repo, 'dist/src/ir/op-def.js')).href);
  const owner = new Map<string, { family: string; def: unknown }>();
  const done = new Set<string>();
  const load = async (f: string): Promise<void> => {
    if (done.has(f)) return;
    done.add(f);
    const src = readFileSync(join(srcOps, `${f}.ts`), 'utf8');
    const dir = f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '';
    for (const m of src.matchAll(/(?:from|import) '(\.{1,2}\/[^']+)\.js'/g)) {
      const dep = join(dir, m[1]!).replace(/^\.\//, '');
      if (!dep.startsWith('..') && existsSync(join(srcOps, `${dep}.ts`))) await load(dep);
    }
    const before = new Set((registeredOps() as { name: string }[]).map((o) => o.name));
    await import(pathToFileURL(join(distOps, `${f}.js`)).href);
    for (const d of registeredOps() as { name: string }[])
      if (!before.has(d.name)) owner.set(d.name, { family: f, def: d });
  };
  const index = readFileSync(join(srcOps, 'index.ts'), 'utf8');
  for (const m of index.matchAll(/import '\.\/([^']+)\.js'/g)) await load(m[1]!);
  return owner;
}

export async function scanOpFamilies(repo: string): Promise<Scan> {
  const owners = await opFamilies(repo);
  const rel = (p: string) => relative(repo, p);
  const ops = new Map<string, OpPieces>();
  for (const [op, { family, def }] of owners) {
    const d = def as { lowersTo?: string[] };
    ops.set(op, {
      op,
      family,
      opsFile: `src/ops/${family}.ts`,
      lowersTo: d.lowersTo ?? [],
      webgpu: [],
      shaders: [],
      wasm: [],
      wasmModules: [],
    });
  }
  const strays: Scan['strays'] = [];
  const shaderUsers = new Map<string, Set<string>>();
  const wasmFnUsers = new Map<string, Set<string>>();
  const addUser = (m: Map<string, Set<string>>, k: string, fam: string) => {
    if (!m.has(k)) m.set(k, new Set());
    m.get(k)!.add(fam);
  };

  const scanKernels = (dir: string, kind: 'webgpu' | 'wasm') => {
    for (const file of tsFiles(dir)) {
      if (file.endsWith('/index.ts')) continue;
      const src = readFileSync(file, 'utf8');
      const named = [...opsNamed(src)].filter((o) => ops.has(o));
      if (file.includes('/lib/')) {
        for (const op of named) strays.push({ file: rel(file), op });
        continue;
      }
      const { templates, fns: calls } = fileUses(file, src);
      const shaders = [...templates];
      const fns = [...calls];
      for (const op of named) {
        const p = ops.get(op)!;
        if (kind === 'webgpu') {
          p.webgpu.push(rel(file));
          for (const s of shaders) if (!p.shaders.includes(`shaders/${s}.wgsl`)) p.shaders.push(`shaders/${s}.wgsl`);
        } else {
          p.wasm.push(rel(file));
          for (const f of fns) {
            const m = `wasm/${f.split('.')[0]}.ts`;
            if (!p.wasmModules.includes(m)) p.wasmModules.push(m);
          }
        }
      }
      // users are kernel files by name: a helper only one of them uses is that file's own piece
      if (named.length) {
        for (const s of shaders) addUser(shaderUsers, s, baseOf(file));
        for (const f of fns) addUser(wasmFnUsers, f, baseOf(file));
      }
    }
  };
  scanKernels(join(repo, 'src/backends/webgpu/kernels'), 'webgpu');
  scanKernels(join(repo, 'src/backends/wasm/ops'), 'wasm');
  // the lowering pass only drives the families' hooks: it names no op
  const lowerPass = join(repo, 'src/passes/lower.ts');
  for (const op of opsNamed(readFileSync(lowerPass, 'utf8'))) strays.push({ file: rel(lowerPass), op });
  return { ops: [...ops.values()].sort((a, b) => a.op.localeCompare(b.op)), shaderUsers, wasmFnUsers, strays };
}

/** Every file one change to the op touches: its own pieces and those of the k.* ops it lowers to. */
export function filesFor(scan: Scan, op: string): string[] {
  const byOp = new Map(scan.ops.map((p) => [p.op, p]));
  const p = byOp.get(op);
  if (!p) throw new Error(`no op ${op}`);
  const files = new Set<string>();
  for (const q of [p, ...p.lowersTo.map((k) => byOp.get(k)!).filter(Boolean)]) {
    for (const f of [q.opsFile, ...q.webgpu, ...q.shaders, ...q.wasm, ...q.wasmModules]) files.add(f);
  }
  return [...files].sort();
}

/** Where an op's pieces sit outside its family's files: one line per misplaced piece. */
export function misplaced(scan: Scan): string[] {
  const bad: string[] = [];
  for (const p of scan.ops) {
    for (const f of [...p.webgpu, ...p.wasm])
      if (!fileMatches(baseOf(f), p.family)) bad.push(`${p.op} (family ${p.family}): kernel in ${f}`);
  }
  // a template or kernel-module function only one family uses is that family's own piece
  for (const [s, fams] of scan.shaderUsers) {
    const [only] = [...fams];
    if (fams.size === 1 && !fileMatches(s, only!)) bad.push(`shaders/${s}.wgsl is used only by kernels/${only}.ts`);
  }
  for (const [fn, fams] of scan.wasmFnUsers) {
    const [only] = [...fams];
    const module = fn.split('.')[0]!;
    if (fams.size === 1 && !fileMatches(module, only!))
      bad.push(`wasm/${module}.ts: ${fn} is used only by ops/${only}.ts`);
  }
  for (const s of scan.strays) bad.push(`${s.op} is named in ${s.file}, which belongs to no family`);
  return bad;
}

const cell = (files: string[], strip: string) => files.map((f) => f.replace(strip, '')).join(', ') || '–';

/** docs/op-families.md: the per-op file table, grouped by family. */
export function renderDoc(scan: Scan): string {
  const lines = [
    '# Op families: which files implement each op',
    '',
    'Generated by `node scripts/op-families.js` from the source (checked by',
    '`test/structure/op-families.test.ts`): do not edit. An op family is the `src/ops/<family>.ts`',
    'file that registers its ops (attributes, shape rule, reference semantics, cost, ONNX import',
    'and the lowering hook `OpDef.lower`). Its kernels sit in files named `<family>` or',
    '`<family>-<variant>`: `src/backends/webgpu/kernels/` (WGSL generation, templates in',
    '`shaders/`), `src/backends/wasm/ops/` (planners) and `wasm/` (AssemblyScript SIMD kernels).',
    'Shared helpers live in `lib/` folders and name no op; a template or kernel function that only',
    "one family's kernels use must be named after that family.",
    '',
    '## Adding or changing an op',
    '',
    '1. `src/ops/<family>.ts`: the OpDef (inputs, attributes, `infer`, `run`, `cost`, `onnx`) and,',
    '   where a kernel form exists, `lower` + `lowersTo` (attach with `withLowering`, see',
    '   `src/ops/kernel/lowering.ts`); register a new file in `src/ops/index.ts`.',
    '2. WebGPU: `src/backends/webgpu/kernels/<family>.ts` calls `registerKernels` (or',
    '   `registerElementwise` for an expression table) and fills its template `shaders/<family>.wgsl`;',
    '   import it in `kernels/index.ts`. Every Dispatch carries its `variant` (family, name and the',
    '   key fields it is specialised on: the pipeline-cache key), and sizes that need not be',
    '   compile-time go in `params` (a uniform buffer, see `Params` in `variant.ts`).',
    '3. WASM: `src/backends/wasm/ops/<family>.ts` exports `KERNELS` (planners, dtype declarations),',
    '   gathered by `ops/index.ts`; its SIMD kernels go to `wasm/<family>.ts` (listed in',
    '   `src/backends/wasm/loader.ts`).',
    '4. `node scripts/op-families.js` regenerates this table; add a golden WGSL case in',
    '   `test/golden/wgsl-cases.ts` (`SWITCHYARD_UPDATE_GOLDEN=1` writes the snapshot).',
    '',
    'Columns: the k.* ops the lowering produces, the WebGPU kernel file (under',
    '`src/backends/webgpu/kernels/`), the WGSL templates (`shaders/`), the WASM planner file',
    '(`src/backends/wasm/ops/`) and the WASM kernel modules (`wasm/`). Ops with no kernel on',
    'either backend run on the reference path of the unit they sit in.',
    '',
    `${scan.ops.length} registered ops.`,
    '',
    '| op | family | lowers to | webgpu | shaders | wasm | wasm modules |',
    '|---|---|---|---|---|---|---|',
  ];
  const sorted = [...scan.ops].sort((a, b) => a.family.localeCompare(b.family) || a.op.localeCompare(b.op));
  for (const p of sorted) {
    const row = [
      `\`${p.op}\``,
      p.family,
      p.lowersTo.join(', ') || '–',
      cell(p.webgpu, 'src/backends/webgpu/kernels/'),
      cell(p.shaders, 'shaders/'),
      cell(p.wasm, 'src/backends/wasm/ops/'),
      cell(p.wasmModules, 'wasm/'),
    ];
    lines.push(`| ${row.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
