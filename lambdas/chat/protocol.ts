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
