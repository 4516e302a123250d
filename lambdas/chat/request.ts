import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import type * as z from 'zod';
import { MAX_BODY_BYTES } from './protocol';

// The request schemas live in protocol.ts (one definition for the handler, the client and docs/protocol/).
export { type ChatRequest, chatRequestSchema, MAX_BODY_BYTES, oauthCompleteSchema } from './protocol';

/** A request refused before any stream starts: becomes a JSON `{error, type, timestamp}` response. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Reads and validates a JSON body: 415 for another content type, 413 over {@link MAX_BODY_BYTES}, 400 for malformed
 * JSON or invalid fields (the message names each field).
 * @throws HttpError
 */
export function parseJsonBody<T>(event: LambdaFunctionURLEventWithIAMAuthorizer, schema: z.ZodType<T>): T {
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      'Send the body as JSON with Content-Type: application/json',
    );
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new HttpError(
      413,
      'payload_too_large',
      `The body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HttpError(400, 'invalid_request', describeIssues(parsed.error));
  return parsed.data;
}

/**
 * Validates a query string or path parameter: 400 `invalid_request` naming the field (`name` for a bare value).
 * @throws HttpError
 */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, name?: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error);
    throw new HttpError(400, 'invalid_request', name ? `${name}: ${problems}` : problems);
  }
  return parsed.data;
}

/** Case-insensitive header lookup (function URLs lower-case them; the local server may not). */
export function header(event: LambdaFunctionURLEventWithIAMAuthorizer, name: string): string | undefined {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function describeIssues(error: z.ZodError): string {
  const problems = new Set<string>();
  for (const issue of error.issues) {
    if (issue.code === 'invalid_union') {
      // Report the branch that got furthest: the one whose fields the caller evidently meant.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      for (const inner of best) problems.add(formatIssue(inner));
    } else {
      problems.add(formatIssue(issue));
    }
  }
  return [...problems].join('; ');
}

function formatIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
