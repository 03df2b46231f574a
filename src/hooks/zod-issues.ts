import type { z } from 'zod';
import type { OutcomeIssue } from '../http/operation-outcome.js';

/** `['context','selections',0]` → `context.selections[0]` (FHIRPath-like, as OperationOutcome.expression). */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/**
 * One OperationOutcome issue per invalid path. Messages are zod's or ours and never echo the value
 * received, which may be patient data.
 */
export function outcomeIssues(issues: readonly z.core.$ZodIssue[]): OutcomeIssue[] {
  return issues.map((i) => {
    const path = issuePath(i.path);
    const missing = i.code === 'invalid_type' && /received undefined/.test(i.message);
    return {
      code: missing ? 'required' : 'invalid',
      diagnostics: path === '' ? `request body: ${i.message}` : `${path}: ${missing ? 'is required' : i.message}`,
      ...(path !== '' && { expression: path }),
    };
  });
}
