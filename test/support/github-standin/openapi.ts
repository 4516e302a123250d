import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { OpenAPIBackend, type Request as OpenApiRequest } from 'openapi-backend';

/** The subset of GitHub's OpenAPI description the stand-in checks against (see test/support/openapi/generate-subset.ts). */
const SUBSET_URL = new URL('../openapi/github-subset.json', import.meta.url);

type Definition = ConstructorParameters<typeof OpenAPIBackend>[0]['definition'];
type Schema = {
  type?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: unknown;
};

/** A matched operation: its GitHub operationId and the request body schema, if any. */
export interface MatchedOperation {
  operationId: string;
  bodySchema?: Schema;
}

/** Request and response checks against GitHub's OpenAPI description. */
export interface GitHubOpenApi {
  /** The operation a request is for, or undefined when GitHub has no such route (in the subset). */
  match(request: OpenApiRequest): MatchedOperation | undefined;
  /** Problems with a request's path, query, headers and body, as readable lines; empty when valid. */
  validateRequest(request: OpenApiRequest, operationId: string): string[];
  /** Problems with a response body for `status`; empty when valid or when the spec has no schema for it. */
  validateResponse(operationId: string, status: number, body: unknown): string[];
}

let shared: GitHubOpenApi | undefined;

type Json = Record<string, unknown>;

/**
 * The validator, built once per process. Requests: openapi-backend in quick mode (validators compile lazily, so
 * starting a stand-in costs milliseconds). Responses: one ajv over the subset *with* its `$ref`s, so each GitHub
 * component schema compiles once instead of once per place it is inlined (about 8x faster than openapi-backend's
 * dereferenced response validators). Both use ajv-formats and GitHub's custom `repo.nwo` format.
 */
export function githubOpenApi(): GitHubOpenApi {
  if (shared) return shared;
  const text = readFileSync(SUBSET_URL, 'utf8');
  // openapi-backend dereferences its definition in place: it gets its own copy.
  const api = new OpenAPIBackend({
    definition: JSON.parse(text) as Definition,
    quick: true,
    validate: true,
    ajvOpts: { code: { optimize: false } },
    customizeAjv: (ajv) => withFormats(ajv),
  });
  // Quick mode with an in-memory definition initializes synchronously; the promise has nothing left to wait for.
  void api.init();

  const document = JSON.parse(text) as { paths: Record<string, Record<string, Json>>; components: Json };
  const responseAjv = withFormats(
    new Ajv({ strict: false, validateSchema: false, code: { optimize: false } }),
  );
  responseAjv.addSchema(document, 'github');
  const operations = new Map<string, { path: string; method: string; operation: Json }>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (typeof operation.operationId === 'string')
        operations.set(operation.operationId, { path, method, operation });
    }
  }
  const responseValidators = new Map<string, ValidateFunction | null>();
  const responseValidator = (operationId: string, status: number): ValidateFunction | null => {
    const key = `${operationId} ${status}`;
    const cached = responseValidators.get(key);
    if (cached !== undefined) return cached;
    const found = operations.get(operationId);
    const responses = (found?.operation.responses ?? {}) as Record<string, Json>;
    let pointer = found ? ['paths', found.path, found.method, 'responses', String(status)] : [];
    let response = responses[String(status)];
    if (typeof response?.$ref === 'string') {
      // A shared response object (#/components/responses/x): its schema lives there.
      pointer = response.$ref.slice(2).split('/');
      response = (document.components.responses as Record<string, Json>)[pointer.at(-1) ?? ''];
    }
    const hasSchema = (response?.content as Record<string, Json> | undefined)?.['application/json']?.schema;
    const validator = hasSchema
      ? responseAjv.compile({
          $ref: `github#/${[...pointer, 'content', 'application/json', 'schema'].map(escapePointer).join('/')}`,
        })
      : null;
    responseValidators.set(key, validator);
    return validator;
  };

  const format = (
    errors: ReadonlyArray<{ instancePath?: string; message?: string; params?: unknown }>,
  ): string[] =>
    errors.map(
      (error) =>
        `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params ?? {})}`,
    );

  shared = {
    match(request) {
      const operation = api.matchOperation(request);
      if (!operation?.operationId) return undefined;
      const content = (operation.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)
        ?.content;
      return { operationId: operation.operationId, bodySchema: content?.['application/json']?.schema };
    },
    validateRequest(request, operationId) {
      const result = api.validator.validateRequest(request, operationId);
      return result.valid ? [] : format(result.errors ?? []);
    },
    validateResponse(operationId, status, body) {
      const validate = responseValidator(operationId, status);
      if (!validate || validate(body)) return [];
      return format(validate.errors ?? []);
    },
  };
  return shared;
}

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
  return ajv;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Body properties the operation's schema does not declare. GitHub ignores unknown fields silently, which hides
 * typos (`comment` for `comments`); the stand-in reports them instead.
 */
export function undeclaredProperties(value: unknown, schema: Schema | undefined, path = ''): string[] {
  if (schema === undefined || typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) {
    return schema.items
      ? value.flatMap((item, index) => undeclaredProperties(item, schema.items, `${path}/${index}`))
      : [];
  }
  if (schema.properties === undefined || schema.additionalProperties !== undefined) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childSchema = schema.properties?.[key];
    if (childSchema === undefined) return [`${path}/${key} is not a property GitHub's schema declares`];
    return undeclaredProperties(child, childSchema, `${path}/${key}`);
  });
}
