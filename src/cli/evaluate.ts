/**
 * `aibl-cds evaluate <file.json>`: runs the clinical core offline on a FHIR Bundle (a patient,
 * their resources, optionally a draft AI order) or on a CDS Hooks request (its prefetch and
 * draft orders, read as the service reads them) and prints the cards, so a clinician can review
 * the logic without an EHR. File reading lives here, at the edge; the core stays pure.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Bundle, FhirResource, Medication, MedicationRequest, Patient } from 'fhir/r4.js';
import { renderCards } from '../cards/render.js';
import type { Card } from '../cards/types.js';
import {
  AI_DRUGS,
  defaultPolicy,
  evaluatePatient,
  findAiOrders,
  parsePolicy,
  PolicyError,
  recordFromResources,
  type AiDrug,
  type Evaluation,
  type HookName,
  type PatientRecord,
  type Policy,
} from '../core/index.js';
import { concepts } from '../core/valuesets/index.js';
import { gatherPatientData } from '../fhir/gather.js';
import { parseHookRequest } from '../hooks/request-schema.js';
import { markdownToText } from './plain-text.js';

const USAGE = `Usage: aibl-cds evaluate <file.json> [--drug anastrozole|letrozole|exemestane] [--json]
                         [--hook order-sign|order-select|patient-view] [--now YYYY-MM-DD] [--policy policy.json]

<file.json> is either
- a FHIR R4 Bundle holding one Patient and their resources (Observations, Conditions,
  MedicationRequests, MedicationStatements, Procedures, ServiceRequests, FamilyMemberHistory,
  Medications). MedicationRequests with status "draft" are the orders being signed; --drug adds
  a draft order for that aromatase inhibitor. Without any draft AI order the patient-view rules
  run. Or
- a CDS Hooks request body (order-sign, order-select or patient-view): the patient's data comes
  from its prefetch, the orders from context.draftOrders (and selections), as the service reads
  them; no FHIR server is contacted, so keys missing from prefetch count as not checked.
Prints the cards as text, or the CDS Hooks response with --json.`;

class UsageError extends Error {}
class InputError extends Error {}

interface Options {
  file: string;
  drug?: AiDrug;
  json: boolean;
  hook?: HookName;
  now: Date;
  policyFile?: string;
}

function parseOptions(argv: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        drug: { type: 'string' },
        json: { type: 'boolean', default: false },
        hook: { type: 'string' },
        now: { type: 'string' },
        policy: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError('expected exactly one bundle or request file');
  const opts: Options = { file: positionals[0]!, json: values.json ?? false, now: new Date() };
  if (values.drug !== undefined) {
    const d = values.drug.toLowerCase();
    if (!(AI_DRUGS as readonly string[]).includes(d))
      throw new UsageError(`--drug must be one of ${AI_DRUGS.join(', ')}`);
    opts.drug = d as AiDrug;
  }
  if (values.hook !== undefined) {
    if (!['order-sign', 'order-select', 'patient-view'].includes(values.hook))
      throw new UsageError('--hook must be order-sign, order-select or patient-view');
    opts.hook = values.hook as HookName;
  }
  if (values.now !== undefined) {
    const t = new Date(values.now);
    if (Number.isNaN(t.getTime())) throw new UsageError('--now must be a date such as 2025-06-15');
    opts.now = t;
  }
  if (values.policy !== undefined) opts.policyFile = values.policy;
  return opts;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Transaction bundles (Synthea) link resources by `urn:uuid:` fullUrls; rewrite those references
 * to `Type/id` as a FHIR server would on load, giving id-less resources the uuid as id.
 */
function resolveUuidReferences(bundle: Bundle): FhirResource[] {
  const map = new Map<string, string>();
  const resources: FhirResource[] = [];
  for (const e of bundle.entry ?? []) {
    const r = e?.resource as FhirResource | undefined;
    if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string') continue;
    if (typeof e.fullUrl === 'string' && e.fullUrl.startsWith('urn:uuid:')) {
      if (!r.id) r.id = e.fullUrl.slice('urn:uuid:'.length);
      map.set(e.fullUrl, `${r.resourceType}/${r.id}`);
    }
    resources.push(r);
  }
  const rewrite = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(rewrite);
    } else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      if (typeof o.reference === 'string' && map.has(o.reference)) o.reference = map.get(o.reference);
      for (const v of Object.values(o)) rewrite(v);
    }
  };
  rewrite(resources);
  return resources;
}

function scdFor(drug: AiDrug) {
  return concepts('aromatase-inhibitors').find(
    (c) => c.ingredient === drug && c.tty === 'SCD' && c.verification === 'verified',
  );
}

function syntheticDraft(drug: AiDrug, patient: Patient, now: Date): MedicationRequest {
  const scd = scdFor(drug);
  return {
    resourceType: 'MedicationRequest',
    id: 'aibl-cds-evaluate-draft',
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patient.id ?? 'unknown'}` },
    authoredOn: now.toISOString().slice(0, 10),
    medicationCodeableConcept: scd
      ? { coding: [{ system: scd.system, code: scd.code, display: scd.display }], text: scd.display }
      : { text: drug },
  };
}

interface Prepared {
  hook: HookName;
  record: PatientRecord;
  evaluation: Evaluation;
  cards: Card[];
  notes: string[];
}

function prepare(bundle: Bundle, opts: Options, policy: Policy): Prepared {
  const resources = resolveUuidReferences(bundle);
  const patients = resources.filter((r): r is Patient => r.resourceType === 'Patient');
  const patient = patients[0];
  if (!patient) throw new InputError('the bundle holds no Patient');
  const notes: string[] = [];
  if (patients.length > 1) notes.push(`The bundle holds ${patients.length} patients; only the first is evaluated.`);

  // Draft MedicationRequests are the orders being signed, not the patient's medications.
  const drafts = resources.filter(
    (r): r is MedicationRequest => r.resourceType === 'MedicationRequest' && r.status === 'draft',
  );
  const { record } = recordFromResources(
    patient,
    resources.filter((r) => !(r.resourceType === 'MedicationRequest' && r.status === 'draft')),
  );
  if (opts.drug) drafts.push(syntheticDraft(opts.drug, patient, opts.now));
  const draftBundle: Bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: drafts.map((resource) => ({ resource })),
  };
  const aiOrders = findAiOrders(draftBundle, { medications: record.medications, policy });
  const hook: HookName = opts.hook ?? (aiOrders.length > 0 ? 'order-sign' : 'patient-view');
  if (!opts.hook && aiOrders.length === 0) {
    notes.push('No draft aromatase-inhibitor order (add one with --drug): evaluated as patient-view.');
  }
  const selections = hook === 'order-select' ? aiOrders.map((o) => o.reference) : undefined;
  const selected = selections
    ? findAiOrders(draftBundle, { selections, medications: record.medications, policy })
    : aiOrders;
  const otherDrafts = drafts.filter((d) => !selected.some((o) => o.request === d));
  const evaluation = evaluatePatient(
    { hook, now: opts.now, record, aiOrders: selected, draftMedicationRequests: otherDrafts },
    policy,
  );
  const cards = renderCards(evaluation.recommendations, {
    patientReference: `Patient/${patient.id ?? 'unknown'}`,
    newId: randomUUID,
  });
  return { hook, record, evaluation, cards, notes };
}

/** A CDS Hooks request body, not a Bundle: it names its hook and carries a context. */
function isHookRequest(json: object): json is { hook: unknown; context: unknown } {
  const o = json as Record<string, unknown>;
  return typeof o['hook'] === 'string' && typeof o['context'] === 'object' && o['context'] !== null;
}

const HOOKS: readonly HookName[] = ['order-sign', 'order-select', 'patient-view'];

async function prepareRequest(
  body: { hook: unknown; context: unknown },
  opts: Options,
  policy: Policy,
): Promise<Prepared> {
  const hook = body.hook as HookName;
  if (!HOOKS.includes(hook))
    throw new InputError(`hook "${String(body.hook)}" is not one this service answers (${HOOKS.join(', ')})`);
  if (opts.hook !== undefined && opts.hook !== hook)
    throw new InputError(`--hook ${opts.hook} does not match the request's hook ${hook}`);
  const parsed = parseHookRequest(hook, body);
  if (!parsed.ok) {
    const where = parsed.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw new InputError(`not a valid ${hook} request: ${where.join('; ')}`);
  }
  const request = parsed.request;
  const notes: string[] = [];
  const gathered = await gatherPatientData({
    patientId: request.context.patientId,
    ...(request.prefetch !== undefined && { prefetch: request.prefetch }),
    deadlineMs: 1000,
  });
  if (!gathered.ok) {
    throw new InputError(
      `the request's prefetch lacks required data (${gathered.missing.join(', ')}); the service would fetch it from fhirServer or answer 412`,
    );
  }
  const record = gathered.record;
  if (record.notChecked.length > 0) notes.push(`Not in prefetch, so not checked: ${record.notChecked.join(', ')}.`);

  const draftEntries = (request.context.draftOrders?.entry ?? []).map((e) => e.resource).filter((r) => r !== undefined);
  const drafts = draftEntries.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest');
  const draftMeds = draftEntries.filter((r): r is Medication => r.resourceType === 'Medication');
  if (opts.drug) drafts.push(syntheticDraft(opts.drug, record.patient, opts.now));
  const draftBundle: Bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [...draftMeds, ...drafts].map((resource) => ({ resource })),
  };
  const selections = request.context.selections;
  const aiOrders =
    hook === 'patient-view'
      ? []
      : findAiOrders(draftBundle, {
          ...(selections !== undefined && { selections }),
          medications: [...draftMeds, ...record.medications],
          policy,
        });
  if (hook !== 'patient-view' && aiOrders.length === 0) {
    notes.push(
      `No aromatase-inhibitor order among the ${hook === 'order-select' ? 'selected ' : ''}draft orders: the service answers no cards.`,
    );
  }
  const evaluation =
    hook !== 'patient-view' && aiOrders.length === 0
      ? { ...evaluatePatient({ hook, now: opts.now, record, aiOrders: [] }, policy), recommendations: [] }
      : evaluatePatient(
          {
            hook,
            now: opts.now,
            record,
            aiOrders,
            draftMedicationRequests: drafts.filter((d) => !aiOrders.some((o) => o.request === d)),
          },
          policy,
        );
  const cards = renderCards(evaluation.recommendations, {
    patientReference: `Patient/${request.context.patientId}`,
    newId: randomUUID,
  });
  return { hook, record, evaluation, cards, notes };
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => (l.length ? by + l : l))
    .join('\n');
}

function actionText(resource: FhirResource | undefined): string {
  if (!resource) return '';
  if (resource.resourceType === 'ServiceRequest') {
    const codes = (resource.code?.coding ?? []).map((c) => `${c.code}`).join(', ');
    return `ServiceRequest ${resource.code?.text ?? ''} [${codes}]`;
  }
  if (resource.resourceType === 'MedicationRequest') {
    const med = resource.medicationCodeableConcept;
    const code = med?.coding?.[0] ? ` [RxNorm ${med.coding[0].code}]` : '';
    const dose = (resource.dosageInstruction ?? [])
      .map((d) => d.text)
      .filter(Boolean)
      .join('; ');
    return `MedicationRequest ${med?.text ?? ''}${code}: ${dose}`;
  }
  return resource.resourceType;
}

export function formatText(p: Prepared): string {
  const f = p.evaluation.facts;
  const who = [f.sex, f.age !== undefined ? `${f.age} years` : undefined].filter(Boolean).join(', ');
  const drug = f.drugs.length
    ? `${f.drugs.join(' and ')} (${f.newStart ? 'new start' : 'established'})`
    : 'no aromatase inhibitor';
  const lines: string[] = [
    `aibl-cds evaluate — ${f.patient}${who ? ` (${who})` : ''}`,
    `hook ${p.hook}; ${drug}; evaluated on ${f.today}`,
    ...p.notes.map((n) => `note: ${n}`),
    '',
  ];
  if (p.cards.length === 0) {
    lines.push('No cards: no rule of the rule set applies to this patient.');
    return lines.join('\n') + '\n';
  }
  lines.push(`${p.cards.length} card${p.cards.length === 1 ? '' : 's'}`, '');
  p.cards.forEach((c, i) => {
    lines.push(`${i + 1}. [${c.indicator.toUpperCase()}] ${c.source.topic?.code ?? ''}: ${c.summary}`);
    lines.push(`   Source: ${c.source.label}${c.source.url ? ` <${c.source.url}>` : ''}`);
    if (c.detail) lines.push('', indent(markdownToText(c.detail), '   '));
    if (c.suggestions?.length) {
      lines.push('', `   Suggestions (${c.selectionBehavior}):`);
      for (const s of c.suggestions) {
        lines.push(`   - ${s.label}${s.isRecommended ? ' [recommended]' : ''}`);
        for (const a of s.actions ?? []) lines.push(`       ${a.type}: ${actionText(a.resource)}`);
      }
    }
    if (c.overrideReasons?.length)
      lines.push('', `   Override reasons: ${c.overrideReasons.map((o) => o.display).join('; ')}`);
    lines.push('');
  });
  return lines.join('\n');
}

/** The `evaluate` command. Returns the exit code: 0 done, 1 bad input, 2 bad usage. */
export async function runEvaluate(
  argv: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream = out,
): Promise<number> {
  try {
    const opts = parseOptions(argv);
    if (opts === 'help') {
      out.write(USAGE + '\n');
      return 0;
    }
    const policy = opts.policyFile ? parsePolicy(await readJson(opts.policyFile, 'policy file')) : defaultPolicy;
    const json = await readJson(opts.file, 'input');
    if (!json || typeof json !== 'object')
      throw new InputError(`${opts.file} is neither a FHIR Bundle nor a CDS Hooks request`);
    let prepared: Prepared;
    if (isHookRequest(json)) prepared = await prepareRequest(json, opts, policy);
    else if ((json as { resourceType?: unknown }).resourceType === 'Bundle')
      prepared = prepare(json as Bundle, opts, policy);
    else
      throw new InputError(
        `${opts.file} is neither a FHIR Bundle nor a CDS Hooks request (a JSON object with hook and context)`,
      );
    out.write(opts.json ? JSON.stringify({ cards: prepared.cards }, null, 2) + '\n' : formatText(prepared));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`aibl-cds evaluate: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof InputError || e instanceof PolicyError) {
      err.write(`aibl-cds evaluate: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
