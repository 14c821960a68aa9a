// The shared browser harness for tests and benchmarks: Debian's Chromium through playwright-core
// (never a downloaded browser) with the flags that run WebGPU headless on a GPU-less machine
// (shared/webgpu-headless.md: SwiftShader), and a static file server on 127.0.0.1 that sends
// COOP/COEP, so pages are cross-origin isolated (SharedArrayBuffer for WASM threads) and a secure
// context (WebGPU).

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Headless Chromium with the WebGPU flags (playwright gives every launch a fresh temporary profile). */
export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH} (npm run setup installs Debian's chromium; CHROMIUM_PATH picks another)`,
    );
  const spec = 'playwright-core';
  const { chromium } = (await import(spec)) as typeof import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  return { browser, close: () => browser.close().catch(() => undefined) };
}

/** A page that records console errors and uncaught exceptions, for assertions and failure messages. */
export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1440, height: 1000 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // the URL says which request failed when the message is a network error ('Failed to load resource')
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}${m.location().url ? ` (${m.location().url})` : ''}`);
  });
  await page.goto(url);
  return { page, errors };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
};

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export interface StaticServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serve folders on 127.0.0.1 (ephemeral port unless given): `mounts` maps URL prefixes ('/', '/dist/')
 * to folders; GET/HEAD only, nothing outside the folders, '/' serves index.html, every response
 * carries COOP/COEP (unless `isolate: false`, to test a page that is not isolated).
 */
export async function startStaticServer(
  mounts: Record<string, string>,
  o: { port?: number; isolate?: boolean } = {},
): Promise<StaticServer> {
  const headers: Record<string, string> = {
    'Cache-Control': 'no-store',
    ...(o.isolate === false ? {} : ISOLATION_HEADERS),
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, headers).end();
      return;
    }
    const prefix = Object.keys(mounts)
      .filter((p) => path.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, headers).end();
      return;
    }
    const root = normalize(mounts[prefix]!);
    let file = normalize(join(root, path.slice(prefix.length)));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
      res.writeHead(403, headers).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
    } catch {
      /* 404 below */
    }
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(o.port ?? 0, '127.0.0.1', () => r());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
