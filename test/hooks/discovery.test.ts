import request from 'supertest';
import { DATA_KEYS } from '../../src/core/index.js';
import { prefetchTemplates } from '../../src/fhir/queries.js';
import { testApp } from '../http/support/app.js';

/** The only tokens CDS Hooks 2.0 allows in templates (cds-hooks-2.0.md §2.1). */
const TOKENS_2_0 = new Set([
  '{{context.patientId}}',
  '{{context.userId}}',
  '{{context.encounterId}}',
  '{{userPractitionerId}}',
  '{{userPractitionerRoleId}}',
  '{{userPatientId}}',
  '{{userRelatedPersonId}}',
]);

describe('GET /cds-services', () => {
  it('lists the three services with their hooks and descriptions', async () => {
    const t = testApp();
    const res = await request(t.app).get('/cds-services');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const services = res.body.services as Record<string, unknown>[];
    expect(services.map((s) => [s.id, s.hook])).toEqual([
      ['aibl-order-sign', 'order-sign'],
      ['aibl-order-select', 'order-select'],
      ['aibl-patient-view', 'patient-view'],
    ]);
    for (const s of services) {
      expect(Object.keys(s).sort()).toEqual(['description', 'hook', 'id', 'prefetch', 'title', 'usageRequirements']);
      for (const k of ['title', 'description', 'usageRequirements'] as const) {
        expect(typeof s[k]).toBe('string');
        expect((s[k] as string).length).toBeGreaterThan(20);
      }
    }
  });

  it('announces one template per data key, exactly those of the FHIR query definitions', async () => {
    const t = testApp();
    const res = await request(t.app).get('/cds-services');
    for (const s of res.body.services as { prefetch: Record<string, string> }[]) {
      expect(Object.keys(s.prefetch).sort()).toEqual([...DATA_KEYS].sort());
      expect(s.prefetch).toEqual(prefetchTemplates());
    }
  });

  it('uses only CDS Hooks 2.0 tokens, as relative read or search URLs', async () => {
    const t = testApp();
    const res = await request(t.app).get('/cds-services');
    const [first] = res.body.services as { prefetch: Record<string, string> }[];
    for (const template of Object.values(first!.prefetch)) {
      const tokens = template.match(/\{\{[^}]*\}\}/g) ?? [];
      expect(tokens.length).toBeGreaterThan(0);
      for (const token of tokens) expect(TOKENS_2_0).toContain(token);
      expect(template).toMatch(/^[A-Z][A-Za-z]+(\/\{\{context\.patientId\}\}|\?)/);
      expect(template).not.toMatch(/^https?:|\s/);
    }
  });
});
