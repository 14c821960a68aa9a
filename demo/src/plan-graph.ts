// The plan drawn as a graph: one box per placed unit, coloured by its device, laid out with dagre;
// edges that cross devices are transfers (dashed, with their size); hovering a box shows the ops
// inside and the planner's reason for putting it there.

import dagre from '@dagrejs/dagre';
import type { Value } from '../../src/ir/graph.js';
import type { HeteroPrepared } from '../../src/runtime/auto-backend.js';
import { deviceColor } from './colors.js';
import { bytes, clear, h, ms, s, tooltip } from './dom.js';

const W = 176,
  H = 58,
  PILL_W = 120,
  PILL_H = 28;

const valueBytes = (v: Value) => {
  const t = v.type;
  if (!t?.shape) return 0;
  const per = /64/.test(t.dtype) ? 8 : /16/.test(t.dtype) ? 2 : /8|bool/.test(t.dtype) ? 1 : 4;
  return t.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), per);
};

const shortOp = (op: string) => op.replace(/^(nn|k)\./, '');

export function drawPlanGraph(
  host: HTMLElement,
  hp: HeteroPrepared,
  hostDevice: string,
  outputs: readonly Value[],
): void {
  const plan = hp.plan;
  const byTask = new Map(plan.assignments.map((a) => [a.task, a]));
  const kindOf = new Map(hp.devices.map((d) => [d.device.id, d.device.kind]));
  // a unit that ran may cover several of the plan's (a same-device chain runs as one)
  const ranOn = new Map(
    (hp.lastRunPlan === plan ? (hp.lastReport?.units ?? []) : []).flatMap((u) =>
      (u.tasks ?? [u.unit]).map((t) => [t, u] as const),
    ),
  );
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 46, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));

  const producer = new Map<Value, string>();
  for (const p of hp.placed) for (const v of p.unit.outputs) producer.set(v, p.id);
  const deviceOf = (id: string) =>
    id.startsWith('in:') || id.startsWith('out:') ? hostDevice : (byTask.get(id)?.device ?? hostDevice);

  for (const p of hp.placed) g.setNode(p.id, { width: W, height: H });
  const edges: { from: string; to: string; value: Value }[] = [];
  for (const p of hp.placed) {
    for (const v of p.unit.inputs) {
      if (v.isConst) continue;
      const from = producer.get(v) ?? `in:${v.name}`;
      if (from.startsWith('in:')) g.setNode(from, { width: PILL_W, height: PILL_H });
      edges.push({ from, to: p.id, value: v });
    }
  }
  // graph outputs leave from their producing unit
  for (const v of outputs) {
    if (!producer.has(v)) continue;
    const to = `out:${v.name}`;
    g.setNode(to, { width: PILL_W, height: PILL_H });
    edges.push({ from: producer.get(v)!, to, value: v });
  }
  edges.forEach((e, i) => g.setEdge(e.from, e.to, {}, String(i)));
  dagre.layout(g);

  // the drawing's extent: boxes and edge curves (dagre's size leaves out curves that bulge)
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  const grow = (x: number, y: number) => {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  };
  for (const id of g.nodes()) {
    const n = g.node(id) as { x: number; y: number; width: number; height: number };
    grow(n.x - n.width / 2, n.y - n.height / 2);
    grow(n.x + n.width / 2, n.y + n.height / 2);
  }
  for (const e of g.edges())
    for (const p of (g.edge(e) as { points: { x: number; y: number }[] }).points) grow(p.x, p.y);
  if (!Number.isFinite(x0)) {
    x0 = y0 = 0;
    x1 = 200;
    y1 = 80;
  }
  const M = 10,
    width = x1 - x0 + 2 * M,
    height = y1 - y0 + 2 * M;
  // shrink to the panel down to 60 %, then scroll: labels stay readable
  const avail = host.clientWidth || width;
  const shown = Math.max(Math.min(width, avail), width * 0.6);
  const svg = s('svg', {
    viewBox: `${x0 - M} ${y0 - M} ${width} ${height}`,
    width: shown,
    height: (height * shown) / width,
    class: 'plan-graph',
    role: 'img',
    'aria-label': 'plan graph',
  });
  svg.append(
    s(
      'defs',
      {},
      s(
        'marker',
        {
          id: 'arr',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#94a3b8' }),
      ),
      s(
        'marker',
        {
          id: 'arr-x',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#dc2626' }),
      ),
    ),
  );

  edges.forEach((e, i) => {
    const pts = (g.edge({ v: e.from, w: e.to, name: String(i) }) as { points: { x: number; y: number }[] }).points;
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const a = deviceOf(e.from),
      b = deviceOf(e.to);
    const crosses = a !== b;
    const path = s('path', {
      d,
      class: crosses ? 'edge transfer' : 'edge',
      'marker-end': crosses ? 'url(#arr-x)' : 'url(#arr)',
    });
    const grp = s('g', {}, path);
    if (crosses) {
      const mid = pts[Math.floor(pts.length / 2)]!;
      const label = bytes(valueBytes(e.value));
      grp.append(
        s('rect', { x: mid.x - 26, y: mid.y - 8, width: 52, height: 16, rx: 8, class: 'edge-label-bg' }),
        s('text', { x: mid.x, y: mid.y + 4, class: 'edge-label' }, label),
      );
      tooltip(grp, () =>
        h(
          'div',
          {},
          h('b', {}, `transfer ${e.value.name}`),
          h('div', {}, `${a} → ${b}, ${bytes(valueBytes(e.value))}`),
          h('div', { class: 'muted' }, 'values cross devices through the host: download, then upload'),
        ),
      );
    }
    svg.append(grp);
  });

  for (const id of g.nodes()) {
    const n = g.node(id) as { x: number; y: number; width: number; height: number };
    const x = n.x - n.width / 2,
      y = n.y - n.height / 2;
    if (id.startsWith('in:') || id.startsWith('out:')) {
      const name = id.slice(id.indexOf(':') + 1);
      svg.append(
        s(
          'g',
          { class: 'io' },
          s('rect', { x, y, width: n.width, height: n.height, rx: n.height / 2 }),
          s(
            'text',
            { x: n.x, y: n.y + 4 },
            (id.startsWith('in:') ? '▶ ' : '') +
              (name.length > 14 ? `${name.slice(0, 13)}…` : name) +
              (id.startsWith('out:') ? ' ▶' : ''),
          ),
        ),
      );
      continue;
    }
    const p = hp.placed.find((q) => q.id === id)!;
    const a = byTask.get(id);
    const dev = a?.device ?? p.device;
    const ran = ranOn.get(id);
    const moved = ran && ran.device !== dev;
    const color = deviceColor(dev, kindOf.get(dev));
    const ops = p.unit.nodes.map((nd) => shortOp(nd.op));
    const opText = ops.length > 2 ? `${ops[0]} +${ops.length - 1}` : ops.join(' + ');
    const box = s(
      'g',
      { class: `unit${moved ? ' moved' : ''}`, 'data-unit': id, 'data-device': dev },
      s('rect', { x, y, width: W, height: H, rx: 6, class: 'unit-box', stroke: color }),
      s('rect', { x, y, width: 6, height: H, rx: 3, fill: color }),
      s('text', { x: x + 14, y: y + 19, class: 'unit-title' }, id.length > 22 ? id.slice(0, 21) + '…' : id),
      s('text', { x: x + 14, y: y + 35, class: 'unit-ops' }, opText.length > 26 ? opText.slice(0, 25) + '…' : opText),
      s(
        'text',
        { x: x + 14, y: y + 50, class: 'unit-dev', fill: color },
        `${dev}${a ? ` · ${ms(a.endMs - a.startMs)}` : ''}${moved ? ` → ran on ${ran!.device}` : ''}`,
      ),
    );
    tooltip(box, () =>
      h(
        'div',
        {},
        h('b', {}, id),
        h('span', { class: 'muted' }, ` on ${dev}`),
        h(
          'div',
          { class: 'tip-ops' },
          p.unit.nodes.map((nd) => h('code', {}, nd.op)),
        ),
        a ? h('div', {}, `planned ${ms(a.startMs)} → ${ms(a.endMs)} (${ms(a.endMs - a.startMs)})`) : null,
        ran ? h('div', {}, `measured ${ms(ran.endMs - ran.startMs)} on ${ran.device}`) : null,
        a ? h('div', { class: 'tip-reason' }, a.reason) : null,
      ),
    );
    svg.append(box);
  }
  clear(host, svg);
}
