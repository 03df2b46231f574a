import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * Browser clients (the CDS Hooks sandbox) send `Authorization` + JSON, which needs a preflight.
 * EHR server-to-server calls need no CORS, so an empty origin list switches it off entirely.
 */
export function corsMiddleware(origins: readonly string[]): RequestHandler | undefined {
  if (origins.length === 0) return undefined;
  const any = origins.includes('*');
  return cors({
    origin: any ? '*' : [...origins],
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept'],
    exposedHeaders: ['X-Request-Id'],
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
}
