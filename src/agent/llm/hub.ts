// Models named by their Hugging Face Hub id, `hf:org/name[@revision]`, fetched into the cache
// layout huggingface_hub uses, so a cache filled by Python (or by an earlier run) is reused as is:
//
//   $HF_HUB_CACHE (default $HF_HOME/hub, $HF_HOME default ~/.cache/huggingface)
//     models--org--name/refs/<revision>            the commit the revision pointed at
//     models--org--name/blobs/<etag>               file contents, named by the Hub's ETag
//     models--org--name/snapshots/<commit>/<file>  symlinks to ../../blobs/<etag>
//
// The file list and the commit come from /api/models/<repo>/revision/<rev>; each file from
// /<repo>/resolve/<commit>/<file> (the Hub redirects large files to its CDN). A download goes to
// blobs/<etag>.incomplete first and resumes from its size with a Range request. HF_TOKEN is sent as
// a bearer token; HF_HUB_OFFLINE=1 resolves from the cache alone and names each missing file.
// Node only (it writes files); browsers read the resolve URLs directly (see load.ts).

import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { type HubId, parseHubId } from './hub-id.js';

export { type HubId, isHubId, parseHubId } from './hub-id.js';

export interface HubProgress {
  file: string;
  /** Bytes in the blob so far (a resumed download starts above 0). */
  received: number;
  /** Bytes of the file, when the server says. */
  total?: number;
  done: boolean;
}

export interface HubOptions {
  /** Default $HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Default $HF_TOKEN (or $HUGGING_FACE_HUB_TOKEN). */
  token?: string;
  /** Default: $HF_HUB_OFFLINE is 1/true/yes. */
  offline?: boolean;
  /** Default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  onProgress?(p: HubProgress): void;
  /** Where fetch comes from (tests may count requests); default globalThis.fetch. */
  fetch?: typeof fetch;
}

const truthy = (v: string | undefined) => !!v && /^(1|true|yes|on)$/i.test(v);

export function hubCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  return path.join(env.HF_HOME ?? path.join(homedir(), '.cache', 'huggingface'), 'hub');
}

export const repoFolder = (cacheDir: string, repo: string) =>
  path.join(cacheDir, `models--${repo.replace(/\//g, '--')}`);

/** Which of a repository's files a decoder model needs: configs, tokenizer and the safetensors weights. */
export const OPTIONAL_FILES = [
  'generation_config.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
];

export function filesToFetch(repoFiles: string[], where: string): string[] {
  const have = new Set(repoFiles);
  const need = (f: string) => {
    if (!have.has(f))
      throw new Error(
        `${where}: the repository has no ${f} (it has ` +
          `${repoFiles.slice(0, 20).join(', ')}${repoFiles.length > 20 ? ', …' : ''})`,
      );
    return f;
  };
  const out = [need('config.json')];
  if (have.has('tokenizer.json')) out.push('tokenizer.json');
  for (const f of OPTIONAL_FILES) if (have.has(f)) out.push(f);
  if (have.has('model.safetensors')) out.push('model.safetensors');
  else if (have.has('model.safetensors.index.json')) out.push('model.safetensors.index.json');
  else {
    const gguf = repoFiles.filter((f) => f.endsWith('.gguf'));
    throw new Error(
      `${where}: the repository has neither model.safetensors nor model.safetensors.index.json` +
        (gguf.length ? ` (it has GGUF files: ${gguf.slice(0, 5).join(', ')}; download one and give its path)` : ''),
    );
  }
  return out;
}

const isCommit = (rev: string) => /^[0-9a-f]{40}$/.test(rev);

class HubClient {
  readonly endpoint: string;
  readonly token?: string;
  readonly offline: boolean;
  readonly cacheDir: string;
  readonly folder: string;
  private readonly fetch: typeof fetch;
  constructor(
    readonly id: HubId,
    readonly o: HubOptions,
  ) {
    this.endpoint = (o.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/$/, '');
    this.token = o.token ?? process.env.HF_TOKEN ?? process.env.HUGGING_FACE_HUB_TOKEN;
    this.offline = o.offline ?? truthy(process.env.HF_HUB_OFFLINE);
    this.cacheDir = o.cacheDir ?? hubCacheDir();
    this.folder = repoFolder(this.cacheDir, id.repo);
    this.fetch = o.fetch ?? globalThis.fetch;
  }
  get where(): string {
    return `hf:${this.id.repo}@${this.id.revision}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      'user-agent': 'switchyard (huggingface_hub cache layout)',
      ...extra,
    };
  }

  private async get(url: string, what: string, extra: Record<string, string> = {}, method = 'GET'): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetch(url, { method, headers: this.headers(extra), redirect: 'follow' });
    } catch (e) {
      throw new Error(
        `${this.where}: cannot reach ${this.endpoint} for ${what} (${(e as Error).message}); with the files ` +
          `already in ${this.folder}, set HF_HUB_OFFLINE=1`,
      );
    }
    if (res.ok) return res;
    const hint =
      res.status === 401 || res.status === 403
        ? this.token
          ? ' (HF_TOKEN was sent: it may lack access to this gated or private repository; accept its terms on the Hub)'
          : ' (gated or private: set HF_TOKEN)'
        : res.status === 404
          ? ' (no such repository, revision or file)'
          : '';
    throw new Error(`${this.where}: ${what}: HTTP ${res.status}${hint}`);
  }

  /** The commit the revision names and the repository's files (online). */
  async revisionInfo(): Promise<{ commit: string; files: string[] }> {
    const url = `${this.endpoint}/api/models/${this.id.repo}/revision/${encodeURIComponent(this.id.revision)}`;
    const res = await this.get(url, 'the file list');
    const j = (await res.json()) as { sha?: string; siblings?: { rfilename: string }[] };
    if (typeof j.sha !== 'string' || !Array.isArray(j.siblings))
      throw new Error(`${this.where}: ${url} did not answer with a sha and siblings`);
    return { commit: j.sha, files: j.siblings.map((s) => s.rfilename) };
  }

  snapshot(commit: string): string {
    return path.join(this.folder, 'snapshots', commit);
  }

  /** The commit a revision points at in the cache (offline), or undefined. */
  async cachedCommit(): Promise<string | undefined> {
    if (isCommit(this.id.revision)) return this.id.revision;
    try {
      return (await fs.readFile(path.join(this.folder, 'refs', this.id.revision), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  async writeRef(commit: string): Promise<void> {
    if (isCommit(this.id.revision)) return;
    await fs.mkdir(path.join(this.folder, 'refs'), { recursive: true });
    await fs.writeFile(path.join(this.folder, 'refs', this.id.revision), commit);
  }

  /** Fetch one file of the commit into blobs/ (resuming a partial one) and link it from the snapshot. */
  async download(commit: string, file: string): Promise<string> {
    const dest = path.join(this.snapshot(commit), file);
    if (await present(dest)) return dest;
    const quoted = file.split('/').map(encodeURIComponent).join('/');
    const url = `${this.endpoint}/${this.id.repo}/resolve/${commit}/${quoted}`;
    // HEAD without following the redirect: the Hub's own headers carry the blob's ETag (X-Linked-Etag for LFS files)
    let head: Response;
    try {
      head = await this.fetch(url, {
        method: 'HEAD',
        headers: this.headers({ 'accept-encoding': 'identity' }),
        redirect: 'manual',
      });
    } catch (e) {
      throw new Error(`${this.where}: cannot reach ${this.endpoint} for ${file} (${(e as Error).message})`);
    }
    if (head.status >= 400) await this.get(url, file, {}, 'HEAD'); // throws with the status explained
    const etag = cleanEtag(head.headers.get('x-linked-etag') ?? head.headers.get('etag'));
    if (!etag) throw new Error(`${this.where}: ${url} gave no ETag, so the file cannot be stored in the cache`);
    const size = Number(head.headers.get('x-linked-size') ?? head.headers.get('content-length') ?? NaN);
    const blob = path.join(this.folder, 'blobs', etag);
    if (!(await present(blob))) await this.fetchBlob(url, file, blob, Number.isFinite(size) ? size : undefined);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rm(dest, { force: true });
    // no symlinks: copy (as huggingface_hub does on Windows)
    await fs.symlink(path.relative(path.dirname(dest), blob), dest).catch(async () => fs.copyFile(blob, dest));
    return dest;
  }

  private async fetchBlob(url: string, file: string, blob: string, total?: number): Promise<void> {
    const part = `${blob}.incomplete`;
    await fs.mkdir(path.dirname(blob), { recursive: true });
    let have = 0;
    try {
      have = (await fs.stat(part)).size;
    } catch {
      /* fresh */
    }
    if (total !== undefined && have > total) {
      await fs.rm(part);
      have = 0;
    }
    const report = (received: number, done: boolean) => this.o.onProgress?.({ file, received, total, done });
    if (total === undefined || have < total) {
      const res = await this.get(url, file, {
        'accept-encoding': 'identity',
        ...(have ? { range: `bytes=${have}-` } : {}),
      });
      if (have && res.status !== 206) have = 0; // the server ignored the range: start over
      const out = createWriteStream(part, { flags: have ? 'a' : 'w' });
      let received = have;
      report(received, false);
      try {
        const reader = res.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (!out.write(value)) await new Promise((r) => out.once('drain', () => r(undefined)));
          received += value.byteLength;
          report(received, false);
        }
      } catch (e) {
        throw new Error(
          `${this.where}: the download of ${file} broke off at ${received} of ${total ?? '?'} bytes ` +
            `(${(e as Error).message}); run again to resume it`,
        );
      } finally {
        await new Promise<void>((r) => out.end(() => r()));
      }
      const got = (await fs.stat(part)).size;
      if (total !== undefined && got !== total)
        throw new Error(`${this.where}: ${file} ended at ${got} of ${total} bytes; run again to resume it`);
    }
    await fs.rename(part, blob);
    report(total ?? have, true);
  }
}

const cleanEtag = (e: string | null): string | undefined => e?.replace(/^W\//, '').replace(/"/g, '') || undefined;

async function present(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  } // stat follows the link: a dangling link is absent
}

/** The shards a model.safetensors.index.json names. */
async function shardsOf(indexPath: string): Promise<string[]> {
  const j = JSON.parse(await fs.readFile(indexPath, 'utf8')) as { weight_map?: Record<string, string> };
  return [...new Set(Object.values(j.weight_map ?? {}))].sort();
}

/**
 * A local folder holding the model files of `hf:org/name[@revision]` (a snapshot folder of the
 * cache), downloading what is missing unless offline.
 */
export async function resolveHubModel(id: string, opts: HubOptions = {}): Promise<string> {
  const hub = new HubClient(parseHubId(id), opts);
  if (hub.offline) return offlineSnapshot(hub);
  const { commit, files } = await hub.revisionInfo();
  const wanted = filesToFetch(files, hub.where);
  for (const f of wanted) await hub.download(commit, f);
  if (wanted.includes('model.safetensors.index.json')) {
    const shards = await shardsOf(path.join(hub.snapshot(commit), 'model.safetensors.index.json'));
    const missing = shards.filter((s) => !files.includes(s));
    if (missing.length)
      throw new Error(
        `${hub.where}: model.safetensors.index.json names shards the repository lacks: ${missing.join(', ')}`,
      );
    for (const s of shards) await hub.download(commit, s);
  }
  await hub.writeRef(commit);
  return hub.snapshot(commit);
}

async function offlineSnapshot(hub: HubClient): Promise<string> {
  const commit = await hub.cachedCommit();
  if (!commit)
    throw new Error(
      `${hub.where}: offline (HF_HUB_OFFLINE=1) and the cache has no ` +
        `${path.join(hub.folder, 'refs', hub.id.revision)}; download the model once online, or give a commit ` +
        `hash as the revision`,
    );
  const snap = hub.snapshot(commit);
  const listing = await listTree(snap);
  if (!listing.length)
    throw new Error(`${hub.where}: offline (HF_HUB_OFFLINE=1) and the snapshot ${snap} is not in the cache`);
  const need = filesToFetch(listing, `${hub.where} (offline, snapshot ${snap})`);
  const missing: string[] = [];
  for (const f of need) if (!(await present(path.join(snap, f)))) missing.push(f);
  if (need.includes('model.safetensors.index.json') && !missing.includes('model.safetensors.index.json')) {
    for (const s of await shardsOf(path.join(snap, 'model.safetensors.index.json')))
      if (!(await present(path.join(snap, s)))) missing.push(s);
  }
  if (missing.length)
    throw new Error(
      `${hub.where}: offline (HF_HUB_OFFLINE=1) and ${missing.map((f) => path.join(snap, f)).join(', ')} ` +
        `${missing.length > 1 ? 'are' : 'is'} missing from the cache`,
    );
  return snap;
}

async function listTree(dir: string, prefix = ''): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) out.push(...(await listTree(path.join(dir, e.name), `${prefix}${e.name}/`)));
    else out.push(prefix + e.name);
  }
  return out;
}

/** A progress bar on stderr (cli-progress) for interactive terminals; nothing otherwise. */
export async function progressBar(): Promise<{ onProgress(p: HubProgress): void; stop(): void }> {
  if (!process.stderr.isTTY) return { onProgress() {}, stop() {} };
  const { default: cli } = await import('cli-progress');
  const multi = new cli.MultiBar(
    {
      format: ' {bar} {percentage}% | {file} | {value}/{total} bytes',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cli.Presets.shades_classic,
  );
  const bars = new Map<string, ReturnType<typeof multi.create>>();
  return {
    onProgress(p) {
      let b = bars.get(p.file);
      if (!b) {
        b = multi.create(p.total ?? p.received, p.received, { file: p.file });
        bars.set(p.file, b);
      }
      b.update(p.received, { file: p.file });
      if (p.done) b.stop();
    },
    stop() {
      multi.stop();
    },
  };
}
