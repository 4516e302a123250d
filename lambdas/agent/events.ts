/**
 * The wire protocol's event union (docs/api.md is the reference). Every chat stream is a sequence of these,
 * encoded as `data: <json>\n\n`, and always ends with `done`.
 */
export type ChatEvent =
  | { type: 'session'; session_id: string }
  | { type: 'token'; content: string }
  | { type: 'tool_use'; tool_name: string; tool_input: unknown }
  | { type: 'tool_result'; tool_name: string; ok: boolean; summary: string }
  /** `state_hash`: SHA-256 (base64url) of the consent's secret customState; the redirect must carry the state. */
  | { type: 'oauth_url'; url: string; session_uri: string; state_hash: string; user_code?: string }
  | { type: 'plan'; plan_id: string; plan: unknown; markdown: string }
  | {
      type: 'status';
      plan_id: string;
      status: PlanStatus;
      current_step: string;
      progress: number;
      issues: string[];
      updated_at: string;
    }
  | { type: 'review_posted'; plan_id: string; url: string }
  /**
   * A GitHub write the model proposed after the session read text written by other people: stored, not run. It runs
   * only when the user approves this `action_id` (docs/api.md).
   */
  | {
      type: 'write_pending';
      action_id: string;
      tool_name: string;
      tool_input: unknown;
      summary: string;
      expires_at: string;
    }
  | { type: 'error'; code: ErrorCode; message: string }
  | { type: 'done' };

export type PlanStatus = 'pending' | 'approved' | 'executing' | 'completed' | 'failed' | 'cancelled';

/** Stable error codes a client can switch on; the message is for humans. */
export type ErrorCode =
  | 'model_throttled'
  | 'model_access_denied'
  | 'model_validation'
  | 'model_not_ready'
  | 'model_unavailable'
  | 'model_error'
  | 'iteration_limit'
  | 'time_limit'
  | 'token_limit'
  | 'plan_not_found'
  | 'plan_conflict'
  | 'plan_expired'
  /** No withheld write with that id for you in this conversation. */
  | 'action_not_found'
  /** The withheld write waited too long for approval; nothing was done. */
  | 'action_expired'
  /** The withheld write is not pending any more (already run, running, failed or cancelled). */
  | 'action_conflict'
  | 'session_not_found'
  | 'storage_error'
  /** The PR's head moved since the plan was made: nothing was posted; re-plan. */
  | 'plan_stale'
  /**
   * A review run failed (invalid model output, GitHub refused it, ...): nothing was posted, unless the message says
   * the review may have been (a failed post that could not be checked on the PR).
   */
  | 'review_failed'
  /** The user's input could not be understood (e.g. not a pull request reference). */
  | 'invalid_input'
  /** DynamoDB, AgentCore Identity, Bedrock or GitHub did not answer within its timeout: the turn stopped. */
  | 'dependency_timeout'
  /** The client went away mid-turn: the turn stopped (kept in the history; no connected client sees it). */
  | 'client_disconnected'
  | 'internal_error';

/** Where the core writes events; the handler encodes them as SSE. */
export type Emit = (event: ChatEvent) => void;
