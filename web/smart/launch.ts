/**
 * The launch URI. EHR launch: the EHR opens it with `iss` and `launch`. Standalone launch: open it
 * with `iss` alone (the FHIR base URL) and the authorization server asks for the patient. Either
 * way the authorization code flow with PKCE (S256) brings the user back to the view (./).
 */
import FHIR from 'fhirclient';
import { loadAppConfig } from './app-config.js';
import { scopeFor } from './scopes.js';
import './style.css';

const app = document.getElementById('app')!;

function show(message: string): void {
  const p = document.createElement('p');
  p.className = 'notice error';
  p.setAttribute('role', 'alert');
  p.textContent = message;
  app.replaceChildren(p);
  app.dataset.ready = 'true';
}

async function launch(): Promise<void> {
  const params = new URLSearchParams(window.location.search);
  const iss = params.get('iss');
  if (!iss) {
    show(
      'This page starts the bone health view. Open it from the EHR, or add ?iss=<FHIR server base URL> to the address for a standalone launch.',
    );
    return;
  }
  const config = await loadAppConfig();
  if (!config) {
    show('The bone health view is not configured on this service (SMART_CLIENT_ID is not set).');
    return;
  }
  app.dataset.ready = 'true';
  await FHIR.oauth2.authorize({
    clientId: config.clientId,
    scope: scopeFor(params.has('launch') ? 'ehr' : 'standalone'),
    redirectUri: new URL('./', window.location.href).href,
    pkceMode: 'required',
  });
}

launch().catch((err: unknown) => {
  show(`The launch failed: ${err instanceof Error ? err.message : String(err)}`);
});
