import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Config } from '../config.js';

/** How the web console is served: open, or only to a browser presenting the token. */
export interface ConsoleAccess {
  token?: string;
}

/**
 * Outside production the console is on unless CONSOLE_ENABLED=false, and open (the service itself
 * accepts unsigned calls there). In production it is off unless CONSOLE_ENABLED=true, and then the
 * page is locked with ANALYTICS_TOKEN (loadConfig refuses CONSOLE_ENABLED=true without one).
 */
export function consoleAccess(
  config: Pick<Config, 'production' | 'consoleEnabled' | 'analyticsToken'>,
): ConsoleAccess | undefined {
  if (!(config.consoleEnabled ?? !config.production)) return undefined;
  if (!config.production) return {};
  if (!config.analyticsToken) return undefined;
  return { token: config.analyticsToken };
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The secret a request presents: `Bearer <token>`, or HTTP Basic with the token as password. */
function presented(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * Locks the console's pages with the analytics token. A browser cannot send a bearer token when
 * it opens a page, so HTTP Basic is offered (any user name, the token as password); the browser
 * asks once and repeats it for the page's later loads.
 */
export function consoleGuard(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const secret = presented(req.get('authorization'));
    // Hashing both sides makes the comparison constant-time whatever the lengths.
    if (secret !== undefined && timingSafeEqual(digest(secret), expected)) return next();
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="aibl-cds console", charset="UTF-8"')
      .set('Cache-Control', 'no-store')
      .type('text/plain')
      .send('The console needs the analytics token: give it as the password (any user name).\n');
  };
}
