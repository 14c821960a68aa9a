// A local stand-in for the Hugging Face Hub on 127.0.0.1, answering as the Hub does: the revision
// API (sha + siblings), resolve URLs with X-Repo-Commit and ETag (git sha1 for small files; for
// LFS files a 302 to a CDN path with X-Linked-Etag = sha256 and X-Linked-Size), Range requests
// (206) on the CDN, 401 for a gated repository without the right token. It can break a download
// off part way, to test resuming, and it logs every request.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  files: Record<string, Uint8Array | string>;
  commit?: string;
  token?: string;
  branches?: string[];
}
export interface LoggedRequest {
  method: string;
  url: string;
  range?: string;
  auth?: string;
}

const sha = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest('hex');
const isLfs = (name: string) => /\.(safetensors|gguf|bin)$/.test(name);

export class FakeHub {
  readonly log: LoggedRequest[] = [];
  /** Files whose next CDN download stops after this many bytes (then the socket is destroyed). */
  readonly breakAfter = new Map<string, number>();
  private server?: Server;
  endpoint = '';
  constructor(readonly repos: Record<string, FakeRepo>) {
    for (const r of Object.values(repos))
      r.commit ??= sha('sha1', new TextEncoder().encode(JSON.stringify(Object.keys(r.files))));
  }

  private bytes(v: Uint8Array | string): Uint8Array {
    return typeof v === 'string' ? new TextEncoder().encode(v) : v;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  private handle(req: IncomingMessage, res: import('node:http').ServerResponse): void {
    const url = decodeURIComponent(req.url ?? '');
    this.log.push({ method: req.method ?? '', url, range: req.headers.range, auth: req.headers.authorization });
    const denied = (repo: FakeRepo) => repo.token !== undefined && req.headers.authorization !== `Bearer ${repo.token}`;
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(url);
    if (m) {
      const repo = this.repos[m[1]!];
      if (!repo) {
        res.writeHead(404).end('{"error":"Repository not found"}');
        return;
      }
      if (denied(repo)) {
        res.writeHead(401).end('{"error":"gated"}');
        return;
      }
      if (m[2] !== repo.commit && !(repo.branches ?? ['main']).includes(m[2]!)) {
        res.writeHead(404).end('{"error":"Revision not found"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: m[1],
          sha: repo.commit,
          siblings: Object.keys(repo.files).map((rfilename) => ({ rfilename })),
        }),
      );
      return;
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    if (m) {
      const repo = this.repos[m[1]!];
      const file = repo?.files[m[3]!];
      if (!repo || file === undefined) {
        res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end();
        return;
      }
      if (denied(repo)) {
        res.writeHead(401).end();
        return;
      }
      const b = this.bytes(file);
      if (isLfs(m[3]!)) {
        const oid = sha('sha256', b);
        res
          .writeHead(302, {
            location: `/cdn/${m[1]}/${oid}?name=${encodeURIComponent(m[3]!)}`,
            'x-repo-commit': repo.commit!,
            'x-linked-etag': `"${oid}"`,
            'x-linked-size': String(b.length),
            etag: '"pointer"',
          })
          .end();
        return;
      }
      res.writeHead(200, {
        etag: `"${sha('sha1', b)}"`,
        'x-repo-commit': repo.commit!,
        'content-length': String(b.length),
      });
      res.end(req.method === 'HEAD' ? undefined : b);
      return;
    }
    m = /^\/cdn\/([^/]+\/[^/]+)\/([0-9a-f]+)\?name=(.+)$/.exec(url);
    if (m) {
      const b = this.bytes(this.repos[m[1]!]!.files[m[3]!]!);
      let start = 0;
      const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      if (range) start = Number(range[1]);
      const body = b.subarray(start);
      res.writeHead(range ? 206 : 200, {
        'content-length': String(body.length),
        ...(range ? { 'content-range': `bytes ${start}-${b.length - 1}/${b.length}` } : {}),
      });
      const cut = this.breakAfter.get(m[3]!);
      if (cut !== undefined && req.method !== 'HEAD') {
        this.breakAfter.delete(m[3]!);
        res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404).end();
  }
}
