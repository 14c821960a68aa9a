// switchyard fleet <fleet.json>: the cheapest fleet per hour that serves a request mix within its
// SLA (Mélange's ILP, solved with HiGHS). Takes the abstract form {gpuTypes, classes} or the
// derived form {model, mix, slo} sized by the roofline model; --compare prints mixed vs
// homogeneous fleets and the H100/A100 cost ratios.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compareFleets, rooflineRatios } from '../../planner/fleet/compare.js';
import { type DerivedFleetInput, deriveFleet } from '../../planner/fleet/derive.js';
import { solveFleet } from '../../planner/fleet/ilp.js';
import type { FleetPlan, FleetProblem } from '../../planner/fleet/types.js';
import { table } from '../table.js';

function read(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(
      `${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

function fleetText(p: FleetPlan): string {
  if (!p.feasible) return `INFEASIBLE: ${p.reason}`;
  const lines = [`cost ${p.costPerHour.toFixed(2)} $/hour`, ''];
  lines.push(
    table(
      ['gpu', 'count', 'utilization'],
      Object.entries(p.counts).map(([g, n]) => [g, n, `${((p.utilization?.[g] ?? 0) * 100).toFixed(1)}%`]),
    ),
  );
  lines.push('');
  lines.push(
    table(
      ['class', 'gpu', 'req/s'],
      p.split.map((s) => [s.class, s.gpu, s.ratePerS.toFixed(2)]),
      ['l', 'l', 'r'],
    ),
  );
  return lines.join('\n');
}

export function registerFleet(program: Command): void {
  program
    .command('fleet')
    .description('size the cheapest GPU fleet that serves a request mix within its SLA (ILP with HiGHS)')
    .argument('<fleet>', 'fleet problem as JSON: {gpuTypes, classes} or {model, mix, slo}')
    .option('--json', 'print one JSON object')
    .option('--compare', 'derived input only: best mixed vs homogeneous fleets and H100/A100 roofline ratios')
    .action(async (path: string, o: { json?: boolean; compare?: boolean }) => {
      const input = read(path) as Record<string, unknown>;
      const derived = input && typeof input === 'object' && 'model' in input;
      if (o.compare) {
        if (!derived) throw new Error('--compare needs the derived form {model, mix, slo}');
        const scenarios = await compareFleets(input as unknown as DerivedFleetInput);
        const ratios = rooflineRatios();
        if (o.json) {
          console.log(JSON.stringify({ scenarios, ratios }));
          return;
        }
        console.log(
          table(
            ['fleet', '$/hour', 'counts'],
            scenarios.map((s) => [
              s.name,
              s.plan.feasible ? s.plan.costPerHour.toFixed(2) : 'infeasible',
              s.plan.feasible
                ? Object.entries(s.plan.counts)
                    .map(([g, n]) => `${n}x ${g}`)
                    .join(', ')
                : (s.plan.reason ?? ''),
            ]),
          ),
        );
        console.log();
        console.log(
          table(
            ['H100 vs A100', 'prompt cost ratio', 'A100 cheaper per token'],
            ratios.map((r) => [r.what, r.prompt.toFixed(2), `${r.token.toFixed(2)}x`]),
          ),
        );
        return;
      }
      let plan: FleetPlan;
      let extra: Record<string, unknown> = {};
      if (derived) {
        const { problem, rates } = deriveFleet(input as unknown as DerivedFleetInput);
        plan = await solveFleet(problem);
        extra = { derived: { gpuTypes: problem.gpuTypes, classes: problem.classes, rates } };
      } else plan = await solveFleet(input as unknown as FleetProblem);
      if (o.json) console.log(JSON.stringify({ ...plan, ...extra }));
      else console.log(fleetText(plan));
      if (!plan.feasible) process.exitCode = 2;
    });
}
