/**
 * `npm run demo`: starts the loopback FHIR server and the service, signs an aromatase-inhibitor
 * order for each demo patient as an EHR would, prints the cards, then leaves both running for
 * trying by hand (Ctrl-C stops them). DEMO_PORT / DEMO_FHIR_PORT choose the ports (8080 / 8081;
 * a port in use falls back to a free one).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cardsText } from './cards-text.js';
import { startDemo } from './demo.js';

const started = Date.now();
const port = Number(process.env['DEMO_PORT'] ?? 8080);
const fhirPort = Number(process.env['DEMO_FHIR_PORT'] ?? 8081);

const demo = await startDemo({ port, fhirPort });
const out = process.stdout;
out.write(
  `aibl-cds demo: order-sign for ${demo.results.length} demo patients, data read from the FHIR server (no prefetch)\n\n`,
);
for (const r of demo.results) {
  out.write(
    `${cardsText(`${r.patient.slug} — ${r.patient.title}${r.status === 200 ? '' : ` (HTTP ${r.status})`}`, r.cards)}\n\n`,
  );
}

// Request bodies to send again by hand; .tmp/ is ignored by git.
const dir = join(process.cwd(), '.tmp', 'demo-requests');
mkdirSync(dir, { recursive: true });
for (const r of demo.results)
  writeFileSync(join(dir, `${r.patient.slug}.json`), `${JSON.stringify(r.request, null, 2)}\n`);
const example = join(relative(process.cwd(), dir), `${demo.results[1]?.patient.slug ?? 'demo-smoker'}.json`);

out.write(
  [
    `Cards for every patient in ${((Date.now() - started) / 1000).toFixed(1)} s (after the build). Both servers keep running:`,
    `  service      ${demo.serviceUrl}/cds-services   (development mode: no JWT needed)`,
    `  FHIR server  ${demo.fhir.baseUrl}   (e.g. ${demo.fhir.baseUrl}/Patient/demo-smoker; Synthea patients too)`,
    '',
    `Bone health view (SMART app): ${demo.smartLaunchUrl}`,
    '  (an EHR launch for demo-bmd-decline: open it in a browser to see the BMD trend)',
    '',
    'Try one again:',
    `  curl -s ${demo.serviceUrl}/cds-services/aibl-order-sign -H 'Content-Type: application/json' --data @${example}`,
    `(request bodies for every demo patient are in ${relative(process.cwd(), dir)}/). Ctrl-C stops the demo.`,
    '',
  ].join('\n'),
);

const stop = () => {
  void demo.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
