/** CDS Hooks 2.0 response types (cds-hooks-2.0.md §4), as this service emits them. */
import type { FhirResource } from 'fhir/r4.js';

/** CDS Hooks Coding: system and code required; display required in overrideReasons. */
export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface OverrideReasonCoding extends Coding {
  display: string;
}

export interface Source {
  label: string;
  url?: string;
  icon?: string;
  topic?: Coding;
}

export interface Action {
  type: 'create' | 'update' | 'delete';
  description: string;
  resource?: FhirResource;
  resourceId?: string;
}

export interface Suggestion {
  label: string;
  uuid?: string;
  isRecommended?: boolean;
  actions?: Action[];
}

export interface Link {
  label: string;
  url: string;
  type: 'absolute' | 'smart';
  appContext?: string;
  autolaunchable?: boolean;
}

export type Indicator = 'info' | 'warning' | 'critical';

export interface Card {
  /** Always set by this service (feedback needs it). */
  uuid: string;
  /** One sentence, under 140 characters. */
  summary: string;
  /** GitHub Flavored Markdown. */
  detail?: string;
  indicator: Indicator;
  source: Source;
  suggestions?: Suggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: OverrideReasonCoding[];
  links?: Link[];
}

export interface CdsResponse {
  cards: Card[];
}
