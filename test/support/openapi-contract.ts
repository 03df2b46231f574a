import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { repoRoot } from '../store/support/transpile.js';

/**
 * Holds HTTP answers to openapi.yaml: the operation and the status must be documented, the
 * Content-Type must be one the spec lists, each documented required header must be there (and
 * match its schema), and the body must validate against the response schema (JSON Schema 2020-12,
 * as OpenAPI 3.1 says).
 */
type Spec = {
  paths: Record<string, Record<string, { responses: Record<string, any> }>>;
  components: Record<string, any>;
};

export const spec = parse(readFileSync(join(repoRoot, 'openapi.yaml'), 'utf8')) as Spec;
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(spec as object, 'openapi');

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  text?: string;
}

/** Which operations and statuses the tests have seen, to check that all were exercised. */
export const seen = new Set<string>();

function templateFor(path: string): string | undefined {
  const bare = path.split('?')[0]!;
  return Object.keys(spec.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
}

function resolve(obj: any): any {
  if (obj && typeof obj.$ref === 'string') {
    const parts = obj.$ref.replace(/^#\//, '').split('/');
    return resolve(parts.reduce((o: any, k: string) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec));
  }
  return obj;
}

export function expectMatchesSpec(method: string, path: string, res: Answer): void {
  const template = templateFor(path);
  if (!template) throw new Error(`${method} ${path}: no such path in openapi.yaml`);
  const op = spec.paths[template]![method.toLowerCase()];
  if (!op) throw new Error(`${method} ${template}: no such operation in openapi.yaml`);
  const status = String(res.status);
  const response = resolve(op.responses[status]);
  if (!response) throw new Error(`${method} ${template}: status ${status} is not documented`);
  seen.add(`${method.toUpperCase()} ${template} ${status}`);

  for (const [name, header] of Object.entries<any>(response.headers ?? {})) {
    const value = res.headers[name.toLowerCase()];
    if (value === undefined) {
      if (header.required) throw new Error(`${method} ${template} ${status}: header ${name} missing`);
      continue;
    }
    const check = ajv.compile(resolveSchema(header.schema));
    if (!check(value))
      throw new Error(
        `${method} ${template} ${status}: header ${name}=${String(value)}: ${ajv.errorsText(check.errors)}`,
      );
  }

  const content = response.content as Record<string, { schema?: unknown }> | undefined;
  if (!content) return;
  const type = String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  const media = content[type];
  if (!media)
    throw new Error(
      `${method} ${template} ${status}: Content-Type ${type} is not one of ${Object.keys(content).join(', ')}`,
    );
  if (!media.schema) return;
  const body = type.includes('json') ? res.body : res.text;
  const check = ajv.compile(resolveSchema(media.schema));
  if (!check(body)) {
    throw new Error(
      `${method} ${template} ${status}: body does not match openapi.yaml: ${ajv.errorsText(check.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
    );
  }
}

/** A schema whose $refs point into the spec registered as `openapi`. */
function resolveSchema(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema), (_k, v) =>
    v && typeof v === 'object' && typeof v.$ref === 'string' && v.$ref.startsWith('#/')
      ? { ...v, $ref: `openapi${v.$ref}` }
      : v,
  ) as object;
}

/** Every documented (operation, status) pair. */
export function documented(): string[] {
  const out: string[] = [];
  for (const [template, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (method === 'parameters') continue;
      for (const status of Object.keys(op.responses)) out.push(`${method.toUpperCase()} ${template} ${status}`);
    }
  }
  return out;
}
