import type { Response } from 'express';

/**
 * Writes a 200 JSON answer, already serialised (by the service engine), straight to the socket.
 * `res.json` turns an answer of more than 1 000 characters into a Buffer first (a copy and a UTF-8 encoding of the ~11 KiB of cards, whose
 * typography makes them two-byte strings) and re-parses the Content-Type to add the charset; here
 * the length is counted and the string is encoded once, as it is written. Headers set earlier
 * (security headers, X-Request-Id, CORS) are kept. `no-store`: cards quote the patient's results,
 * which no browser or proxy cache may keep (the answer to a POST is rarely cached, but may be).
 */
export function sendJsonText(res: Response, json: string): void {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
  });
  res.end(json);
}
