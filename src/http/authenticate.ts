import type { RequestHandler } from 'express';
import { AuthError, type Authenticator } from '../auth/authenticator.js';
import type { Metrics } from '../metrics.js';
import './locals.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** Keeps an AuthError's diagnostic details loggable: nothing that looks like a token survives. */
function safeDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (/token|authorization|jwt|secret|key$/i.test(k) && k !== 'kid') continue;
    if (typeof v === 'string' && (JWT_SHAPE.test(v) || /^bearer\s/i.test(v))) continue;
    out[k] = v;
  }
  return out;
}

/**
 * Verifies the caller for the exact URL invoked (`aud` = PUBLIC_BASE_URL + path). Any failure is a
 * bare 401; why it failed goes to the log (never the token) so that an operator can fix a
 * misconfigured EHR, whose `aud` is typed in by hand.
 */
export function authenticate(authenticator: Authenticator, publicBaseUrl: string, metrics: Metrics): RequestHandler {
  return async (req, res, next) => {
    const path = new URL(req.originalUrl, 'http://placeholder').pathname;
    const audience = publicBaseUrl + path;
    const authorization = req.get('authorization');
    try {
      res.locals.auth = await authenticator.authenticate({
        audience,
        ...(authorization !== undefined && { authorization }),
      });
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      if (err.reason === 'replay store unavailable') {
        // Our dependency failed, not the caller's credentials: the EHR should retry, not re-register.
        // The call is still refused: a token is never accepted without the replay check.
        res.locals.log?.error({ reason: err.reason }, 'replay store unavailable: call refused');
        res.status(503).set('Retry-After', '5').json({ error: 'unavailable' });
        return;
      }
      // Reasons are a closed set of phrases in the JWT authenticator; anything unusual is bucketed.
      const reason = /^[a-z0-9 ()-]{1,48}$/i.test(err.reason) ? err.reason : 'other';
      metrics.authFailures.inc({ route: res.locals.route ?? 'other', reason });
      res.locals.log?.warn(
        { reason: err.reason, expectedAud: audience, ...safeDetails(err.details) },
        'authentication failed',
      );
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized' });
      return;
    }
    next();
  };
}
