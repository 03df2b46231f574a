/**
 * What can go wrong when the service reads a FHIR server. The kinds are metric labels
 * (`aibl_fhir_errors_total{kind}`) and choose the OperationOutcome issue code of a 412.
 */
export const FHIR_ERROR_KINDS = [
  /** The request deadline (FHIR_TIMEOUT_MS) passed first. */
  'timeout',
  /** Connection refused, reset or closed early; DNS; TLS. */
  'network',
  /** The server answered with a redirect (never followed: it could lead off the allowed server). */
  'redirect',
  'http_4xx',
  'http_429',
  'http_5xx',
  /** A 2xx body that is not JSON or not the resource asked for. */
  'malformed',
  /** A 2xx OperationOutcome instead of the resource or searchset. */
  'outcome',
  /** A Bundle that is not a searchset (or another resource) answering a search. */
  'wrong_bundle',
  /** More `next` pages than the page limit. */
  'too_many_pages',
  /** A `next` link outside the request's fhirServer (not followed: the token stays there). */
  'untrusted_link',
] as const;
export type FhirErrorKind = (typeof FHIR_ERROR_KINDS)[number];

export class FhirFetchError extends Error {
  constructor(
    readonly kind: FhirErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'FhirFetchError';
  }
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e !== undefined && e !== null; i++) {
    chain.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return chain;
}

/** Errors from node internals may come from another realm, so no `instanceof Error` here. */
function messageOf(e: unknown): string {
  const message = (e as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : '';
}

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A kept-alive socket the server had closed, or a connection dropped mid-answer: worth one retry. */
export function isConnectionReset(err: unknown): boolean {
  return causeChain(err).some((e) => {
    const code = codeOf(e);
    return (code !== undefined && RESET_CODES.has(code)) || messageOf(e) === 'socket hang up';
  });
}

/** The kind of a failed fhir-kit-client call that was not aborted. */
export function classifyFailure(err: unknown): FhirFetchError {
  if (err instanceof FhirFetchError) return err;
  const status = (err as { response?: { status?: unknown } } | null)?.response?.status;
  if (typeof status === 'number') {
    // fhir-kit-client reports an unparseable body with the response's own status.
    if (status >= 200 && status < 300) return new FhirFetchError('malformed', `HTTP ${status} with a body that is not JSON`, status);
    if (status === 429) return new FhirFetchError('http_429', 'HTTP 429 (throttled)', status);
    if (status >= 500) return new FhirFetchError('http_5xx', `HTTP ${status}`, status);
    if (status >= 400) return new FhirFetchError('http_4xx', `HTTP ${status}`, status);
    if (status >= 300) return new FhirFetchError('redirect', `HTTP ${status} redirect`, status);
    return new FhirFetchError('malformed', `HTTP ${status}`, status);
  }
  if (causeChain(err).some((e) => /redirect/i.test(messageOf(e)))) {
    return new FhirFetchError('redirect', 'the server answered with a redirect');
  }
  return new FhirFetchError('network', 'the FHIR server could not be reached or closed the connection');
}
