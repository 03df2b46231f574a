import type { Response } from 'express';

/**
 * Writes a 200 JSON answer, already serialised and encoded (by the service engine), straight to the
 * socket: `res.json` would re-parse the Content-Type to add the charset. Headers set earlier
 * (security headers, X-Request-Id, CORS) are kept. `no-store`: cards quote the patient's results,
 * which no browser or proxy cache may keep (the answer to a POST is rarely cached, but may be).
 */
export function sendJsonBytes(res: Response, utf8Json: Uint8Array): void {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': utf8Json.byteLength,
    'Cache-Control': 'no-store',
  });
  res.end(utf8Json);
}
