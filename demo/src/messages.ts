// Status line and error box: errors get a readable title (which part failed) over their detail.

import { clear, h } from './dom.js';
import { el } from './elements.js';

export function status(text: string, kind: 'info' | 'busy' | 'ok' = 'info'): void {
  el.status.className = `status ${kind}`;
  el.status.textContent = text;
}

function readable(e: unknown): { title: string; detail: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  const m = err.message || String(err);
  const first = m.split('\n')[0]!;
  let title = 'Something went wrong';
  if (/no plan|infeasible|deadline|exceeds (TTFT|TPOT)|misses (TTFT|TPOT)/i.test(m))
    title = 'No plan meets this service level';
  else if (/\.ya?ml\b|agent graph|tool '|node '/i.test(m)) title = 'The agent graph failed';
  else if (/onnx|protobuf|model|opset|import/i.test(m)) title = 'This model could not be loaded';
  else if (/device|adapter|gpu|worker|remote|fetch|network/i.test(m)) title = 'A device failed';
  return { title, detail: first + (m.includes('\n') ? `\n${m.slice(first.length + 1)}` : '') };
}

export function showError(e: unknown): void {
  const { title, detail } = readable(e);
  console.warn(e); // shown on the page; a warning so that tests can tell it from an unexpected error
  clear(
    el.error,
    h('b', {}, title),
    h('div', { class: 'error-detail' }, detail),
    h(
      'button',
      {
        class: 'link small',
        onclick: () => {
          el.error.hidden = true;
        },
      },
      'dismiss',
    ),
  );
  el.error.hidden = false;
  status(title, 'info');
}
export const hideError = () => {
  el.error.hidden = true;
};
