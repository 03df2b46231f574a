import { ConfigError, loadConfig } from '../../src/config.js';

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toEqual({
      port: 8080,
      host: '0.0.0.0',
      nodeEnv: 'development',
      production: false,
      logLevel: 'info',
      publicBaseUrl: 'http://localhost:8080',
      fhirTimeoutMs: 1500,
      corsOrigins: ['*'],
      maxBodyBytes: 1048576,
      shutdownTimeoutMs: 10000,
      serviceWorker: true,
      serviceWorkers: 1,
    });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'WARN',
      PUBLIC_BASE_URL: 'https://cds.example.org/',
      FHIR_TIMEOUT_MS: '2500',
      CDS_CORS_ORIGINS: 'https://sandbox.cds-hooks.org, http://localhost:3000/',
      MAX_BODY_BYTES: '2048',
      SHUTDOWN_TIMEOUT_MS: '500',
      AIBL_POLICY_FILE: '/etc/aibl/policy.json',
      CDS_CLIENTS_FILE: '/etc/aibl/clients.json',
      DATA_DIR: '/var/lib/aibl',
      DATABASE_URL: 'postgres://u:p@db/aibl',
      REDIS_URL: 'redis://cache:6379',
      ANALYTICS_TOKEN: 's3cret',
      SERVICE_WORKER: 'Off',
      SERVICE_WORKERS: '3',
    });
    expect(c).toEqual({
      port: 9000,
      host: '127.0.0.1',
      nodeEnv: 'production',
      production: true,
      logLevel: 'warn',
      publicBaseUrl: 'https://cds.example.org',
      fhirTimeoutMs: 2500,
      corsOrigins: ['https://sandbox.cds-hooks.org', 'http://localhost:3000'],
      maxBodyBytes: 2048,
      shutdownTimeoutMs: 500,
      policyFile: '/etc/aibl/policy.json',
      clientsFile: '/etc/aibl/clients.json',
      dataDir: '/var/lib/aibl',
      databaseUrl: 'postgres://u:p@db/aibl',
      redisUrl: 'redis://cache:6379',
      analyticsToken: 's3cret',
      serviceWorker: false,
      serviceWorkers: 3,
    });
  });

  it('configures the SMART app from SMART_CLIENT_ID and SMART_CONNECT_SRC, its launch URL under PUBLIC_BASE_URL', () => {
    const c = loadConfig({
      PUBLIC_BASE_URL: 'https://cds.example.org/',
      SMART_CLIENT_ID: 'bone-view',
      SMART_CONNECT_SRC: 'https://fhir.example.org, https://auth.example.org/',
    });
    expect(c.smart).toEqual({
      clientId: 'bone-view',
      launchUrl: 'https://cds.example.org/smart/launch',
      connectSrc: ['https://fhir.example.org', 'https://auth.example.org'],
    });
    expect(loadConfig({}).smart).toBeUndefined();
  });

  it('refuses SMART_CLIENT_ID without the origins the app fetches from, and a SMART_CONNECT_SRC entry that is no origin', () => {
    expect(problems({ SMART_CLIENT_ID: 'bone-view' })).toContain('SMART_CONNECT_SRC: required with SMART_CLIENT_ID');
    expect(problems({ SMART_CLIENT_ID: 'bone-view', SMART_CONNECT_SRC: 'https://fhir.example.org/r4' })).toContain(
      'SMART_CONNECT_SRC: must be a comma-separated list of origins',
    );
  });

  it('defaults PUBLIC_BASE_URL to the port and treats empty variables as unset', () => {
    const c = loadConfig({ PORT: '18080', PUBLIC_BASE_URL: '', CDS_CORS_ORIGINS: ' ', DATABASE_URL: '' });
    expect(c.publicBaseUrl).toBe('http://localhost:18080');
    expect(c.corsOrigins).toEqual(['*']);
    expect(c.databaseUrl).toBeUndefined();
  });

  it('requires PUBLIC_BASE_URL in production, naming it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PUBLIC_BASE_URL: required when NODE_ENV=production/);
  });

  it('allows no CORS origin by default in production', () => {
    const base = { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.hospital.example' };
    expect(loadConfig(base).corsOrigins).toEqual([]);
    expect(loadConfig({ ...base, CDS_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a whole number between 0 and 65535'],
    [{ PORT: '70000' }, 'PORT: must be at most 65535'],
    [{ PORT: '-1' }, 'PORT: must be a whole number'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ PUBLIC_BASE_URL: 'cds.example.org' }, 'PUBLIC_BASE_URL: must be an absolute http(s) URL'],
    [{ PUBLIC_BASE_URL: 'https://cds.example.org/?x=1' }, 'PUBLIC_BASE_URL: must be an absolute http(s) URL'],
    [{ FHIR_TIMEOUT_MS: '10' }, 'FHIR_TIMEOUT_MS: must be at least 50'],
    [{ MAX_BODY_BYTES: '1.5' }, 'MAX_BODY_BYTES: must be a whole number'],
    [{ CDS_CORS_ORIGINS: 'https://ok.example.org,not an origin' }, 'CDS_CORS_ORIGINS: must be "*" or a comma-separated list'],
    [{ CDS_CORS_ORIGINS: 'https://ok.example.org/path' }, 'CDS_CORS_ORIGINS: must be "*"'],
    [{ SERVICE_WORKER: 'yes' }, 'SERVICE_WORKER: must be on or off'],
    [{ SERVICE_WORKERS: '0' }, 'SERVICE_WORKERS: must be at least 1'],
    [{ SERVICE_WORKERS: '17' }, 'SERVICE_WORKERS: must be at most 16'],
    [{ SERVICE_WORKERS: 'two' }, 'SERVICE_WORKERS: must be a whole number between 1 and 16'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(problems(env)).toContain(message);
  });

  it('lists every invalid variable at once and never echoes values', () => {
    const msg = problems({ PORT: 'secret-port-value', FHIR_TIMEOUT_MS: 'x', LOG_LEVEL: 'loud' });
    expect(msg).toMatch(/PORT:/);
    expect(msg).toMatch(/FHIR_TIMEOUT_MS:/);
    expect(msg).toMatch(/LOG_LEVEL:/);
    expect(msg).not.toContain('secret-port-value');
  });
});
