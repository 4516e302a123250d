/**
 * The wire protocol's events, defined once: these zod schemas give the TypeScript types the handler emits, the
 * terminal client's parser, and the JSON Schema / OpenAPI documents in docs/protocol/ (`npm run gen:protocol`).
 * Every chat stream is a sequence of these, encoded as `data: <json>\n\n`, and always ends with `done`.
 */
import * as z from 'zod';

/** A review plan's life: pending → approved → executing → completed | failed; pending → cancelled. */
export const planStatusSchema = z
  .enum(['pending', 'approved', 'executing', 'completed', 'failed', 'cancelled'])
  .meta({ id: 'PlanStatus', description: "A review plan's state." });
export type PlanStatus = z.infer<typeof planStatusSchema>;

/**
 * Stable error codes a client can switch on; the message is for humans. Add a code here (and a row in docs/api.md's
 * table): the types, the client and the generated documents follow.
 */
export const ERROR_CODES = {
  model_throttled: 'Bedrock kept throttling after retries with backoff.',
  model_access_denied: 'The deployment may not use the model.',
  model_validation: 'Bedrock rejected the request (e.g. a wrong model id).',
  model_not_ready: 'The model is not ready yet.',
  model_unavailable: 'Bedrock is unavailable or failed mid-stream.',
  model_error: 'Any other model failure.',
  iteration_limit: 'The assistant kept calling tools past the limit.',
  time_limit: "The function's time ran out before the answer finished.",
  token_limit: 'The answer hit the output-token limit and was cut off.',
  plan_not_found: 'No such plan for you in this session.',
  plan_conflict: "The plan's state does not allow this (e.g. approving a cancelled plan).",
  plan_expired: 'The plan passed its lifetime.',
  plan_stale: "The PR's head moved since the plan was made: nothing was posted; re-plan.",
  review_failed: 'A review run failed; the message says why and whether it may have been posted.',
  action_not_found: 'No such pending action for you in this session.',
  action_expired: 'The pending action passed its lifetime.',
  action_conflict: "The pending action's state does not allow this (e.g. approved twice).",
  session_not_found: 'Reserved: no longer sent (an unknown session id starts a new session).',
  storage_error: 'The conversation could not be loaded or saved.',
  dependency_timeout: 'A service the turn depends on did not answer in time.',
  client_disconnected: 'The client went away mid-turn: the turn stopped (kept in the history).',
  identity_misconfigured: "The deployment's GitHub identity setup is wrong (operator).",
  rate_limited: "The user's turns for this hour are used up; the message says when the budget resets.",
  invalid_input: 'The input could not be understood (e.g. not a pull request reference).',
  internal_error: 'A bug on our side.',
} as const satisfies Record<string, string>;

export const errorCodeSchema = z
  .enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...Array<keyof typeof ERROR_CODES>])
  .meta({ id: 'ErrorCode', description: 'A stable error code; see docs/api.md#error-codes.' });
export type ErrorCode = z.infer<typeof errorCodeSchema>;

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S, description: string) =>
  z.object({ type: z.literal(type), ...shape }).meta({ id: eventId(type), description });

function eventId(type: string): string {
  return `${type.replace(/(^|_)([a-z])/g, (_match, _sep: string, letter: string) => letter.toUpperCase())}Event`;
}

export const sessionEventSchema = event(
  'session',
  { session_id: z.string() },
  'The conversation this turn belongs to; always the first event. Send `session_id` with the next message.',
);
export const tokenEventSchema = event(
  'token',
  { content: z.string() },
  "A piece of the assistant's text as the model produces it; concatenate them.",
);
export const toolUseEventSchema = event(
  'tool_use',
  { tool_name: z.string(), tool_input: z.unknown() },
  'The assistant calls a tool.',
);
export const toolResultEventSchema = event(
  'tool_result',
  { tool_name: z.string(), ok: z.boolean(), summary: z.string() },
  'A tool finished; `summary` is one short line for people (the full result goes to the model only).',
);
export const oauthUrlEventSchema = event(
  'oauth_url',
  {
    url: z.string(),
    session_uri: z.string(),
    /** SHA-256 (base64url) of the consent's secret customState; the redirect must carry the state. */
    state_hash: z.string(),
    user_code: z.string().optional(),
  },
  "GitHub access needs the user's consent: open `url`. The turn ends after this.",
);
export const planEventSchema = event(
  'plan',
  {
    plan_id: z.string(),
    plan: z
      .object({
        objective: z.string(),
        steps: z.array(z.string()),
        risks: z.array(z.string()),
        estimated_time_minutes: z.number(),
      })
      .meta({ description: 'The structured plan; `markdown` renders it.' }),
    markdown: z.string(),
  },
  'A PR review plan waiting for approve/cancel.',
);
export const statusEventSchema = event(
  'status',
  {
    plan_id: z.string(),
    status: planStatusSchema,
    current_step: z.string(),
    progress: z.number(),
    issues: z.array(z.string()),
    updated_at: z.string(),
  },
  'Progress of an approved review; `progress` is 0–100.',
);
export const reviewPostedEventSchema = event(
  'review_posted',
  { plan_id: z.string(), url: z.string() },
  'The review was posted on the pull request.',
);
export const writePendingEventSchema = event(
  'write_pending',
  {
    action_id: z.string(),
    tool_name: z.string(),
    tool_input: z.unknown(),
    summary: z.string(),
    /** ISO 8601. */
    expires_at: z.string(),
  },
  "A GitHub write withheld after the session read other people's text: it runs only when the user approves it " +
    '(`approve <action_id>` or an action request); `cancel <action_id>` drops it.',
);
export const errorEventSchema = event(
  'error',
  { code: errorCodeSchema, message: z.string() },
  'Something failed; `code` is stable, `message` is for people. `done` follows.',
);
export const doneEventSchema = event('done', {}, 'The end of the stream; a stream without it was cut off.');

/** Every event of the chat stream, by `type`. */
export const chatEventSchema = z
  .discriminatedUnion('type', [
    sessionEventSchema,
    tokenEventSchema,
    toolUseEventSchema,
    toolResultEventSchema,
    oauthUrlEventSchema,
    planEventSchema,
    statusEventSchema,
    reviewPostedEventSchema,
    writePendingEventSchema,
    errorEventSchema,
    doneEventSchema,
  ])
  .meta({ id: 'ChatEvent', description: 'One Server-Sent Event of POST /chat/stream, as `data: <json>`.' });

/** The wire protocol's event union (docs/api.md is the reference). */
export type ChatEvent = z.infer<typeof chatEventSchema>;

/** Where the core writes events; the handler encodes them as SSE. */
export type Emit = (event: ChatEvent) => void;
