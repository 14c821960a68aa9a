// Tiny DOM helpers: the page is plain TypeScript, no framework.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;

/** h('div', {class: 'x', onclick: f}, child, 'text') */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
}

export function clear(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

export const ms = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x)
    ? '–'
    : x >= 1000
      ? `${(x / 1000).toFixed(2)} s`
      : x >= 100
        ? `${x.toFixed(0)} ms`
        : x >= 1
          ? `${x.toFixed(1)} ms`
          : `${x.toFixed(2)} ms`;

export const bytes = (b: number): string =>
  b >= 2 ** 30
    ? `${(b / 2 ** 30).toFixed(1)} GiB`
    : b >= 2 ** 20
      ? `${(b / 2 ** 20).toFixed(1)} MiB`
      : b >= 1024
        ? `${(b / 1024).toFixed(1)} KiB`
        : `${b} B`;

export const dollars = (x: number): string =>
  x === 0 ? '$0' : x < 1e-6 ? `$${x.toExponential(2)}` : `$${x.toPrecision(3)}`;

export const flops = (x: number): string =>
  x >= 1e12 ? `${(x / 1e12).toFixed(1)} TFLOP/s` : `${(x / 1e9).toFixed(1)} GFLOP/s`;

/** A floating tooltip shared by the drawings (nicer than <title>, and it works on touch). */
let tip: HTMLDivElement | undefined;
export function tooltip(target: Element, content: () => Node | string): void {
  const show = (e: Event) => {
    tip ??= document.body.appendChild(h('div', { class: 'tooltip', role: 'tooltip' }));
    clear(tip, content());
    tip.style.display = 'block';
    move(e as MouseEvent);
  };
  const move = (e: MouseEvent) => {
    if (!tip) return;
    const pad = 14,
      r = tip.getBoundingClientRect();
    const x = Math.min(e.clientX + pad, window.innerWidth - r.width - 8);
    const y = e.clientY + pad + r.height > window.innerHeight ? e.clientY - r.height - pad : e.clientY + pad;
    tip.style.left = `${Math.max(8, x)}px`;
    tip.style.top = `${Math.max(8, y)}px`;
  };
  target.addEventListener('mouseenter', show);
  target.addEventListener('mousemove', (e) => move(e as MouseEvent));
  target.addEventListener('mouseleave', () => {
    if (tip) tip.style.display = 'none';
  });
}
