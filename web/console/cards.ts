/**
 * Cards drawn the way an EHR shows them. Severity is told three ways at once (colour, icon shape and
 * a text label) so that colour is never the only signal. Accepting a suggestion or overriding a
 * card sends the same feedback an EHR sends.
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { describeServiceFailure, postJson } from './api.js';
import { h as el } from '../shared/dom.js';

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface Card {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url?: string; topic?: Coding };
  suggestions?: {
    label: string;
    uuid?: string;
    isRecommended?: boolean;
    actions?: { type: string; description: string; resource?: unknown }[];
  }[];
  overrideReasons?: Coding[];
  links?: { label: string; url: string; type: string }[];
}

const INDICATOR_LABEL = { info: 'Info', warning: 'Warning', critical: 'Critical' } as const;

const SVG = 'http://www.w3.org/2000/svg';

/** A distinct shape per severity: circle (info), triangle (warning), octagon (critical). */
function indicatorIcon(indicator: Card['indicator']): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const shape = document.createElementNS(SVG, indicator === 'info' ? 'circle' : 'path');
  if (indicator === 'info') {
    shape.setAttribute('cx', '12');
    shape.setAttribute('cy', '12');
    shape.setAttribute('r', '11');
  } else if (indicator === 'warning') {
    shape.setAttribute('d', 'M12 1 L23 22 L1 22 Z');
  } else {
    shape.setAttribute('d', 'M7 1 H17 L23 7 V17 L17 23 H7 L1 17 V7 Z');
  }
  shape.setAttribute('fill', 'currentColor');
  const mark = document.createElementNS(SVG, 'path');
  // "i" for info, "!" otherwise, drawn as strokes so no font is needed.
  mark.setAttribute('d', indicator === 'info' ? 'M12 10 V18 M12 6 V7.5' : 'M12 8 V15 M12 18 V19.5');
  mark.setAttribute('stroke', '#fff');
  mark.setAttribute('stroke-width', '2.6');
  mark.setAttribute('stroke-linecap', 'round');
  svg.append(shape, mark);
  return svg;
}

/** Card detail is GitHub-flavoured Markdown from the service; it is sanitised before it reaches the page. */
function markdown(text: string): HTMLElement {
  const box = el('div', { class: 'detail' });
  box.innerHTML = DOMPurify.sanitize(marked.parse(text, { async: false, gfm: true }) as string);
  for (const a of box.querySelectorAll('a')) {
    a.setAttribute('rel', 'noopener noreferrer');
    a.setAttribute('target', '_blank');
  }
  return box;
}

/** Only web addresses become links: a card's URL is data, never something the page runs. */
function link(url: string | undefined, label: string): HTMLElement | string {
  let ok = false;
  try {
    ok = url !== undefined && ['http:', 'https:'].includes(new URL(url, location.href).protocol);
  } catch {
    ok = false;
  }
  return ok ? el('a', { href: url as string, rel: 'noopener noreferrer', target: '_blank' }, label) : label;
}

export interface FeedbackTarget {
  serviceId: string;
  now: () => Date;
}

let cardCount = 0;

export function renderCards(container: HTMLElement, cards: Card[], target: FeedbackTarget): void {
  container.replaceChildren();
  if (cards.length === 0) {
    container.append(el('p', { class: 'status' }, 'The service answered with no cards for this patient and order.'));
    return;
  }
  for (const card of cards) container.append(renderCard(card, target));
}

function renderCard(card: Card, target: FeedbackTarget): HTMLElement {
  const n = ++cardCount;
  const topic = card.source.topic?.code ?? '';
  const article = el('article', {
    class: `card ${card.indicator}`,
    'aria-labelledby': `card-${n}-summary`,
    'data-topic': topic,
    'data-uuid': card.uuid,
  });
  const indicator = el(
    'span',
    { class: `indicator ${card.indicator}` },
    indicatorIcon(card.indicator),
    INDICATOR_LABEL[card.indicator] ?? card.indicator,
  );
  article.append(
    el('div', { class: 'card-head' }, indicator, ...(topic ? [el('span', { class: 'topic' }, `topic: ${topic}`)] : [])),
    el('h2', { id: `card-${n}-summary` }, card.summary),
  );
  if (card.detail) article.append(markdown(card.detail));
  article.append(el('p', { class: 'source' }, 'Source: ', link(card.source.url, card.source.label)));
  for (const l of card.links ?? []) article.append(el('p', { class: 'source' }, 'Link: ', link(l.url, l.label)));

  const outcome = el('p', { class: 'outcome', role: 'status' });
  const error = el('div', { class: 'alert', role: 'alert' });
  const controls: (HTMLButtonElement | HTMLSelectElement | HTMLInputElement)[] = [];
  const decided = (message: string) => {
    outcome.textContent = message;
    for (const c of controls) c.disabled = true;
  };
  const send = async (item: Record<string, unknown>, done: string) => {
    error.textContent = '';
    for (const c of controls) c.disabled = true;
    const answer = await postJson(`/cds-services/${encodeURIComponent(target.serviceId)}/feedback`, {
      feedback: [{ card: card.uuid, outcomeTimestamp: target.now().toISOString(), ...item }],
    });
    if (answer.status === 200) return decided(done);
    for (const c of controls) c.disabled = false;
    error.textContent = describeServiceFailure(answer, 'The feedback was not stored');
  };

  if (card.suggestions?.length) {
    const box = el('div', { class: 'suggestions' }, el('h3', {}, 'Suggestions'));
    card.suggestions.forEach((s, i) => {
      const accept = el(
        'button',
        { type: 'button', class: 'primary', id: `card-${n}-accept-${i}` },
        `Accept: ${s.label}`,
      );
      controls.push(accept);
      accept.addEventListener('click', () => {
        if (!s.uuid) {
          error.textContent = 'This suggestion has no uuid, so its acceptance cannot be reported.';
          return;
        }
        void send(
          { outcome: 'accepted', acceptedSuggestions: [{ id: s.uuid }] },
          `Accepted “${s.label}”: feedback stored.`,
        );
      });
      const row = el(
        'div',
        { class: 'suggestion' },
        accept,
        ...(s.isRecommended ? [' ', el('span', { class: 'hint' }, '(recommended)')] : []),
      );
      for (const action of s.actions ?? []) {
        const type = (action.resource as { resourceType?: string } | undefined)?.resourceType ?? 'resource';
        row.append(
          el(
            'details',
            {},
            el('summary', {}, `${action.type === 'create' ? 'Creates' : action.type} a ${type}: ${action.description}`),
            el(
              'pre',
              { tabindex: '0', 'aria-label': `${type} resource as JSON` },
              el('code', {}, JSON.stringify(action.resource ?? {}, null, 2)),
            ),
          ),
        );
      }
      box.append(row);
    });
    article.append(box);
  }

  const reasons = card.overrideReasons ?? [];
  const select = el(
    'select',
    { id: `card-${n}-reason` },
    el('option', { value: '' }, reasons.length ? 'Choose a reason…' : 'No coded reasons offered'),
  );
  reasons.forEach((r, i) => select.append(el('option', { value: String(i) }, r.display ?? r.code)));
  const comment = el('input', { id: `card-${n}-comment`, type: 'text', maxlength: '500' });
  const override = el('button', { type: 'button', id: `card-${n}-override` }, 'Override');
  controls.push(select, comment, override);
  override.addEventListener('click', () => {
    const reason = select.value === '' ? undefined : reasons[Number(select.value)];
    const userComment = comment.value.trim();
    if (!reason && userComment === '') {
      error.textContent = 'Choose an override reason or write a comment: the service needs one or the other.';
      select.focus();
      return;
    }
    void send(
      {
        outcome: 'overridden',
        overrideReason: { ...(reason && { reason }), ...(userComment !== '' && { userComment }) },
      },
      `Overridden${reason ? ` (${reason.display ?? reason.code})` : ''}: feedback stored.`,
    );
  });
  article.append(
    el(
      'div',
      { class: 'override' },
      el('div', {}, el('label', { for: select.id }, 'Override reason'), select),
      el('div', {}, el('label', { for: comment.id }, 'Comment (optional)'), comment),
      override,
    ),
    outcome,
    error,
  );
  return article;
}
