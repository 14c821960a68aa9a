// Reading files and URLs from library code that also runs in browsers: paths go through node:fs,
// loaded only in Node with a dynamic import; URLs through fetch.

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

async function nodeModules(): Promise<{ fs: Fs; path: Path }> {
  const fsSpec = 'node:fs/promises',
    pathSpec = 'node:path'; // variables keep bundlers from following
  return {
    fs: (await import(/* @vite-ignore */ fsSpec)) as Fs,
    path: (await import(/* @vite-ignore */ pathSpec)) as Path,
  };
}

export async function readBytes(location: string): Promise<Uint8Array> {
  if (!isNode || /^https?:\/\//.test(location)) {
    const res = await fetch(location);
    if (!res.ok) throw new Error(`${location}: HTTP ${res.status} ${res.statusText}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const { fs } = await nodeModules();
  try {
    return new Uint8Array(await fs.readFile(location));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(err.code === 'ENOENT' ? `${location}: no such file` : `${location}: cannot read (${err.message})`);
  }
}

export async function readText(location: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(location));
}

export async function readJson(location: string): Promise<Record<string, unknown>> {
  const text = await readText(location);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${location}: not valid JSON (${(e as Error).message})`);
  }
}

export async function writeBytes(location: string, bytes: Uint8Array | string): Promise<void> {
  if (!isNode) throw new Error(`cannot write ${location}: files can only be written in Node`);
  const { fs, path } = await nodeModules();
  await fs.mkdir(path.dirname(location), { recursive: true });
  await fs.writeFile(location, bytes);
}

/** `rel` resolved against the folder of `base` (a file path or URL). */
export function resolveNear(base: string, rel: string): string {
  if (/^([a-z]+:)?\//i.test(rel) || rel.startsWith('hf:')) return rel;
  if (/^https?:\/\//.test(base)) return new URL(rel, base).toString();
  const i = Math.max(base.lastIndexOf('/'), base.lastIndexOf('\\'));
  return i < 0 ? rel : `${base.slice(0, i + 1)}${rel}`;
}

export async function exists(location: string): Promise<boolean> {
  if (!isNode || /^https?:\/\//.test(location)) return (await fetch(location, { method: 'HEAD' })).ok;
  const { fs } = await nodeModules();
  try {
    await fs.stat(location);
    return true;
  } catch {
    return false;
  }
}

export async function listDir(dir: string): Promise<string[]> {
  const { fs } = await nodeModules();
  return fs.readdir(dir);
}

export async function isDirectory(location: string): Promise<boolean> {
  if (!isNode || /^https?:\/\//.test(location)) return false;
  const { fs } = await nodeModules();
  try {
    return (await fs.stat(location)).isDirectory();
  } catch {
    return false;
  }
}
