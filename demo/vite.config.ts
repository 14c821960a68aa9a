// The Switchyard demo (Vite). `npm run demo` serves it in development (with a local offload server
// when one exists); `npm run build:demo` writes a static build to dist/demo. Pages are served with
// COOP/COEP so the page is cross-origin isolated: SharedArrayBuffer for the WASM worker threads.
import { defineConfig, type Plugin } from 'vite';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const demo = dirname(fileURLToPath(import.meta.url));
const repo = resolve(demo, '..');

export const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Folders of the repo served under a URL prefix in development and copied into the build. */
const MOUNTS: Record<string, string> = {
  'models/': join(repo, 'examples/models'),
  // where the bundled library looks by default (new URL('../../../../wasm/build/', import.meta.url)
  // from assets/, clamped at the site root)
  'wasm/build/': join(repo, 'wasm/build'),
  // the example agent graph, its documents, its tool module and its seeded models (models/chat,
  // models/embed: scripts/demo.js makes them before Vite starts)
  'agent/': join(repo, 'examples/agent'),
};

/** Files a mount serves: nested folders too ('models/chat/config.json'); not the Node-only launcher. */
const NODE_ONLY = new Set(['start.mjs']);
function files(dir: string, sub = ''): string[] {
  if (!existsSync(join(dir, sub))) return [];
  return readdirSync(join(dir, sub)).flatMap((f) => {
    const rel = sub ? `${sub}/${f}` : f;
    if (statSync(join(dir, rel)).isDirectory()) return files(dir, rel);
    return NODE_ONLY.has(rel) ? [] : [rel];
  });
}

const CONTENT_TYPES: Record<string, string> = {
  '.wasm': 'application/wasm', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json',
  '.jsonl': 'application/jsonl', '.yaml': 'text/yaml; charset=utf-8',
};
const contentType = (name: string) => CONTENT_TYPES[/\.[^.]+$/.exec(name)?.[0] ?? ''] ?? 'application/octet-stream';

function mounts(): Plugin {
  return {
    name: 'switchyard-mounts',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        // in development the library's kernels resolve from its TypeScript sources ('../../../../wasm/build/'
        // is written for dist/src/backends/wasm), one folder above the repo: any …/wasm/build/x.wasm is ours
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\//, '')
          .replace(/^.*\/(wasm\/build\/[\w.-]+\.wasm)$/, '$1');
        for (const [prefix, dir] of Object.entries(MOUNTS)) {
          if (!path.startsWith(prefix)) continue;
          const name = path.slice(prefix.length);
          // a 404, not Vite's index.html fallback: loaders probe optional files (tokenizer_config.json)
          if (!files(dir).includes(name)) { res.statusCode = 404; res.end(); return; }
          res.setHeader('Content-Type', contentType(name));
          for (const [k, v] of Object.entries(ISOLATION)) res.setHeader(k, v);
          createReadStream(join(dir, name)).pipe(res);
          return;
        }
        next();
      });
    },
    generateBundle() {
      for (const [prefix, dir] of Object.entries(MOUNTS)) {
        for (const f of files(dir)) this.emitFile({ type: 'asset', fileName: prefix + f, source: readFileSync(join(dir, f)) });
      }
    },
  };
}

/**
 * The library starts worker threads with `new Worker(new URL('./worker.js', import.meta.url))` on a
 * separate line, which Vite cannot see as a worker: point such URLs at a Vite worker bundle
 * (`?worker&url`) of the sibling TypeScript source instead, in development and in the build.
 */
function libraryWorkers(): Plugin {
  const pattern = /new URL\((['"])\.\/([\w-]*worker[\w-]*)\.js\1,\s*import\.meta\.url\)/g;
  return {
    name: 'switchyard-library-workers',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0]!;
      if (!file.startsWith(join(repo, 'src')) || !file.endsWith('.ts') || !pattern.test(code)) return;
      pattern.lastIndex = 0;
      const imports: string[] = [];
      const out = code.replace(pattern, (whole, _q, name: string) => {
        if (!existsSync(join(dirname(file), `${name}.ts`))) return whole;
        const v = `__syWorker${imports.length}`;
        imports.push(`import ${v} from './${name}.ts?worker&url';`);
        return `new URL(${v}, import.meta.url)`;
      });
      return imports.length ? { code: `${imports.join('\n')}\n${out}`, map: null } : undefined;
    },
  };
}

/** The bundled example models, listed at build time (`virtual:examples`). */
function examples(): Plugin {
  const id = 'virtual:examples';
  return {
    name: 'switchyard-examples',
    resolveId: (s) => (s === id ? '\0' + id : undefined),
    load(s) {
      if (s !== '\0' + id) return;
      const list = files(MOUNTS['models/']!).filter((f) => f.endsWith('.onnx')).map((f) => ({ file: f, bytes: statSync(join(MOUNTS['models/']!, f)).size }));
      // agent graphs with their models made (a graph whose models are missing could not load)
      const agentDir = MOUNTS['agent/']!;
      const agents = files(agentDir).filter((f) => /^[\w-]+\.ya?ml$/.test(f) && existsSync(join(agentDir, 'models/chat/model.safetensors')))
        .map((f) => ({ id: f.replace(/\.ya?ml$/, ''), file: `agent/${f}` }));
      return `export default ${JSON.stringify(list)};\nexport const agents = ${JSON.stringify(agents)};`;
    },
  };
}

export default defineConfig({
  root: demo,
  base: './',
  publicDir: false,
  clearScreen: false,
  plugins: [mounts(), examples(), libraryWorkers()],
  server: { host: '127.0.0.1', port: 5173, headers: ISOLATION, fs: { allow: [repo] } },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION },
  worker: { format: 'es' },
  build: { outDir: join(repo, 'dist/demo'), emptyOutDir: true, target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 2000 },
});
