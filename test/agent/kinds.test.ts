// Node kinds live in one registry, one file per kind: every kind of the schema is registered with
// its check, lower, cost and execute; and no code outside src/agent/nodes/ branches on a node's
// kind (a static check over the agent code, the CLI command, the demo and the bench).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { NODE_KINDS } from '../../src/agent/graph/spec.js';
import { NODE_KIND_DEFS } from '../../src/agent/nodes/registry.js';
import { REPO } from '../helpers/paths.js';

function sources(dir: string): string[] {
  const abs = join(REPO, dir);
  if (statSync(abs).isFile()) return [dir];
  return readdirSync(abs).flatMap((name) => {
    const rel = join(dir, name);
    return statSync(join(REPO, rel)).isDirectory() ? sources(rel) : /\.(ts|mjs)$/.test(name) ? [rel] : [];
  });
}

/** Lines that compare a model's kind (llm/embed), not a node's: allowed, with the reason. */
const NOT_NODE_KINDS: Record<string, RegExp> = {
  'src/agent/load.ts': /\bm\.kind === '(llm|embed)'/,
};

describe('agent node kinds', () => {
  it('every kind of the schema is registered with check, lower, cost, placement and execute', () => {
    assert.deepEqual(Object.keys(NODE_KIND_DEFS).sort(), [...NODE_KINDS].sort());
    for (const k of NODE_KINDS) {
      const def = NODE_KIND_DEFS[k];
      assert.equal(def.kind, k);
      for (const f of ['check', 'lower', 'cost', 'execute', 'resolve', 'placementOf', 'pin', 'models'] as const)
        assert.equal(typeof def[f], 'function', `${k}: ${f}`);
    }
  });

  it('each kind is defined in its own file under src/agent/nodes/', () => {
    for (const k of NODE_KINDS) {
      const text = readFileSync(join(REPO, 'src/agent/nodes', `${k}.ts`), 'utf8');
      assert.match(text, new RegExp(`export const ${k}Kind: NodeKindDef<'${k}'>`), `nodes/${k}.ts defines ${k}Kind`);
    }
  });

  it('no switch or comparison over node kinds outside src/agent/nodes/', () => {
    const kinds = NODE_KINDS.join('|');
    const caseRe = new RegExp(`\\bcase '(${kinds})'`);
    const cmpRe = new RegExp(`\\.kind\\s*[!=]==?\\s*'(${kinds})'`);
    const scope = ['src/agent', 'src/cli/commands/agent.ts', 'src/server', 'demo/src', 'bench/agent.ts'];
    const found: string[] = [];
    for (const file of scope.flatMap(sources)) {
      if (file.startsWith(join('src', 'agent', 'nodes'))) continue;
      // the LLM runtime's own 'tool' roles and formats are not node kinds
      if (file.startsWith(join('src', 'agent', 'llm'))) continue;
      readFileSync(join(REPO, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (!caseRe.test(line) && !cmpRe.test(line)) return;
          if (NOT_NODE_KINDS[relative('.', file)]?.test(line)) return;
          found.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(found, [], 'branch on a node kind through kindOf() (src/agent/nodes/registry.ts)');
  });
});
