// Reads the import graph of src/ (relative imports only) for the structure tests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface SourceFile {
  path: string;
  text: string;
  imports: { target: string; typeOnly: boolean }[];
}

export function sourceFiles(root: string, exts = ['.ts']): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((x) => p.endsWith(x)) && !p.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

const IMPORT = /^\s*(?:import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Every file under `root` with its relative imports resolved to repo-relative .ts paths. */
export function importGraph(repo: string, root: string): Map<string, SourceFile> {
  const files = new Map<string, SourceFile>();
  for (const abs of sourceFiles(resolve(repo, root))) {
    const text = readFileSync(abs, 'utf8');
    const imports: SourceFile['imports'] = [];
    for (const m of text.matchAll(IMPORT)) {
      const target = relative(repo, resolve(dirname(abs), m[2]!.replace(/\.js$/, '.ts')));
      imports.push({ target, typeOnly: !!m[1] });
    }
    const path = relative(repo, abs);
    files.set(path, { path, text, imports });
  }
  return files;
}

/** Import cycles (`withTypes`: type-only imports count too: they tie the modules as much for a reader). */
export function importCycles(files: Map<string, SourceFile>, withTypes = true): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const imp of files.get(f)?.imports ?? []) {
      if ((imp.typeOnly && !withTypes) || !files.has(imp.target)) continue;
      const s = state.get(imp.target);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(imp.target)), imp.target]);
      else if (!s) visit(imp.target);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files.keys()) if (!state.has(f)) visit(f);
  return cycles;
}
