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
  /** An answer that decodes to more than FHIR_MAX_RESPONSE_BYTES, or answers past FHIR_MAX_REQUEST_BYTES together. */
  'too_large',
] as const;
export type FhirErrorKind = (typeof FHIR_ERROR_KINDS)[number];

export class FhirFetchError extends Error {
  constructor(
    readonly kind: FhirErrorKind,
    message: string,
    readonly status?: number,
    /** For `too_large`: the limit passed. */
    readonly limit?: SizeLimit,
  ) {
    super(message);
    this.name = 'FhirFetchError';
  }
}

export interface SizeLimit {
  /** `response`: FHIR_MAX_RESPONSE_BYTES; `request`: FHIR_MAX_REQUEST_BYTES. */
  limit: 'response' | 'request';
  limitBytes: number;
}

/** Where a failed call went, for the operator's log: never the query string (it names the patient). */
export interface FhirErrorDetail extends SizeLimit {
  host: string;
  path: string;
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
  const chain = causeChain(err);
  const tooLarge = chain.find((e) => codeOf(e) === 'ERR_UPSTREAM_TOO_LARGE') as Partial<SizeLimit> | undefined;
  if (tooLarge !== undefined) {
    const limit = tooLarge.limit === 'request' ? 'request' : 'response';
    const limitBytes = typeof tooLarge.limitBytes === 'number' ? tooLarge.limitBytes : 0;
    const message =
      limit === 'response'
        ? `the FHIR server's answer is larger than ${limitBytes} bytes (FHIR_MAX_RESPONSE_BYTES)`
        : `the FHIR server's answers to this request are larger than ${limitBytes} bytes together (FHIR_MAX_REQUEST_BYTES)`;
    return new FhirFetchError('too_large', message, undefined, { limit, limitBytes });
  }
  if (chain.some((e) => codeOf(e) === 'ERR_UPSTREAM_ENCODING')) {
    return new FhirFetchError(
      'malformed',
      'the FHIR server answered with a Content-Encoding the service does not decode',
    );
  }
  // zlib's codes (Z_DATA_ERROR, …) and brotli's (ERR__ERROR_FORMAT_…): a body that does not decode.
  if (chain.some((e) => /^(Z_|ERR__ERROR)/.test(codeOf(e) ?? ''))) {
    return new FhirFetchError(
      'malformed',
      'the answer of the FHIR server does not decode as its Content-Encoding says',
    );
  }
  const status = (err as { response?: { status?: unknown } } | null)?.response?.status;
  if (typeof status === 'number') {
    // fhir-kit-client reports an unparseable body with the response's own status.
    if (status >= 200 && status < 300)
      return new FhirFetchError('malformed', `HTTP ${status} with a body that is not JSON`, status);
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
