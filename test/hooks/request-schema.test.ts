import { parseHookRequest } from '../../src/hooks/request-schema.js';
import { outcomeIssues } from '../../src/hooks/zod-issues.js';

const draftOrders = {
  resourceType: 'Bundle',
  entry: [
    {
      fullUrl: 'urn:uuid:1',
      resource: {
        resourceType: 'MedicationRequest',
        id: 'mr-1',
        status: 'active',
        medicationReference: { reference: 'Medication/m1', display: 'anastrozole 1 mg' },
      },
      search: { mode: 'match' },
    },
  ],
};

const valid = {
  hook: 'order-select',
  hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
  fhirServer: 'https://ehr.example.org/fhir/',
  fhirAuthorization: {
    access_token: 'tok',
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'user/Patient.read user/Observation.rs',
    subject: 'aibl-cds',
  },
  context: {
    userId: 'PractitionerRole/123',
    patientId: 'Patient/abc-1',
    encounterId: 'Encounter/e.9',
    selections: ['MedicationRequest/mr-1'],
    draftOrders,
    someVendorField: { x: 1 },
  },
  prefetch: { patient: null, dxa: { resourceType: 'Bundle', type: 'searchset' }, notOurs: 'ignored' },
  extension: { 'com.example.x': true },
};

function paths(body: unknown, hook: 'order-sign' | 'order-select' | 'patient-view' = 'order-select'): string[] {
  const r = parseHookRequest(hook, body);
  if (r.ok) return [];
  return outcomeIssues(r.issues).map((i) => i.expression ?? '');
}

describe('service-call schema', () => {
  it('accepts and normalises what real clients send', () => {
    const r = parseHookRequest('order-select', valid);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.request.context.patientId).toBe('abc-1');
    expect(r.request.context.encounterId).toBe('e.9');
    expect(r.request.fhirServer).toBe('https://ehr.example.org/fhir');
    expect(r.request.prefetch).toEqual({ patient: null, dxa: { resourceType: 'Bundle', type: 'searchset' } });
    // FHIR content is kept exactly, including members the schema does not describe.
    expect(r.request.context.draftOrders).toEqual(draftOrders);
    expect(r.request.context).not.toHaveProperty('someVendorField');
    expect(r.request).not.toHaveProperty('extension');
  });

  it('treats an absent or null prefetch as no prefetch', () => {
    const { prefetch: _omit, ...noPrefetch } = valid;
    for (const body of [noPrefetch, { ...valid, prefetch: null }]) {
      const r = parseHookRequest('order-select', body);
      expect(r.ok && r.request.prefetch).toBeUndefined();
    }
  });

  it('accepts patient-view without draftOrders and a bare patient id', () => {
    const r = parseHookRequest('patient-view', {
      hook: 'patient-view',
      hookInstance: 'x',
      context: { userId: 'Practitioner/p1', patientId: 'abc' },
    });
    expect(r.ok && r.request.context.patientId).toBe('abc');
  });

  it('names every invalid path', () => {
    expect(
      paths({
        hook: 'order-select',
        hookInstance: '',
        fhirServer: 'not a url',
        fhirAuthorization: { access_token: 't', token_type: 'MAC', expires_in: -1, scope: 's' },
        context: { userId: 'dr-who', patientId: 'a b', selections: [], draftOrders: { resourceType: 'List' } },
        prefetch: { patient: 'text', dxa: [1] },
      }).sort(),
    ).toEqual(
      [
        'hookInstance',
        'fhirServer',
        'fhirAuthorization.token_type',
        'fhirAuthorization.expires_in',
        'fhirAuthorization.subject',
        'context.userId',
        'context.patientId',
        'context.selections',
        'context.draftOrders.resourceType',
        'prefetch.patient',
        'prefetch.dxa',
      ].sort(),
    );
  });

  it('requires fhirServer when fhirAuthorization is present', () => {
    const { fhirServer: _omit, ...body } = valid;
    expect(paths(body)).toEqual(['fhirServer']);
  });

  it('rejects a hook the service does not answer', () => {
    expect(paths({ ...valid, hook: 'order-sign' })).toEqual(['hook']);
    expect(paths(valid, 'order-sign')).toEqual(['hook']);
  });

  it('reports missing members as required', () => {
    const r = parseHookRequest('order-sign', { hook: 'order-sign' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(outcomeIssues(r.issues)).toEqual([
      { code: 'required', diagnostics: 'hookInstance: is required', expression: 'hookInstance' },
      { code: 'required', diagnostics: 'context: is required', expression: 'context' },
    ]);
  });

  it('rejects a non-object body at the root', () => {
    const r = parseHookRequest('order-sign', [1, 2]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(outcomeIssues(r.issues)[0]?.diagnostics).toMatch(/^request body: /);
  });

  it('names array members with their index', () => {
    expect(paths({ ...valid, context: { ...valid.context, selections: ['MedicationRequest/1', 'nope'] } })).toEqual([
      'context.selections[1]',
    ]);
    expect(
      paths({
        ...valid,
        context: { ...valid.context, draftOrders: { resourceType: 'Bundle', entry: [{ resource: { id: 'x' } }] } },
      }),
    ).toEqual(['context.draftOrders.entry[0].resource.resourceType']);
  });
});

it('names a missing fhirServer alongside other problems', () => {
  const { fhirServer: _omit, ...body } = valid;
  expect(paths({ ...body, hookInstance: 7 }).sort()).toEqual(['fhirServer', 'hookInstance']);
});
