/**
 * The test server's search shortcuts must not change results: the indexed repository and Medplum's
 * plain in-memory repository answer the same searches over the same data identically.
 */
import { readFileSync } from 'node:fs';
import { FhirRouter, MemoryRepository, type FhirRepository } from '@medplum/fhir-router';
import type { Bundle } from '@medplum/fhirtypes';
import { prefetchTemplates } from '../../src/fhir/queries.js';
import { fixtureFiles } from '../support/fixtures.js';
import { createMedplum } from '../support/medplum-repository.js';

test('indexed and plain repositories return the same search results', async () => {
  const { router, repo: indexed } = createMedplum();
  const plainRouter = new FhirRouter();
  const plain = new MemoryRepository();
  const files = fixtureFiles();
  const bundle = JSON.parse(readFileSync(files.get('Alexia_Senger')!, 'utf8')) as Bundle;
  const other = JSON.parse(readFileSync(files.get('Chad_Quigley')!, 'utf8')) as Bundle;
  // Same ids in both repositories: load into one, then copy every resource into the other.
  for (const b of [bundle, other])
    await router.handleRequest({ method: 'POST', url: '', pathname: '', params: {}, query: {}, body: b }, indexed);
  const everything = await indexed.search({ resourceType: 'Observation', count: 10000 });
  expect(everything.entry!.length).toBeGreaterThan(200);
  for (const type of ['Patient', 'Observation', 'Condition', 'MedicationRequest', 'Procedure', 'Encounter']) {
    const all = await indexed.search({ resourceType: type as 'Patient', count: 10000 });
    for (const e of all.entry ?? []) await plain.createResource(e.resource!);
  }
  const patients = await indexed.search({ resourceType: 'Patient' });
  const ids = patients.entry!.map((e) => e.resource!.id!);
  const templates = Object.values(prefetchTemplates()).filter((t) => t.includes('?'));
  const queries = [
    ...ids.flatMap((id) => templates.map((t) => t.replace('{{context.patientId}}', `Patient/${id}`))),
    ...ids.map(
      (id) => `Observation?subject=Patient/${id}&code=http://loinc.org|8302-2,http://loinc.org|29463-7&_count=1000`,
    ),
    `Observation?code=http://loinc.org|38265-5&_count=1000`,
    `Observation?code=38265-5&_count=1000`,
    `Condition?patient=Patient/${ids[0]}&code=http://snomed.info/sct|64859006`,
  ];
  const run = async (r: FhirRouter, repo: FhirRepository, url: string) => {
    const [, result] = await r.handleRequest(
      { method: 'GET', url, pathname: '', params: {}, query: {}, body: undefined },
      repo,
    );
    return ((result as Bundle).entry ?? []).map((e) => e.resource!.id).sort();
  };
  let nonEmpty = 0;
  for (const q of queries) {
    const got = await run(router, indexed, q);
    const want = await run(plainRouter, plain, q);
    expect({ q, ids: got }).toEqual({ q, ids: want });
    if (want.length > 0) nonEmpty += 1;
  }
  expect(nonEmpty).toBeGreaterThan(10);
});
