/**
 * A request body's bytes as JSON, the way body-parser's strict reader takes them: an empty body is
 * {}, a byte-order mark is dropped, and anything but an object or array is not JSON. Pure, without
 * Express, so that the service worker can load it and parse off the event loop.
 */
export function parseJsonBytes(bytes: Uint8Array, charset: string): { ok: true; value: unknown } | { ok: false } {
  if (bytes.byteLength === 0) return { ok: true, value: {} };
  let text =
    charset === 'utf-8'
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
      : new TextDecoder(charset).decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
