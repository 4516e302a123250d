/**
 * Writes test/support/openapi/github-subset.json: the few operations of GitHub's official OpenAPI description that
 * this project calls, plus every component they reference, in a form openapi-backend + ajv can validate with.
 *
 * `@octokit/openapi` is 385 MB (ten specs), so it is never a dependency. To regenerate:
 *
 *   cd /tmp && npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz   # ~29 MB download
 *   npx tsx test/support/openapi/generate-subset.ts /tmp/package
 *
 * (Drop the version pin to move to GitHub's latest description; the version used is written to the subset's
 * `info.x-octokit-openapi-version`.)
 *
 * Only `generated/api.github.com.json` (the non-dereferenced variant, 13 MB) is read. To validate a new call in the
 * GitHub stand-in, add its operationId to OPERATIONS, regenerate, and give the stand-in a handler for it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The operations the tools, the review workflow and the stand-in use (GitHub operationIds). */
export const OPERATIONS = [
  'users/get-authenticated',
  'repos/list-for-authenticated-user',
  'repos/get',
  'issues/list-for-repo',
  'issues/create',
  'pulls/list',
  'pulls/create',
  'pulls/get',
  'pulls/list-files',
  'pulls/list-reviews',
  'pulls/create-review',
  'repos/compare-commits',
  'repos/get-content',
  'repos/list-webhooks',
  'repos/create-webhook',
  'repos/get-webhook',
  'repos/delete-webhook',
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Keywords that only document (or drive code generators): dropped to keep the subset small. */
const DOC_KEYWORDS = new Set([
  'description',
  'summary',
  'example',
  'examples',
  'externalDocs',
  'tags',
  'title',
]);

/** Objects whose keys are names (of properties, status codes, media types...), not schema keywords. */
const NAME_MAPS = new Set([
  'properties',
  'patternProperties',
  'paths',
  'responses',
  'content',
  'headers',
  'schemas',
  'parameters',
  'requestBodies',
]);

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Copies `node` (whose key in its parent is `parentKey`; `isResponse` when it is a response object) without documentation keywords and vendor extensions, and with OpenAPI 3.0 `nullable` rewritten so
 * ajv accepts `null` where GitHub sends it: `nullable` without `type` becomes `anyOf [schema, {type: 'null'}]`,
 * and a nullable `enum` gains `null` (ajv checks `enum` before `nullable` would let null through).
 */
export function clean(node: Json, parentKey = '', isResponse = false): Json {
  if (Array.isArray(node)) return node.map((item) => clean(item));
  if (!isObject(node)) return node;
  const isNameMap = NAME_MAPS.has(parentKey);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    // A response object must keep its (short) description: OpenAPI requires it.
    const keep = isNameMap || (isResponse && key === 'description');
    if (!keep && (DOC_KEYWORDS.has(key) || key.startsWith('x-'))) continue;
    out[key] = clean(value, isNameMap ? '' : key, isNameMap && parentKey === 'responses');
  }
  if (isNameMap || out.nullable === undefined) return out;
  const nullable = out.nullable === true;
  delete out.nullable;
  if (!nullable) return out;
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (out.type === undefined) return { anyOf: [out, { type: 'null' }] };
  out.nullable = true;
  return out;
}

/** Every `#/components/...` reference inside `node`. */
function refsIn(node: Json, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) refsIn(item, found);
  } else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.add(value);
      else refsIn(value, found);
    }
  }
  return found;
}

/** Builds the subset document from the full `api.github.com.json`. */
export function buildSubset(spec: JsonObject, version: string): JsonObject {
  const paths = isObject(spec.paths) ? spec.paths : {};
  const components = isObject(spec.components) ? spec.components : {};
  const wanted = new Set<string>(OPERATIONS);
  const keptPaths: JsonObject = {};

  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    const keptItem: JsonObject = {};
    for (const [method, operation] of Object.entries(item)) {
      if (HTTP_METHODS.has(method) && isObject(operation) && wanted.has(String(operation.operationId))) {
        keptItem[method] = clean(operation);
        wanted.delete(String(operation.operationId));
      }
    }
    if (Object.keys(keptItem).length === 0) continue;
    if (Array.isArray(item.parameters)) keptItem.parameters = clean(item.parameters);
    keptPaths[path] = keptItem;
  }
  if (wanted.size > 0) throw new Error(`Operations not found in the spec: ${[...wanted].join(', ')}`);

  // Follow references transitively; documentation (and so `examples`) is already gone.
  const keptComponents: Record<string, JsonObject> = {};
  const queue = [...refsIn(keptPaths)];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const ref = queue.pop() as string;
    if (seen.has(ref)) continue;
    seen.add(ref);
    const match = /^#\/components\/([^/]+)\/(.+)$/.exec(ref);
    if (!match) throw new Error(`Unsupported reference ${ref}`);
    const [, kind = '', name = ''] = match;
    const group = components[kind];
    const target = isObject(group) ? group[name] : undefined;
    if (target === undefined) throw new Error(`Dangling reference ${ref}`);
    const cleaned = clean(target, '', kind === 'responses');
    keptComponents[kind] ??= {};
    (keptComponents[kind] as JsonObject)[name] = cleaned;
    queue.push(...refsIn(cleaned));
  }
  const sortedComponents: JsonObject = {};
  for (const kind of Object.keys(keptComponents).sort()) {
    const group = keptComponents[kind] as JsonObject;
    sortedComponents[kind] = Object.fromEntries(
      Object.keys(group)
        .sort()
        .map((name) => [name, group[name] ?? null]),
    );
  }

  return {
    openapi: spec.openapi ?? '3.0.3',
    info: {
      title: 'GitHub REST API (subset for the github-coding-agent stand-in)',
      version: String(isObject(spec.info) ? spec.info.version : 'unknown'),
      description: `Generated by test/support/openapi/generate-subset.ts from @octokit/openapi ${version} (generated/api.github.com.json). Do not edit by hand.`,
      'x-octokit-openapi-version': version,
      'x-operations': [...OPERATIONS],
    },
    paths: keptPaths,
    components: sortedComponents,
  };
}

function main(argv: string[]): void {
  const packageDir = argv[0];
  if (!packageDir) {
    throw new Error(
      'Usage: tsx test/support/openapi/generate-subset.ts <path to the extracted @octokit/openapi package>',
    );
  }
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string };
  const spec = JSON.parse(
    readFileSync(join(packageDir, 'generated', 'api.github.com.json'), 'utf8'),
  ) as JsonObject;
  const subset = buildSubset(spec, pkg.version ?? 'unknown');
  const out = fileURLToPath(new URL('./github-subset.json', import.meta.url));
  const text = `${JSON.stringify(subset, null, 1)}\n`;
  writeFileSync(out, text);
  console.log(`Wrote ${out}: ${OPERATIONS.length} operations, ${Math.round(text.length / 1024)} KB`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
