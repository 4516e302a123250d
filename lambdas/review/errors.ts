import type { ErrorCode, PlanStatus } from '../agent/events';
import { loadPrompt } from '../prompts';

/** A review-workflow failure the user can act on: `code` goes into the `error` event, `message` is for humans. */
export class ReviewError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ReviewError';
  }
}

/** No such plan for this user (another user's plan is indistinguishable from a missing one: keys hold the user id). */
export class PlanNotFoundError extends ReviewError {
  constructor(readonly planId: string) {
    super('plan_not_found', `There is no review plan ${planId} for you. Ask for a new review to make one.`);
    this.name = 'PlanNotFoundError';
  }
}

/** The plan's TTL has passed (DynamoDB may not have deleted it yet; it is treated as gone either way). */
export class PlanExpiredError extends ReviewError {
  constructor(readonly planId: string) {
    super('plan_expired', `Review plan ${planId} has expired. Ask for a new review to make a fresh plan.`);
    this.name = 'PlanExpiredError';
  }
}

/** What a conflict message can say about the plan's current state. */
export interface PlanConflictDetails {
  reviewUrl?: string;
  failureReason?: string;
  /** When the plan last changed: a running review's last heartbeat. */
  updatedAt?: string;
  /** When a running review's lease lapses (epoch seconds): from then on it may be restarted or cancelled. */
  leaseExpiresAt?: number;
}

/** The plan is not in a state that allows the requested transition; nothing was changed. */
export class PlanConflictError extends ReviewError {
  constructor(
    readonly planId: string,
    readonly currentStatus: PlanStatus,
    details: PlanConflictDetails = {},
  ) {
    super('plan_conflict', conflictMessage(planId, currentStatus, details));
    this.name = 'PlanConflictError';
  }
}

function conflictMessage(planId: string, status: PlanStatus, details: PlanConflictDetails): string {
  switch (status) {
    case 'pending':
      return `Review plan ${planId} is still waiting for approval.`;
    case 'approved':
    case 'executing':
      return loadPrompt('review-plan-running', {
        plan_id: planId,
        last_update: details.updatedAt ? utcTime(Date.parse(details.updatedAt)) : 'an unknown time',
        lease_expires:
          details.leaseExpiresAt === undefined ? 'a few minutes' : utcTime(details.leaseExpiresAt * 1000),
      }).trim();
    case 'completed':
      return `Review plan ${planId} is already done${details.reviewUrl ? `: the review is at ${details.reviewUrl}` : ''}.`;
    case 'cancelled':
      return `Review plan ${planId} was cancelled. Ask for a new review to start again.`;
    case 'failed':
      return `Review plan ${planId} failed${details.failureReason ? ` (${details.failureReason})` : ''}. Ask for a new review to start again.`;
  }
}

/** "2030-01-01 00:05:00 UTC": what a person reads in a message. */
export function utcTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * This run's lease on the plan was taken over (the plan was restarted by another approval or cancelled after the run
 * went quiet for longer than its lease): the run must stop without posting or changing the plan.
 */
export class PlanLeaseLostError extends ReviewError {
  constructor(readonly planId: string) {
    super('plan_conflict', loadPrompt('review-lease-lost', { plan_id: planId }).trim());
    this.name = 'PlanLeaseLostError';
  }
}

/** The model's JSON was still invalid after one repair attempt. */
export class ModelOutputError extends ReviewError {
  constructor(
    readonly what: string,
    readonly problem: string,
  ) {
    super('review_failed', `The model did not return a valid ${what} after a repair attempt: ${problem}`);
    this.name = 'ModelOutputError';
  }
}

/** The pull request reference could not be understood. */
export class InvalidPullRequestRefError extends ReviewError {
  constructor(input: string) {
    super(
      'invalid_input',
      `"${input.slice(0, 200)}" is not a pull request; use owner/repo#123 or https://github.com/owner/repo/pull/123.`,
    );
    this.name = 'InvalidPullRequestRefError';
  }
}

/**
 * GitHub refused a review with 422 Unprocessable Entity (nothing was created). The ReviewGitHub adapter throws it,
 * carrying GitHub's message and its `errors` strings, so the workflow can retry with what GitHub accepts.
 */
export class GitHubValidationError extends Error {
  readonly status = 422;
  constructor(
    message: string,
    readonly errors: string[] = [],
  ) {
    super(message);
    this.name = 'GitHubValidationError';
  }
}

/**
 * Posting failed in a way GitHub may have acted on anyway (a 5xx, a network error, a timeout), and the PR was then
 * searched for the review's marker. `mayBePosted` false: the review is not there, so nothing was posted. True: the
 * search failed too, so nobody knows; the user must look at the PR before re-running, or the review may appear twice.
 */
export class ReviewPostError extends ReviewError {
  constructor(
    message: string,
    readonly mayBePosted: boolean,
  ) {
    // No `cause`: Octokit's errors carry request details that have no business in a log line.
    super('review_failed', message);
    this.name = 'ReviewPostError';
  }
}

/**
 * The message of a credentials failure worth showing as it is: an IdentityError (lambdas/identity/errors.ts) or a
 * GitHubAuthError (lambdas/github/errors.ts), whose messages name configuration to fix and never a token. Matched by
 * name, so the review module needs neither layer's classes.
 */
export function credentialProblem(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  return error.name === 'IdentityError' || error.name === 'GitHubAuthError' ? error.message : undefined;
}
