import { Writable } from 'node:stream';
import { createLogger, serializeError } from '../src/logger.js';

function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c.toString());
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination }), text: () => chunks.join('') };
}

describe('logger', () => {
  it('censors tokens, prefetch, context and bodies wherever a careless call puts them', () => {
    const { log, text } = capture();
    log.info(
      {
        req: { headers: { authorization: 'Bearer eyJ.secret.sig', cookie: 'sid=1' } },
        fhirAuthorization: { access_token: 'fhir-secret' },
        prefetch: { patient: { name: 'Margaret' } },
        context: { patientId: 'pt-123' },
        body: '{"patientId":"pt-123"}',
        nested: {
          fhirAuthorization: { access_token: 'fhir-secret-2' },
          context: { patientId: 'pt-456' },
          access_token: 'tok-3',
        },
      },
      'careless',
    );
    const out = text();
    for (const s of ['eyJ.secret.sig', 'sid=1', 'fhir-secret', 'Margaret', 'pt-123', 'pt-456', 'tok-3'])
      expect(out).not.toContain(s);
    expect(out).toContain('[redacted]');
    expect(JSON.parse(out).msg).toBe('careless');
  });

  it('logs errors by type, code and stack frames, never by message', () => {
    const err = Object.assign(new TypeError('GET Observation?patient=pt-789 failed'), { code: 'ECONNRESET' });
    const s = serializeError(err);
    expect(s).toMatchObject({ type: 'TypeError', code: 'ECONNRESET' });
    expect(JSON.stringify(s)).not.toContain('pt-789');
    expect(String(s.stack)).toMatch(/^at /);
    const { log, text } = capture();
    log.error({ err }, 'failed');
    expect(text()).not.toContain('pt-789');
    expect(serializeError('just a string')).toEqual({ type: 'string' });
  });
});
