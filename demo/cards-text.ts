/**
 * A patient's cards as a terminal reader wants them: indicator and summary, the facts the card
 * rests on (its "Facts used" list and the risk factors present), and the suggestions.
 */
import type { Card } from '../src/cards/types.js';
import { markdownToText } from '../src/cli/plain-text.js';

/** The bullet lines of one `**Heading**` section of a card's Markdown detail, as plain text. */
function section(detail: string, heading: RegExp): string[] {
  const lines = markdownToText(detail).split('\n');
  const start = lines.findIndex((l) => heading.test(l.trim()));
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '') {
      if (out.length > 0) break;
      continue;
    }
    if (!l.trimStart().startsWith('•')) break;
    out.push(l.trim().slice(1).trim());
  }
  return out;
}

/** Drops the provenance in parentheses after a value, `(Observation/x; LOINC … (CKD-EPI 2021))`. */
function short(fact: string): string {
  let out = fact;
  for (
    let at = out.search(
      / \((?:Observation|Condition|MedicationRequest|MedicationStatement|Procedure|ServiceRequest)\//,
    );
    at >= 0;
  ) {
    let depth = 0;
    let end = at + 1;
    for (; end < out.length; end++) {
      if (out[end] === '(') depth += 1;
      else if (out[end] === ')' && --depth === 0) break;
    }
    out = out.slice(0, at) + out.slice(end + 1);
    at = out.search(/ \((?:Observation|Condition|MedicationRequest|MedicationStatement|Procedure|ServiceRequest)\//);
  }
  return out;
}

export function cardsText(title: string, cards: Card[]): string {
  const lines = [title];
  if (cards.length === 0) lines.push('  (no cards)');
  for (const c of cards) {
    lines.push(`  [${c.indicator.toUpperCase()}] ${c.source.topic?.code ?? ''}: ${c.summary}`);
    const detail = c.detail ?? '';
    const facts = [
      ...section(detail, /^Facts used$/),
      ...section(detail, /^Fracture risk factors/).filter((f) => f.startsWith('Present:')),
    ];
    for (const f of facts) lines.push(`      · ${short(f)}`);
    for (const s of c.suggestions ?? []) lines.push(`      → ${s.label}${s.isRecommended ? ' (recommended)' : ''}`);
  }
  return lines.join('\n');
}
