/**
 * The chat function's HTTP protocol, defined once: request bodies and JSON answers here, the stream's events in
 * lambdas/agent/events.ts. The handler validates with these schemas, the terminal client builds and parses with them,
 * and `npm run gen:protocol` turns them into docs/protocol/ (JSON Schema and OpenAPI 3; a test keeps those in step).
 */
import * as z from 'zod';

export * from '../agent/events';

/** Largest request body accepted (bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Session ids are chosen by the server (a new session) or by the client: a well-formed unknown id starts one. */
export const sessionIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1 to 128 letters, digits, "_" or "-"')
  .meta({ id: 'SessionId', description: 'A conversation of this caller; 1–128 of `A-Z a-z 0-9 _ -`.' });

/** Review plan ids (`p_…`, from a `plan` event). */
export const planIdSchema = z
  .string()
  .regex(/^p_[A-Za-z0-9_-]{1,62}$/, 'must be a plan id from a plan event (p_…)');

/** Pending write-action ids (`w_…`, from a `write_pending` event). */
export const actionIdSchema = z
  .string()
  .regex(/^w_[A-Za-z0-9_-]{1,62}$/, 'must be an action id from a write_pending event (w_…)');

/** `POST /chat/stream` with a message. */
export const messageRequestSchema = z
  .strictObject({
    message: z.string().trim().min(1, 'must not be empty').max(32_000, 'must be at most 32,000 characters'),
    session_id: sessionIdSchema.optional(),
    /** The client's loopback URL for the GitHub consent redirect; must be one the deployment allows. */
    return_url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional()
      .meta({
        description: "Where the browser returns after a GitHub consent (the client's loopback listener).",
      }),
  })
  .meta({ id: 'MessageRequest', description: 'A chat message; without `session_id` a new session starts.' });

/** `POST /chat/stream` with an approve/cancel of a review plan (`plan_id`) or a pending write (`action_id`). */
export const actionRequestSchema = z
  .strictObject({
    session_id: sessionIdSchema,
    action: z
      .strictObject({
        type: z.enum(['approve', 'cancel']),
        plan_id: planIdSchema.optional(),
        action_id: actionIdSchema.optional(),
      })
      .refine((action) => (action.plan_id === undefined) !== (action.action_id === undefined), {
        message: 'give exactly one of plan_id and action_id',
      })
      // The refinement, as JSON Schema says it (docs/protocol/).
      .meta({ oneOf: [{ required: ['plan_id'] }, { required: ['action_id'] }] }),
  })
  .meta({
    id: 'ActionRequest',
    description: 'Approve or cancel a review plan (`plan_id`) or a pending write (`action_id`): exactly one.',
  });

/** Every body `POST /chat/stream` accepts. */
export const chatRequestSchema = z
  .union([messageRequestSchema, actionRequestSchema])
  .meta({ id: 'ChatRequest' });
export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type MessageRequest = z.infer<typeof messageRequestSchema>;
export type ActionRequest = z.infer<typeof actionRequestSchema>;

/** `POST /oauth/complete`: finish the GitHub consent the same user started. */
export const oauthCompleteSchema = z
  .strictObject({
    session_uri: z.string().min(1).max(2048),
    /** The `state` the browser's redirect brought back (its hash was in the `oauth_url` event). */
    state: z.string().min(1).max(512),
  })
  .meta({ id: 'OAuthCompleteRequest', description: 'The consent the browser finished, with its `state`.' });

/** `200` of `POST /oauth/complete`. */
export const oauthCompletedSchema = z
  .object({ status: z.literal('completed') })
  .meta({ id: 'OAuthCompleted' });

/** `200` of `GET /health`. */
export const healthSchema = z
  .object({ status: z.literal('healthy'), agent_ready: z.boolean() })
  .meta({ id: 'Health' });

/** Every refusal before a stream starts (4xx/5xx): nothing was stored or sent to the model. */
export const httpErrorBodySchema = z
  .object({
    error: z.string().meta({ description: 'For people; names the offending field.' }),
    type: z.string().meta({ description: 'Stable, e.g. `invalid_request`, `payload_too_large`.' }),
    timestamp: z.string().meta({ description: 'ISO 8601.' }),
  })
  .meta({ id: 'HttpError' });

/** Sessions listed by `GET /sessions` when the query names no `limit`, and the most it may ask for. */
export const SESSION_LIST_DEFAULT = 20;
export const SESSION_LIST_MAX = 50;

/** The query of `GET /sessions` (other parameters are ignored). */
export const sessionListQuerySchema = z.object({
  limit: z.coerce
    .number({ error: `must be a whole number from 1 to ${SESSION_LIST_MAX}` })
    .int(`must be a whole number from 1 to ${SESSION_LIST_MAX}`)
    .min(1, `must be a whole number from 1 to ${SESSION_LIST_MAX}`)
    .max(SESSION_LIST_MAX, `must be a whole number from 1 to ${SESSION_LIST_MAX}`)
    .default(SESSION_LIST_DEFAULT),
});

/** One session in `GET /sessions`. */
export const sessionSummarySchema = z
  .object({
    session_id: z.string(),
    title: z.string().meta({
      description:
        "The session's first user message, whitespace-collapsed, at most 80 characters (plain text).",
    }),
    updated_at: z.string().meta({ description: 'ISO 8601: when the session was last saved.' }),
    message_count: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: 'Messages stored, tool messages included.' }),
  })
  .meta({ id: 'SessionSummary' });

/** `200` of `GET /sessions`: the caller's sessions, newest first. */
export const sessionListSchema = z
  .object({ sessions: z.array(sessionSummarySchema) })
  .meta({ id: 'SessionList', description: "The caller's unexpired sessions, most recently saved first." });
export type SessionList = z.infer<typeof sessionListSchema>;

/** A message of a session as people read it: its text only (tool calls and results are left out). */
export const sessionMessageSchema = z
  .object({ role: z.enum(['user', 'assistant']), text: z.string() })
  .meta({ id: 'SessionMessage' });

/** Something of the session that waits for the caller's approve/cancel. */
export const pendingItemSchema = z
  .object({
    kind: z.enum(['plan', 'write']),
    id: z.string().meta({ description: 'A `plan_id` (p_…) or an `action_id` (w_…) for an action request.' }),
    summary: z.string(),
  })
  .meta({ id: 'PendingItem' });

/** `200` of `GET /sessions/{session_id}`. */
export const sessionViewSchema = z
  .object({
    session_id: z.string(),
    messages: z.array(sessionMessageSchema).meta({ description: 'Oldest first; text content only.' }),
    pending: z
      .array(pendingItemSchema)
      .meta({ description: "The session's pending review plans and withheld writes." }),
  })
  .meta({ id: 'Session', description: 'One session of the caller, to show and continue.' });
export type SessionView = z.infer<typeof sessionViewSchema>;
