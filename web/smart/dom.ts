import { h } from '../shared/dom.js';

export { h, type Child } from '../shared/dom.js';

/** A table with a caption, column headers and one header cell per row (the first column). */
export function table(caption: string, head: string[], rows: string[][], id?: string): HTMLElement {
  const t = h(
    'table',
    { id },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...rows.map((r) => h('tr', {}, ...r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c))))),
    ),
  );
  // A wide table scrolls in its own box, which the keyboard can reach.
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption }, t);
}
