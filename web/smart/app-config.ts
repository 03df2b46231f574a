import { parsePolicy, type Policy } from '../../src/core/index.js';

export interface AppConfig {
  clientId: string;
  policy: Policy;
}

/** The deployment's settings (GET /smart/config.json); undefined when the app is not configured. */
export async function loadAppConfig(): Promise<AppConfig | undefined> {
  const res = await fetch(new URL('./config.json', window.location.href), { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  const body = (await res.json()) as { configured?: unknown; clientId?: unknown; policy?: unknown };
  if (body.configured === false) return undefined;
  if (typeof body.clientId !== 'string' || body.clientId === '') throw new Error('config.json: no clientId');
  return { clientId: body.clientId, policy: parsePolicy(body.policy) };
}
