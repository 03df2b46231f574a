/**
 * The console: card preview (the same POST /cds-services/{id} an EHR calls) and the feedback
 * dashboard. Every failure ends as a sentence on the page, never a blank screen.
 */
import { call, describeServiceFailure, postJson } from './api.js';
import { renderCards, type Card } from './cards.js';
import { loadDashboard, TOKEN_KEY } from './dashboard.js';
import { bundleResources, InputError, parseInput, tooLarge, type Input } from './input.js';
import { pickerPatients } from './patients.js';
import { buildRequest, draftDrug, type DiscoveredService, type Drug, type Hook } from './request.js';

const CUSTOM = 'custom';

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

const pageError = byId<HTMLDivElement>('page-error');
const showPageError = (message: string) => {
  pageError.textContent = `Something went wrong in the console: ${message}. Reload the page to start again.`;
};
window.addEventListener('error', (e) => showPageError(e.message || 'unknown error'));
window.addEventListener('unhandledrejection', (e) =>
  showPageError(e.reason instanceof Error ? e.reason.message : String(e.reason)),
);

// Sections: one visible at a time, chosen by the address's fragment.
const sections = ['preview', 'dashboard'] as const;
function showSection(): void {
  const wanted = location.hash.slice(1);
  const current = (sections as readonly string[]).includes(wanted) ? wanted : 'preview';
  for (const s of sections) byId(s).hidden = s !== current;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a[data-section]')) {
    if (a.dataset.section === current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${current === 'preview' ? 'Card preview' : 'Feedback dashboard'} – aibl-cds console`;
}
window.addEventListener('hashchange', () => {
  showSection();
  byId('app').focus();
});
showSection();

// ---- Card preview ----
const now = () => new Date();
const demos = pickerPatients(now());
const source = byId<HTMLSelectElement>('patient-source');
const description = byId<HTMLParagraphElement>('patient-description');
const customInput = byId<HTMLDivElement>('custom-input');
const text = byId<HTMLTextAreaElement>('input-text');
const file = byId<HTMLInputElement>('input-file');
const previewError = byId<HTMLDivElement>('preview-error');
const previewStatus = byId<HTMLParagraphElement>('preview-status');
const cardsBox = byId<HTMLDivElement>('cards');
const requestView = byId<HTMLDetailsElement>('request-view');

for (const d of demos) source.append(new Option(`Demo: ${d.title}`, d.slug));
source.append(new Option('Paste or upload a FHIR Bundle or a CDS Hooks request', CUSTOM));
function showSource(): void {
  const demo = demos.find((d) => d.slug === source.value);
  description.textContent = demo ? demo.description : 'Your own data: paste it below or upload a file.';
  customInput.hidden = demo !== undefined;
  // The demo's own order is the natural first choice of drug.
  const drug = demo && draftDrug(bundleResources(demo.bundle as unknown as Record<string, unknown>));
  if (drug) byId<HTMLSelectElement>('drug').value = drug;
}
source.addEventListener('change', showSource);
showSource();

// A multi-megabyte paste would first freeze the text box's layout: it is refused before it lands.
text.addEventListener('paste', (e) => {
  const pasted = e.clipboardData?.getData('text') ?? '';
  const large = tooLarge(new TextEncoder().encode(pasted).length);
  if (!large) return;
  e.preventDefault();
  previewError.textContent = `The pasted text was not taken. ${large}`;
});

file.addEventListener('change', () => {
  previewError.textContent = '';
  const f = file.files?.[0];
  if (!f) return;
  const large = tooLarge(f.size);
  if (large) {
    previewError.textContent = `${f.name}: ${large}`;
    file.value = '';
    return;
  }
  f.text().then(
    (t) => {
      text.value = t;
    },
    (err: unknown) => {
      previewError.textContent = `${f.name} could not be read (${err instanceof Error ? err.message : String(err)}).`;
    },
  );
});

let services: Promise<DiscoveredService[]> | undefined;
async function discover(): Promise<DiscoveredService[]> {
  const answer = await call('/cds-services');
  const list = (answer.body as { services?: DiscoveredService[] } | undefined)?.services;
  if (answer.status !== 200 || !Array.isArray(list))
    throw new InputError(describeServiceFailure(answer, 'Discovery (GET /cds-services) failed'));
  return list;
}

function currentInput(): Input {
  const demo = demos.find((d) => d.slug === source.value);
  if (demo) return { kind: 'bundle', resources: bundleResources(demo.bundle as unknown as Record<string, unknown>) };
  return parseInput(text.value);
}

async function preview(): Promise<void> {
  previewError.textContent = '';
  previewStatus.textContent = '';
  cardsBox.replaceChildren();
  requestView.hidden = true;
  const input = currentInput();
  services ??= discover().catch((err: unknown) => {
    services = undefined;
    throw err;
  });
  const list = await services;
  const hook = (input.kind === 'request' ? input.request.hook : byId<HTMLSelectElement>('hook').value) as Hook;
  const service = list.find((s) => s.hook === hook);
  if (!service)
    throw new InputError(
      `The service offers no CDS service for the hook "${hook}" (it answers ${list.map((s) => s.hook).join(', ')}).`,
    );
  const request =
    input.kind === 'request'
      ? { ...input.request, hookInstance: input.request.hookInstance ?? crypto.randomUUID() }
      : buildRequest(input.resources, {
          hook,
          drug: byId<HTMLSelectElement>('drug').value as Drug,
          service,
          now: now(),
          hookInstance: crypto.randomUUID(),
        });
  byId('request-json').textContent = JSON.stringify(request, null, 2);
  requestView.hidden = false;
  previewStatus.textContent = `Calling POST /cds-services/${service.id}…`;
  const answer = await postJson(`/cds-services/${encodeURIComponent(service.id)}`, request);
  previewStatus.textContent = '';
  if (answer.status !== 200) {
    previewError.textContent = describeServiceFailure(answer, `POST /cds-services/${service.id}`);
    return;
  }
  const cards = (answer.body as { cards?: Card[] } | undefined)?.cards;
  if (!Array.isArray(cards)) {
    previewError.textContent = 'The service answered 200 without a list of cards.';
    return;
  }
  previewStatus.textContent = `${cards.length} card${cards.length === 1 ? '' : 's'} from ${service.id} (${hook}).`;
  renderCards(cardsBox, cards, { serviceId: service.id, now });
}

const previewButton = byId<HTMLFormElement>('preview-form').querySelector<HTMLButtonElement>('button[type="submit"]');
byId<HTMLFormElement>('preview-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (previewButton) previewButton.disabled = true;
  preview()
    .catch((err: unknown) => {
      previewStatus.textContent = '';
      previewError.textContent =
        err instanceof InputError
          ? err.message
          : `The preview failed: ${err instanceof Error ? err.message : String(err)}`;
    })
    .finally(() => {
      if (previewButton) previewButton.disabled = false;
    });
});

// ---- Dashboard ----
const from = byId<HTMLInputElement>('from');
const to = byId<HTMLInputElement>('to');
const token = byId<HTMLInputElement>('token');
const today = now();
to.value = today.toISOString().slice(0, 10);
from.value = new Date(today.getTime() - 29 * 86_400_000).toISOString().slice(0, 10);
token.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
byId<HTMLFormElement>('dashboard-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const error = byId<HTMLDivElement>('dashboard-error');
  if (!from.value || !to.value) {
    error.textContent = 'Choose both days of the period.';
    return;
  }
  if (token.value) sessionStorage.setItem(TOKEN_KEY, token.value);
  else sessionStorage.removeItem(TOKEN_KEY);
  loadDashboard({
    from: from.value,
    to: to.value,
    token: token.value.trim(),
    result: byId('dashboard-result'),
    error,
    status: byId('dashboard-status'),
  }).catch((err: unknown) => {
    error.textContent = `The dashboard failed: ${err instanceof Error ? err.message : String(err)}`;
  });
});

byId('app').dataset.ready = 'true';
