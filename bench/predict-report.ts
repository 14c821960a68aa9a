// The bench:predict report: the rows, per configuration the share within the targets and the mean
// and worst |predicted / measured - 1|, and auto's steady time against the best single device.

export interface Row {
  workload: string;
  config: string;
  devices: string;
  firstPredMs?: number;
  firstMs?: number;
  /** The steady prediction made before any run (calibration and what other workloads taught). */
  coldSteadyMs?: number;
  /** The prediction in force for the steady runs (median over them). */
  steadyPredMs?: number;
  steadyMs?: number;
  runs?: number;
  replans?: number;
  /** The steady runs' 90th over 10th percentile: how much the machine's load moved them. */
  spread?: number;
  error?: string;
}

const STEADY_TARGET = 0.25,
  FIRST_TARGET = 0.5;

const f = (x: number | undefined) =>
  x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
const err = (p?: number, m?: number) => (p !== undefined && m !== undefined && m > 0 ? Math.abs(p / m - 1) : undefined);
const ratio = (p?: number, m?: number) => (p !== undefined && m !== undefined && m > 0 ? (p / m).toFixed(2) : '-');

function table(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i < 3 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [
    line(headers),
    `|${w.map((x, i) => (i < 3 ? `:${'-'.repeat(x + 1)}` : `${'-'.repeat(x + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

function stats(xs: (number | undefined)[], target: number): string[] {
  const v = xs.filter((x): x is number => x !== undefined);
  if (!v.length) return ['-', '-', '-'];
  const within = v.filter((x) => x <= target).length;
  return [
    `${within}/${v.length} (${Math.round((100 * within) / v.length)}%)`,
    `${((100 * v.reduce((a, b) => a + b, 0)) / v.length).toFixed(0)}%`,
    `${(100 * Math.max(...v)).toFixed(0)}%`,
  ];
}

export function renderReport(rows: Row[], o: { runs: number; quick: boolean; date: string }): string {
  const out: string[] = [];
  out.push('# bench:predict: predicted against measured, first run and steady state', '');
  out.push(
    `Run ${o.date}${o.quick ? ' (--quick)' : ''}; up to ${o.runs} steady runs per row (median of all but the first), produced by \`npm run bench:predict\`.`,
  );
  out.push(
    "First run: compiling the plan's units plus the first run (the plan predicts compile, upload, pack and first use beside the steady makespan).",
  );
  out.push(
    "Steady (cold): the plan's makespan before any run of this workload; steady: the prediction in force for the steady runs (after learning).",
  );
  out.push('');
  out.push(
    table(
      [
        'workload',
        'config',
        'ran on',
        'first pred ms',
        'first ms',
        'p/m',
        'steady cold pred',
        'steady pred ms',
        'steady ms',
        'p/m',
        'cold p/m',
        'p90/p10',
      ],
      rows.map((r) =>
        r.error
          ? [r.workload, r.config, `error: ${r.error}`, '', '', '', '', '', '', '', '', '']
          : [
              r.workload,
              r.config,
              r.devices,
              f(r.firstPredMs),
              f(r.firstMs),
              ratio(r.firstPredMs, r.firstMs),
              f(r.coldSteadyMs),
              f(r.steadyPredMs),
              f(r.steadyMs),
              ratio(r.steadyPredMs, r.steadyMs),
              ratio(r.coldSteadyMs, r.steadyMs),
              r.spread === undefined ? '-' : r.spread.toFixed(1),
            ],
      ),
    ),
  );
  out.push(
    '',
    `## Per configuration: share within target (steady ${STEADY_TARGET * 100}%, first run ${FIRST_TARGET * 100}%), mean and worst |predicted / measured - 1|`,
    '',
  );
  const configs = [...new Set(rows.map((r) => r.config))];
  const ok = rows.filter((r) => !r.error);
  const sumRows = [...configs, 'all'].map((c) => {
    const rs = ok.filter((r) => c === 'all' || r.config === c);
    return [
      c,
      String(rs.length),
      ...stats(
        rs.map((r) => err(r.steadyPredMs, r.steadyMs)),
        STEADY_TARGET,
      ),
      ...stats(
        rs.map((r) => err(r.firstPredMs, r.firstMs)),
        FIRST_TARGET,
      ),
      ...stats(
        rs.map((r) => err(r.coldSteadyMs, r.steadyMs)),
        STEADY_TARGET,
      ),
    ];
  });
  out.push(
    table(
      [
        'config',
        'rows',
        'steady within',
        'steady mean',
        'steady worst',
        'first within',
        'first mean',
        'first worst',
        'cold within',
        'cold mean',
        'cold worst',
      ],
      sumRows,
    ),
  );
  out.push('', '## auto against the best single device (steady medians)', '');
  const auto = ok.filter((r) => r.config === 'auto');
  const cmp = auto.map((a) => {
    const singles = ok.filter((r) => r.workload === a.workload && r.config !== 'auto' && r.steadyMs !== undefined);
    const best = singles.sort((x, y) => x.steadyMs! - y.steadyMs!)[0];
    return [
      a.workload,
      a.devices,
      f(a.steadyMs),
      best ? `${best.config} ${f(best.steadyMs)}` : '-',
      best ? (a.steadyMs! / best.steadyMs!).toFixed(2) : '-',
    ];
  });
  out.push(table(['workload', 'auto ran on', 'auto ms', 'best single device ms', 'auto / best'], cmp));
  const rs = cmp.map((r) => Number(r[4])).filter((x) => Number.isFinite(x));
  if (rs.length)
    out.push(
      '',
      `auto / best single device: mean ${(rs.reduce((a, b) => a + b, 0) / rs.length).toFixed(2)}, worst ${Math.max(...rs).toFixed(2)}; within 1.1x: ${rs.filter((x) => x <= 1.1).length}/${rs.length}`,
    );
  out.push('');
  return out.join('\n');
}
