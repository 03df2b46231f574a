/**
 * Recommendations → CDS Hooks 2.0 cards. Pure: the uuid generator is injected. The output never
 * holds an empty string, array or object, nor a null (omitted instead).
 */
import type { FhirResource } from 'fhir/r4.js';
import { GUIDELINES, type GuidelineRef, type Recommendation, type SuggestionDraft, type Topic } from '../core/index.js';
import { detailOf } from './detail.js';
import { isFilled, isPruned, pruneEmpty } from './prune.js';
import { summaryOf } from './summary.js';
import type { Card, Coding, Link, Suggestion } from './types.js';

export const TOPIC_SYSTEM = 'urn:aibl-cds:codesystem:card-topic';

export const TOPIC_DISPLAY: Record<Topic, string> = {
  'baseline-dxa': 'Baseline DXA at aromatase inhibitor start',
  'dxa-follow-up': 'Follow-up DXA on aromatase inhibitor',
  'bone-agent': 'Bone-modifying agent',
  'bmd-decline': 'Bone mineral density decline',
  'estradiol-low': 'Low estradiol in a man on an aromatase inhibitor',
  'estradiol-check': 'Estradiol check in a man on an aromatase inhibitor',
  'calcium-vitamin-d': 'Calcium and vitamin D',
};

/**
 * Constant parts of cards, built once at load and shared by every card that shows them: the
 * `source.topic` Coding of each topic, and the link to each guideline the core cites (by the
 * core's own guideline objects). They are frozen: nothing downstream (service call, feedback
 * store, CLI) changes a card, and this makes sure nothing can. Checked here to hold no empty member.
 */
function constant<T extends object>(value: T): Readonly<T> {
  if (!isPruned(value)) throw new Error(`card constant with an empty member: ${JSON.stringify(value)}`);
  return Object.freeze(value);
}

const TOPIC_CODINGS = new Map<string, Readonly<Coding>>(
  Object.entries(TOPIC_DISPLAY).map(([code, display]) => [code, constant({ system: TOPIC_SYSTEM, code, display })]),
);

const GUIDELINE_LINKS = new Map<GuidelineRef, Readonly<Link>>(
  Object.values(GUIDELINES).map((g) => [g, constant<Link>({ label: g.label, url: g.url, type: 'absolute' })]),
);

function link(g: GuidelineRef): Link {
  const known = GUIDELINE_LINKS.get(g);
  return known && known.label === g.label && known.url === g.url ? known : { label: g.label, url: g.url, type: 'absolute' };
}

export interface RenderContext {
  /** `Patient/<id>`: the subject of every suggested resource. */
  patientReference: string;
  newId: () => string;
}

type DraftResource = SuggestionDraft['action']['resource'];

/**
 * The draft with the patient as its subject, as `{ resourceType, ...rest, subject }` gives it. The
 * core writes `resourceType` first, and then a copy of the draft plus `subject` has the same
 * members in the same order; otherwise the form above moves `resourceType` to the front.
 * Object.assign, not `{ ...draft, subject }`: V8 makes a spread followed by another member ~4×
 * slower than the copy (~0.9 µs and ~470 bytes each). The top level is a fresh object; the
 * members below it are the draft's own (nothing changes them).
 */
function withSubject(draft: DraftResource, patientReference: string): FhirResource {
  let first: string | undefined;
  for (const k in draft) {
    first = k;
    break;
  }
  if (first !== 'resourceType') {
    const { resourceType, ...rest } = draft;
    return { resourceType, ...rest, subject: { reference: patientReference } } as FhirResource;
  }
  const resource = Object.assign({}, draft) as FhirResource & { subject: unknown };
  resource.subject = { reference: patientReference };
  return resource;
}

function suggestion(s: SuggestionDraft, ctx: RenderContext): Suggestion {
  const out: Suggestion = {
    label: s.label,
    uuid: ctx.newId(),
    actions: [{ type: 'create', description: s.action.description, resource: withSubject(s.action.resource, ctx.patientReference) }],
  };
  if (s.isRecommended) out.isRecommended = true;
  return out;
}

/** Array#every, except that a hole fails (pruneEmpty drops it) rather than being skipped. */
function everyOne<T>(list: readonly T[], test: (x: T) => boolean): boolean {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x === undefined || !test(x)) return false;
  }
  return true;
}

/** Built as above: only the texts, the id and the draft's members can be empty. */
function isPrunedSuggestion(s: Suggestion): boolean {
  const action = s.actions![0]!;
  return isFilled(s.label) && isFilled(s.uuid) && isFilled(action.description) && isPruned(action.resource);
}

/** Built as above: only the texts can be empty. */
function isPrunedLink(l: Link): boolean {
  return isFilled(l.label) && isFilled(l.url);
}

/**
 * The card as `pruneEmpty` would leave it. The renderer never builds an empty array or object
 * itself, so only what comes from outside it can be empty: the texts of the recommendation, the
 * ids, the suggested resources. Those are checked (`clean`); a card with an empty member anywhere
 * is pruned as before, and a clean card is returned as built, sparing the copy of every member
 * that pruning makes.
 */
export function renderCard(rec: Recommendation, ctx: RenderContext): Card {
  const primary = rec.guidelines[0];
  const known = TOPIC_CODINGS.get(rec.topic);
  const topic = known ?? { system: TOPIC_SYSTEM, code: rec.topic, display: TOPIC_DISPLAY[rec.topic] };
  const card: Card = {
    uuid: ctx.newId(),
    summary: summaryOf(rec),
    detail: detailOf(rec),
    indicator: rec.indicator,
    source: primary ? { label: primary.label ?? 'aibl-cds', url: primary.url, topic } : { label: 'aibl-cds', topic },
  };
  let clean =
    known !== undefined &&
    isFilled(card.uuid) &&
    isFilled(card.summary) &&
    isFilled(card.detail) &&
    isFilled(card.indicator) &&
    isFilled(card.source.label) &&
    (primary === undefined || isFilled(card.source.url));
  if (rec.suggestions.length) {
    card.suggestions = rec.suggestions.map((s) => suggestion(s, ctx));
    card.selectionBehavior = rec.selectionBehavior ?? 'any';
    clean &&= isFilled(card.selectionBehavior) && everyOne(card.suggestions, isPrunedSuggestion);
  }
  if (rec.overrideReasons.length) {
    // Copies: the core's reasons are its shared constants, and a card is the caller's to keep.
    // (Frozen copies made once, as for the links, would need the core to export its reasons; the
    // renderer reads the core only through its public files.)
    card.overrideReasons = rec.overrideReasons.map((o) => ({ ...o }));
    clean &&= everyOne(card.overrideReasons, isPruned);
  }
  if (rec.guidelines.length) {
    card.links = rec.guidelines.map(link);
    clean &&= everyOne(card.links, isPrunedLink);
  }
  return clean ? card : pruneEmpty(card);
}

export function renderCards(recs: Recommendation[], ctx: RenderContext): Card[] {
  return recs.map((r) => renderCard(r, ctx));
}
