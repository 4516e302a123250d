import type * as z from 'zod';
import type { GitHubAccess } from '../github/access';
import type { Emit } from './events';
import type { TokenUsage } from './model';

/** What a tool's run receives besides its validated input. */
export interface ToolContext {
  /** The authenticated user's id (from the IAM request context); scope every lookup with it. */
  userId: string;
  sessionId: string;
  emit: Emit;
  signal?: AbortSignal;
  /** Whether the session has read text written by other people (tools that replace the user's work must not). */
  sessionUntrusted?: () => boolean;
  /** Ends the turn after this round of tools (e.g. a dependency stopped answering); `signal` aborts with `reason`. */
  stopTurn?(reason: unknown): void;
  /**
   * This user's GitHub for this turn (its token is fetched on first use and lives only as long as the turn). Bound per
   * turn, because the tools themselves are built once per cold start and shared by every user's turns.
   */
  github?: GitHubAccess;
  /** Counts the tokens of model calls a tool makes for this turn (the review planner), for the user's budget. */
  onUsage?: (usage: TokenUsage) => void;
}

/** A tool's answer: `content` goes to the model (keep it small), `summary` to the client's `tool_result`. */
export interface ToolOutput {
  ok: boolean;
  summary: string;
  content: unknown;
}

/** A tool the model can call: a zod input schema (its JSON Schema is what the model sees) and a function. */
export interface Tool<Input = unknown> {
  name: string;
  description: string;
  input: z.ZodType<Input>;
  /** Read-only tools in one model turn may run concurrently. */
  readOnly: boolean;
  /** Acts outside this app on the user's behalf (creates a GitHub issue or pull request). */
  externalWrite?: boolean;
  /** Returns text written by other people (issue bodies, PR descriptions, diffs): untrusted input for the model. */
  untrustedOutput?: boolean;
  /** One line for people saying what this write would do (shown when it waits for approval). */
  describeWrite?(input: Input): string;
  run(input: Input, context: ToolContext): Promise<ToolOutput>;
}

/** Erases a tool's input type so tools of different inputs fit one list. */
export function defineTool<Input>(tool: Tool<Input>): Tool<unknown> {
  return tool as unknown as Tool<unknown>;
}

/**
 * Thrown by a tool when the user must consent in a browser before it can act (GitHub OAuth). The agent loop
 * streams an `oauth_url` event and ends the turn without persisting it; the client re-sends the message.
 */
export class ConsentRequiredError extends Error {
  constructor(
    readonly authorizationUrl: string,
    readonly sessionUri: string,
    readonly state: string,
    readonly userCode?: string,
  ) {
    super('GitHub authorization is required');
    this.name = 'ConsentRequiredError';
  }
}
