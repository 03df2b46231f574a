/**
 * Recommendations → CDS Hooks 2.0 cards. Pure: the uuid generator is injected. The output never
 * holds an empty string, array or object, nor a null (omitted instead).
 */
import type { FhirResource } from 'fhir/r4.js';
import { GUIDELINES, type GuidelineRef, type Recommendation, type SuggestionDraft, type Topic } from '../core/index.js';
import { detailOf } from './detail.js';
import { isPruned, pruneEmpty } from './prune.js';
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
 * The topic Coding of each topic and the link to each guideline the core cites, built once and
 * shared by every card that shows them. Frozen: nothing downstream (service call, feedback store,
 * CLI) changes a card, and this makes sure nothing can.
 */
const TOPIC_CODINGS = new Map<string, Readonly<Coding>>(
  Object.entries(TOPIC_DISPLAY).map(([code, display]) => [
    code,
    Object.freeze({ system: TOPIC_SYSTEM, code, display }),
  ]),
);

const GUIDELINE_LINKS = new Map<GuidelineRef, Readonly<Link>>(
  Object.values(GUIDELINES).map((g) => [g, Object.freeze<Link>({ label: g.label, url: g.url, type: 'absolute' })]),
);

export interface RenderContext {
  /** `Patient/<id>`: the subject of every suggested resource. */
  patientReference: string;
  newId: () => string;
  /** The SMART app's launch URL (`<PUBLIC_BASE_URL>/smart/launch`), when SMART_CLIENT_ID is set. */
  smartLaunchUrl?: string;
}

/** The topics whose card opens the bone-health view: it shows the DXA trend they are about. */
export const SMART_LINK_TOPICS: ReadonlySet<Topic> = new Set<Topic>([
  'baseline-dxa',
  'dxa-follow-up',
  'bone-agent',
  'bmd-decline',
]);
export const SMART_LINK_LABEL = 'Open bone health view';

function suggestion(s: SuggestionDraft, ctx: RenderContext): Suggestion {
  const { resourceType, ...rest } = s.action.resource;
  const resource = { resourceType, ...rest, subject: { reference: ctx.patientReference } } as FhirResource;
  const out: Suggestion = {
    label: s.label,
    uuid: ctx.newId(),
    actions: [{ type: 'create', description: s.action.description, resource }],
  };
  if (s.isRecommended) out.isRecommended = true;
  return out;
}

export function renderCard(rec: Recommendation, ctx: RenderContext): Card {
  const [primary] = rec.guidelines;
  const card: Card = {
    uuid: ctx.newId(),
    summary: summaryOf(rec),
    detail: detailOf(rec),
    indicator: rec.indicator,
    source: {
      label: primary?.label ?? 'aibl-cds',
      ...(primary && { url: primary.url }),
      topic: TOPIC_CODINGS.get(rec.topic) ?? {
        system: TOPIC_SYSTEM,
        code: rec.topic,
        display: TOPIC_DISPLAY[rec.topic],
      },
    },
  };
  if (rec.suggestions.length) {
    card.suggestions = rec.suggestions.map((s) => suggestion(s, ctx));
    card.selectionBehavior = rec.selectionBehavior ?? 'any';
  }
  if (rec.overrideReasons.length) card.overrideReasons = rec.overrideReasons.map((o) => ({ ...o }));
  const links: Link[] = rec.guidelines.map(
    (g) => GUIDELINE_LINKS.get(g) ?? { label: g.label, url: g.url, type: 'absolute' },
  );
  if (ctx.smartLaunchUrl !== undefined && SMART_LINK_TOPICS.has(rec.topic)) {
    links.push(
      Object.freeze<Link>({ label: SMART_LINK_LABEL, url: ctx.smartLaunchUrl, type: 'smart', appContext: rec.topic }),
    );
  }
  if (links.length) card.links = links;
  // Almost every card holds no empty member, and pruning would only copy it: a walk that
  // allocates nothing tells, and only a card with something empty is pruned.
  return isPruned(card) ? card : pruneEmpty(card);
}

export function renderCards(recs: Recommendation[], ctx: RenderContext): Card[] {
  return recs.map((r) => renderCard(r, ctx));
}
