#!/usr/bin/env node
// The `switchyard` command. The TypeScript sources are compiled to dist/ by `npm run build`
// (run automatically by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('switchyard: dist/ is missing; run `npm run build` (npm ci does it through the prepare script)');
  process.exit(1);
}
await import(main.href);
