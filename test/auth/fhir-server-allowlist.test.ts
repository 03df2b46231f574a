import type { AuthContext } from '../../src/auth/authenticator.js';
import { fhirServerUnderBase, isFhirServerAllowed } from '../../src/auth/fhir-server-allowlist.js';

const BASE = 'https://ehr.example.org/fhir';
const ctx: AuthContext = {
  client: { iss: 'https://ehr.example.org', fhirServers: [BASE, 'https://fhir.other.example:8443/r4/'] },
  iss: 'https://ehr.example.org',
};

describe('isFhirServerAllowed', () => {
  it.each([
    'https://ehr.example.org/fhir',
    'https://ehr.example.org/fhir/',
    'https://ehr.example.org/fhir/tenant-1',
    'https://EHR.example.org/fhir',
    'https://ehr.example.org:443/fhir',
    'https://fhir.other.example:8443/r4',
    'https://fhir.other.example:8443/r4/x',
  ])('allows %s', (url) => {
    expect(isFhirServerAllowed(ctx, url)).toBe(true);
  });

  it.each([
    ['a look-alike path', 'https://ehr.example.org/fhir-evil'],
    ['a look-alike host', 'https://ehr.example.org.attacker.net/fhir'],
    ['userinfo trick', 'https://ehr.example.org@attacker.net/fhir'],
    ['userinfo on the right host', 'https://user:pw@ehr.example.org/fhir'],
    ['another scheme', 'http://ehr.example.org/fhir'],
    ['another port', 'https://ehr.example.org:8443/fhir'],
    ['a parent path', 'https://ehr.example.org/'],
    ['dot-dot escape', 'https://ehr.example.org/fhir/../admin'],
    ['encoded dot-dot escape', 'https://ehr.example.org/fhir/%2e%2e/admin'],
    ['backslash', 'https://ehr.example.org\\@attacker.net/fhir'],
    ['whitespace', 'https://ehr.example.org/fhir /x'],
    ['a query', 'https://ehr.example.org/fhir?x=https://ehr.example.org/fhir'],
    ['a fragment', 'https://ehr.example.org/fhir#x'],
    ['another port on the second base', 'https://fhir.other.example/r4'],
    ['not a URL', 'ehr.example.org/fhir'],
    ['empty', ''],
    ['file URL', 'file:///etc/passwd'],
    ['case-changed path', 'https://ehr.example.org/FHIR'],
  ])('refuses %s: %s', (_label, url) => {
    expect(isFhirServerAllowed(ctx, url)).toBe(false);
  });

  it('allows a request that names no FHIR server (nothing will be contacted)', () => {
    expect(isFhirServerAllowed(ctx, undefined)).toBe(true);
  });

  it('allows anything in open development mode (no client)', () => {
    expect(isFhirServerAllowed({}, 'https://anywhere.example/fhir')).toBe(true);
  });

  it('never matches an unparsable configured base', () => {
    expect(fhirServerUnderBase('not a url', 'not a url')).toBe(false);
  });
});
