/**
 * The bone-health view (the redirect URI): completes the SMART authorization, reads the patient's
 * data from the EHR's FHIR server with the granted token, and shows it. Nothing is sent to the
 * decision-support service: the clinical core runs here, on the data the app read.
 */
import FHIR from 'fhirclient';
import type Client from 'fhirclient/lib/Client';
import type { FhirResource } from 'fhir/r4.js';
import { TOPICS, type Topic } from '../../src/core/index.js';
import { loadAppConfig } from './app-config.js';
import { gatherRecord, type FhirReader } from './record.js';
import { renderFailure, renderMessage, renderView } from './render.js';
import { buildView } from './view-model.js';
import './style.css';

const root = document.getElementById('app')!;

function done(state: string): void {
  root.dataset.state = state;
  root.dataset.ready = 'true';
}

function reader(client: Client): FhirReader {
  return async (url) => {
    const body = (await client.request(url, { pageLimit: 0, flat: true })) as unknown;
    if (Array.isArray(body)) return body as FhirResource[];
    return body && typeof body === 'object' ? [body as FhirResource] : [];
  };
}

/** The card topic the EHR passed along from the card's link (`appContext`), when it is one. */
function openedFrom(client: Client): Topic | undefined {
  const ctx = (client.state.tokenResponse as { appContext?: unknown } | undefined)?.appContext;
  return TOPICS.find((t) => t === ctx);
}

async function main(): Promise<void> {
  const config = await loadAppConfig();
  if (!config) {
    renderMessage(
      root,
      'Not configured',
      'The bone health view is not configured on this service (SMART_CLIENT_ID is not set).',
    );
    return done('not-configured');
  }
  let client: Client;
  try {
    client = await FHIR.oauth2.ready();
  } catch {
    renderMessage(
      root,
      'Not launched',
      'Open the bone health view from the EHR (a card’s “Open bone health view” link) or through its launch page.',
    );
    return done('not-launched');
  }
  const patientId = client.patient.id;
  if (!patientId) {
    renderMessage(
      root,
      'No patient',
      'The EHR did not say which patient to show. Launch the view again from the patient’s chart.',
    );
    return done('no-patient');
  }
  const gathered = await gatherRecord(reader(client), patientId);
  if (!gathered.ok) {
    renderFailure(root, gathered);
    const refused = gathered.missing.some((k) => gathered.failures[k] === 'refused');
    return done(refused ? 'refused' : 'unavailable');
  }
  const view = buildView(gathered.record, new Date(), config.policy);
  renderView(root, view, gathered, openedFrom(client));
  // Charts draw in a microtask after the DOM is in place.
  await Promise.resolve();
  done(view.history.sites.length === 0 ? 'empty' : 'ready');
}

main().catch((err: unknown) => {
  renderMessage(root, 'Something went wrong', err instanceof Error ? err.message : String(err));
  done('error');
});
