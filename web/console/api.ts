/** Calls to the service from the page, and failures turned into sentences a person can act on. */

export interface Answer {
  status: number;
  body: unknown;
}

/** The fetch failed before any answer (service down, network): status 0. */
export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { Accept: 'application/json', ...(init.headers ?? {}) } });
  } catch (err) {
    return { status: 0, body: err instanceof Error ? err.message : String(err) };
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (e.g. a proxy's error page): keep the text.
  }
  return { status: res.status, body };
}

export function postJson(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return call(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
}

/** Each issue of an OperationOutcome as "where: what". */
export function outcomeIssues(body: unknown): string[] {
  const issues = (body as { resourceType?: unknown; issue?: unknown } | undefined)?.issue;
  if (!Array.isArray(issues)) return [];
  return issues.map((i: { diagnostics?: unknown; expression?: unknown; code?: unknown }) => {
    const where = Array.isArray(i.expression) && i.expression.length > 0 ? `${i.expression.join(', ')}: ` : '';
    const what = typeof i.diagnostics === 'string' ? i.diagnostics : String(i.code ?? 'error');
    return `${where}${what}`.replace(/^([^:]+): \1: /, '$1: ');
  });
}

function withIssues(sentence: string, body: unknown): string {
  const issues = outcomeIssues(body);
  return issues.length === 0 ? sentence : `${sentence}\n${issues.map((i) => `• ${i}`).join('\n')}`;
}

/** A failed service or feedback call. */
export function describeServiceFailure(a: Answer, what: string): string {
  switch (a.status) {
    case 0:
      return `${what}: the service could not be reached (${String(a.body)}).`;
    case 400:
      return withIssues(`${what}: the service refused the request as invalid (400).`, a.body);
    case 401:
      return (
        `${what}: the service asks for a signed client JWT (401). Trusted CDS clients are configured ` +
        '(CDS_CLIENTS_FILE), and the console cannot sign a client token: the preview works while the service ' +
        'runs in development mode, without trusted clients.'
      );
    case 403:
      return withIssues(`${what}: the FHIR server named in the request is not allowed (403).`, a.body);
    case 404:
      return withIssues(`${what}: no such service (404).`, a.body);
    case 412:
      return withIssues(`${what}: the service could not obtain the patient data it requires (412).`, a.body);
    case 413:
      return `${what}: the request is larger than the service accepts (413; see MAX_BODY_BYTES).`;
    case 415:
      return `${what}: the service did not take the body as JSON (415).`;
    case 503:
      return withIssues(`${what}: the service is temporarily unavailable (503); try again shortly.`, a.body);
    default:
      return withIssues(`${what}: the service answered ${a.status}.`, a.body);
  }
}

/** A failed analytics call. */
export function describeAnalyticsFailure(a: Answer): string {
  switch (a.status) {
    case 0:
      return `The service could not be reached (${String(a.body)}).`;
    case 401:
      return 'The analytics token was refused (401). Enter the ANALYTICS_TOKEN the service was started with.';
    case 404:
      return (
        'Analytics is off on this service (404): GET /analytics/summary exists only when the service is ' +
        'started with ANALYTICS_TOKEN set. Set it, restart, and enter the same token here.'
      );
    case 400:
      return withIssues('The period was refused (400).', a.body);
    case 503:
      return 'The feedback store is unavailable (503); try again shortly.';
    default:
      return withIssues(`The service answered ${a.status}.`, a.body);
  }
}
