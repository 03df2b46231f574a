/** A small element builder: text goes in as text nodes, never as HTML. */
export type Child = Node | string | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

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
