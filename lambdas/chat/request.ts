import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import * as z from 'zod';

/** Largest request body accepted (bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

const sessionId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1 to 128 letters, digits, "_" or "-"');

const pendingId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id from a plan or write_pending event');

/** `POST /chat/stream`: a message, or an approve/cancel action on a review plan or a withheld write. */
export const chatRequestSchema = z.union([
  z.strictObject({
    message: z.string().trim().min(1, 'must not be empty').max(32_000, 'must be at most 32,000 characters'),
    session_id: sessionId.optional(),
    /** The client's loopback URL for the GitHub consent redirect; must be one the deployment allows. */
    return_url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
  }),
  z.strictObject({
    session_id: sessionId,
    action: z
      .strictObject({
        type: z.enum(['approve', 'cancel']),
        /** A review plan's id (`p_…`) from a `plan` event. */
        plan_id: pendingId.optional(),
        /** A withheld write's id (`w_…`) from a `write_pending` event. */
        action_id: pendingId.optional(),
      })
      .refine((action) => (action.plan_id === undefined) !== (action.action_id === undefined), {
        message: 'give exactly one of plan_id and action_id',
      }),
  }),
]);
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** `POST /oauth/complete`: finish the GitHub consent the same user started. */
export const oauthCompleteSchema = z.strictObject({
  session_uri: z.string().min(1).max(2048),
  /** The `state` the browser's redirect brought back (its hash was in the `oauth_url` event). */
  state: z.string().min(1).max(512),
});

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
