// The habits of issue 13, checked on the source: Biome's formatter and linter pass, no source file
// grows past 400 lines and no line past 120 columns. Files that were over before the rule are listed
// below with the size they had; the list may only shrink (a listed file that drops under the limit
// must be taken off, so the debt stays visible).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/paths.js';
import { LONG_FILES, WIDE_LINES } from './habits-debt.js';

const SOURCE_DIRS = ['src', 'demo/src'];
const MAX_LINES = 400;
const MAX_COLUMNS = 120;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(REPO, dir))) {
    const rel = join(dir, name);
    if (statSync(join(REPO, rel)).isDirectory()) out.push(...sources(rel));
    else if (/\.(ts|mjs|js|wgsl)$/.test(name)) out.push(rel);
  }
  return out;
}

const files = SOURCE_DIRS.flatMap(sources).map((path) => {
  const lines = readFileSync(join(REPO, path), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { path, lines: lines.length, wide: lines.filter((l) => l.length > MAX_COLUMNS).length };
});

test('biome check (formatter and linter) passes: npm run lint', () => {
  const bin = join(REPO, 'node_modules', '.bin', 'biome');
  const r = spawnSync(bin, ['check', '.'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, `biome check failed (run npm run format):\n${(r.stdout + r.stderr).slice(-4000)}`);
});

test(`no source file over ${MAX_LINES} lines beyond the recorded debt, and the debt only shrinks`, () => {
  const problems: string[] = [];
  for (const f of files) {
    const allowed = LONG_FILES[f.path];
    if (f.lines > (allowed ?? MAX_LINES)) problems.push(`${f.path}: ${f.lines} lines (limit ${allowed ?? MAX_LINES})`);
    if (allowed !== undefined && f.lines <= MAX_LINES)
      problems.push(`${f.path}: now ${f.lines}, take it off LONG_FILES`);
  }
  for (const path of Object.keys(LONG_FILES)) {
    if (!files.some((f) => f.path === path)) problems.push(`${path}: gone, take it off LONG_FILES`);
  }
  assert.deepEqual(problems, []);
});

test(`no line over ${MAX_COLUMNS} columns beyond the recorded debt, and the debt only shrinks`, () => {
  const problems: string[] = [];
  for (const f of files) {
    const allowed = WIDE_LINES[f.path] ?? 0;
    if (f.wide > allowed) problems.push(`${f.path}: ${f.wide} lines over ${MAX_COLUMNS} columns (allowed ${allowed})`);
    if (allowed > 0 && f.wide < allowed) problems.push(`${f.path}: now ${f.wide} wide lines, lower WIDE_LINES`);
  }
  assert.deepEqual(problems, []);
});

test('the recorded debt names real files', () => {
  const known = new Set(files.map((f) => relative('.', f.path)));
  const stale = [...Object.keys(LONG_FILES), ...Object.keys(WIDE_LINES)].filter((p) => !known.has(p));
  assert.deepEqual(stale, []);
});
