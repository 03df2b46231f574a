import { ConfigError, loadConfig } from '../src/config.js';

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
      fhirMaxResponseBytes: 33554432,
      fhirMaxRequestBytes: 67108864,
      corsOrigins: ['*'],
      maxBodyBytes: 1048576,
      shutdownTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      headersTimeoutMs: 10000,
      keepAliveTimeoutMs: 5000,
      serviceWorkers: 1,
      auth: {
        algorithms: ['ES384', 'RS384'],
        clockSkewSec: 60,
        maxLifetimeSec: 900,
        jwksTtlMs: 600_000,
        fetchTimeoutMs: 1500,
      },
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
      FHIR_MAX_RESPONSE_BYTES: '1048576',
      FHIR_MAX_REQUEST_BYTES: '4194304',
      CDS_CORS_ORIGINS: 'https://sandbox.cds-hooks.org, http://localhost:3000/',
      MAX_BODY_BYTES: '2048',
      SHUTDOWN_TIMEOUT_MS: '500',
      REQUEST_TIMEOUT_MS: '20000',
      HEADERS_TIMEOUT_MS: '4000',
      KEEP_ALIVE_TIMEOUT_MS: '65000',
      AIBL_POLICY_FILE: '/etc/aibl/policy.json',
      CDS_CLIENTS_FILE: '/etc/aibl/clients.json',
      CDS_JWT_ALGORITHMS: 'RS384, PS384',
      CDS_JWT_CLOCK_SKEW_SECONDS: '30',
      CDS_JWT_MAX_LIFETIME_SECONDS: '300',
      CDS_JWKS_CACHE_TTL_SECONDS: '60',
      CDS_JWKS_FETCH_TIMEOUT_MS: '800',
      DATA_DIR: '/var/lib/aibl',
      DATABASE_URL: 'postgres://u:p@db/aibl',
      REDIS_URL: 'redis://cache:6379',
      ANALYTICS_TOKEN: 's3cret',
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
      fhirMaxResponseBytes: 1048576,
      fhirMaxRequestBytes: 4194304,
      corsOrigins: ['https://sandbox.cds-hooks.org', 'http://localhost:3000'],
      maxBodyBytes: 2048,
      shutdownTimeoutMs: 500,
      requestTimeoutMs: 20000,
      headersTimeoutMs: 4000,
      keepAliveTimeoutMs: 65000,
      policyFile: '/etc/aibl/policy.json',
      dataDir: '/var/lib/aibl',
      databaseUrl: 'postgres://u:p@db/aibl',
      redisUrl: 'redis://cache:6379',
      analyticsToken: 's3cret',
      serviceWorkers: 3,
      auth: {
        clientsFile: '/etc/aibl/clients.json',
        algorithms: ['RS384', 'PS384'],
        clockSkewSec: 30,
        maxLifetimeSec: 300,
        jwksTtlMs: 60_000,
        fetchTimeoutMs: 800,
      },
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
    const c = loadConfig({
      PORT: '18080',
      PUBLIC_BASE_URL: '',
      CDS_CORS_ORIGINS: ' ',
      DATABASE_URL: '',
      CDS_CLIENTS_FILE: '',
      CDS_JWT_ALGORITHMS: ' ',
      CDS_JWT_CLOCK_SKEW_SECONDS: '',
      SERVICE_WORKERS: '',
      SERVICE_WORKER: ' ',
    });
    expect(c.publicBaseUrl).toBe('http://localhost:18080');
    expect(c.corsOrigins).toEqual(['*']);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.auth).toEqual(loadConfig({}).auth);
    expect(c.serviceWorkers).toBe(1);
  });

  it('answers on the event loop with SERVICE_WORKERS=0', () => {
    expect(loadConfig({ SERVICE_WORKERS: '0' }).serviceWorkers).toBe(0);
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
    [{ FHIR_MAX_RESPONSE_BYTES: '1000' }, 'FHIR_MAX_RESPONSE_BYTES: must be at least 65536'],
    [{ FHIR_MAX_REQUEST_BYTES: '2147483648' }, 'FHIR_MAX_REQUEST_BYTES: must be at most 1073741824'],
    [{ MAX_BODY_BYTES: '1.5' }, 'MAX_BODY_BYTES: must be a whole number'],
    [
      { CDS_CORS_ORIGINS: 'https://ok.example.org,not an origin' },
      'CDS_CORS_ORIGINS: must be "*" or a comma-separated list',
    ],
    [{ CDS_CORS_ORIGINS: 'https://ok.example.org/path' }, 'CDS_CORS_ORIGINS: must be "*"'],
    [{ SERVICE_WORKER: 'off' }, 'SERVICE_WORKER: no longer read: SERVICE_WORKERS=0 answers on the event loop'],
    [{ SERVICE_WORKERS: '17' }, 'SERVICE_WORKERS: must be at most 16'],
    [{ SERVICE_WORKERS: 'two' }, 'SERVICE_WORKERS: must be a whole number between 0 and 16'],
    [{ REQUEST_TIMEOUT_MS: '500' }, 'REQUEST_TIMEOUT_MS: must be at least 1000'],
    [{ HEADERS_TIMEOUT_MS: '40000' }, 'HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS'],
    [{ KEEP_ALIVE_TIMEOUT_MS: 'long' }, 'KEEP_ALIVE_TIMEOUT_MS: must be a whole number'],
    [{ CDS_JWT_ALGORITHMS: 'HS256' }, 'CDS_JWT_ALGORITHMS: must be a comma-separated list of'],
    [{ CDS_JWKS_FETCH_TIMEOUT_MS: 'soon' }, 'CDS_JWKS_FETCH_TIMEOUT_MS: must be a whole number'],
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
