// Planner benchmark (npm run bench:planner): quality of each placement algorithm against the
// proven optimum on random DAGs of 6-10 tasks and 2-4 devices, and the fleet TCO comparison with
// its sources. Prints tables; asserts nothing. `--quick` runs fewer instances.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { table } from '../src/cli/table.js';
import { getProfile } from '../src/cost/catalog/index.js';
import { compareFleets, rooflineRatios } from '../src/planner/fleet/compare.js';
import type { DerivedFleetInput } from '../src/planner/fleet/derive.js';
import {
  type Algorithm,
  buildInstance,
  exactSearch,
  makespan,
  randomProblem,
  scheduleCost,
  solve,
} from '../src/planner/index.js';

const quick = process.argv.includes('--quick');
const seeds = quick ? 4 : 12;
const root = join(import.meta.dirname, '../..');

interface Row {
  n: number;
  worst: number;
  sum: number;
  optimal: number;
}
const rows = new Map<string, Row>();
const add = (name: string, ratio: number) => {
  const r = rows.get(name) ?? { n: 0, worst: 1, sum: 0, optimal: 0 };
  r.n++;
  r.sum += ratio;
  r.worst = Math.max(r.worst, ratio);
  if (ratio <= 1 + 1e-9) r.optimal++;
  rows.set(name, r);
};

let unproven = 0;
let instances = 0;
const t0 = performance.now();
for (let tasks = 6; tasks <= 10; tasks++) {
  for (let devices = 2; devices <= 4; devices++) {
    for (let s = 0; s < seeds; s++) {
      const seed = tasks * 1000 + devices * 100 + s;
      const p = randomProblem({ tasks, devices, seed, restrict: 0.1, density: 0.3, ccr: [0.2, 0.5, 1, 2][s % 4] });
      const inst = buildInstance(p);
      const opt = exactSearch(inst, { nodeLimit: 20_000_000 });
      if (!opt.optimal || !opt.schedule) {
        unproven++;
        continue;
      }
      instances++;
      const best = makespan(opt.schedule);
      const algos: [string, Algorithm][] = [
        ['HEFT', 'heft'],
        ['PEFT', 'peft'],
        ['list (best of HEFT/PEFT + moves)', 'list'],
      ];
      if (devices === 2) algos.push(['min-cut (2 devices; work+transfer proxy)', 'mincut']);
      algos.push(['auto (exact search here)', 'auto']);
      for (const [name, a] of algos) {
        const sch = solve(inst, { algorithm: a }).schedule;
        if (sch) add(`latency: ${name}`, makespan(sch) / best);
      }
      // cost under a deadline of 1.2x the optimum makespan: heuristic vs exact
      const ic = buildInstance(p, { objective: 'cost', deadlineMs: best * 1.2 });
      const ex = exactSearch(ic, { nodeLimit: 20_000_000 });
      const he = solve(ic, { algorithm: 'list' });
      if (ex.optimal && ex.schedule && he.feasible) {
        const c0 = scheduleCost(ic, ex.schedule),
          c1 = scheduleCost(ic, he.schedule!);
        add('cost <= 1.2x deadline: list + cost moves', c0 > 0 ? c1 / c0 : c1 <= 1e-12 ? 1 : Infinity);
      } else if (ex.optimal && ex.schedule && !he.feasible)
        add('cost <= 1.2x deadline: heuristic found no plan in time', Infinity);
    }
  }
}
const secs = ((performance.now() - t0) / 1e3).toFixed(1);
console.log(
  `Placement quality on ${instances} random DAGs (6-10 tasks x 2-4 devices, ${seeds} seeds each, CCR 0.2-2; optimum by branch and bound${unproven ? `, ${unproven} left out: not proven within the node limit` : ''}; ${secs} s)\n`,
);
console.log(
  table(
    ['algorithm', 'instances', 'mean ratio', 'worst ratio', 'optimal'],
    [...rows].map(([name, r]) => [
      name,
      r.n,
      Number.isFinite(r.sum) ? (r.sum / r.n).toFixed(4) : 'n/a',
      Number.isFinite(r.worst) ? r.worst.toFixed(3) : 'n/a',
      `${((r.optimal / r.n) * 100).toFixed(0)}%`,
    ]),
  ),
);

// ---- fleet TCO ----
const nvidia = ['L4', 'A100-80GB', 'H100', 'H200', 'B200'];
for (const file of ['fleet-llama3-8b.json', 'fleet-llama3-70b.json']) {
  const input = JSON.parse(readFileSync(join(root, 'examples/planner', file), 'utf8')) as DerivedFleetInput & {
    model: { name?: string };
  };
  for (const [label, gpus] of [
    ['NVIDIA parts, one price source', nvidia],
    ['all catalog GPUs, mixed price sources', undefined],
  ] as const) {
    const sc = await compareFleets({ ...input, gpus: gpus ? [...gpus] : undefined });
    console.log(
      `\nFleet TCO: ${input.model.name}, mix ${input.mix.map((m) => `${m.id} ${m.ratePerS}/s (${m.promptTokens}->${m.outputTokens} tok)`).join(', ')}, TTFT ${input.slo.ttftMs} ms, TPOT ${input.slo.tpotMs} ms; ${label}\n`,
    );
    const homo = sc
      .filter((s) => /homogeneous (H100|H200|B200)$/.test(s.name) && s.plan.feasible)
      .sort((a, b) => a.plan.costPerHour - b.plan.costPerHour)[0];
    console.log(
      table(
        ['fleet', '$/hour', 'vs best newest-gen homogeneous', 'counts'],
        sc.map((s) => [
          s.name,
          s.plan.feasible ? s.plan.costPerHour.toFixed(2) : 'infeasible',
          s.plan.feasible && homo ? `${((s.plan.costPerHour / homo.plan.costPerHour) * 100).toFixed(0)}%` : '',
          s.plan.feasible
            ? Object.entries(s.plan.counts)
                .map(([g, n]) => `${n}x ${g}`)
                .join(', ')
            : (s.plan.reason ?? ''),
        ]),
      ),
    );
  }
}

console.log(
  '\nRoofline cost ratios, H100 vs A100-80GB (prefill compute-bound: price/FLOP/s; decode bandwidth-bound: price/bandwidth)\n',
);
console.log(
  table(
    ['basis', 'H100 cost per prompt token (x A100)', 'A100 cheaper per generated token'],
    rooflineRatios().map((r) => [r.what, r.prompt.toFixed(2), `${r.token.toFixed(2)}x`]),
  ),
);
console.log('\nclaimed (seed paper, from Splitwise): 0.63x and 1.32x');

console.log(
  '\nCatalog figures used (dense FP16/BF16 tensor FLOP/s, HBM bandwidth, memory, on-demand $/GPU-hour) and their sources\n',
);
const used = ['A10G', 'L4', 'A100-40GB', 'A100-80GB', 'H100', 'H200', 'B200', 'MI300X', 'Gaudi3'];
console.log(
  table(
    ['part', 'TFLOP/s', 'TB/s', 'GB', '$/h', 'spec source', 'price source'],
    used.map((id) => {
      const p = getProfile(id);
      return [
        id,
        (p.peakFlops.f16!.value / 1e12).toFixed(0),
        (p.memBandwidth.value / 1e12).toFixed(2),
        (p.memCapacity.value / 1e9).toFixed(0),
        `${p.pricePerHour.value.toFixed(2)}${p.pricePerHour.estimate ? '*' : ''}`,
        p.memBandwidth.source.split(' (')[0]!,
        p.pricePerHour.source,
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'l', 'l'],
  ),
);
console.log('* estimate');
