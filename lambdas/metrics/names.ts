import type { ErrorCode } from '../agent/events';

/**
 * The CloudWatch metric names, dimension names and defaults, shared by the runtime (which writes them in embedded
 * metric format) and the stack (whose alarms and dashboard read them). docs/operations.md lists each with its unit.
 */
export const METRIC = {
  /** One per chat turn (dimension `service`). */
  turns: 'Turns',
  /** 1 for a turn that ended with a server-side error ({@link ERROR_OUTCOMES}), else 0: its average is the error rate. */
  turnErrors: 'TurnErrors',
  /** One per turn, by `Outcome` (`completed`, `consent_required` or the error code). */
  turnOutcomes: 'TurnOutcomes',
  /** Milliseconds from the start of the turn to its first `token` event. */
  timeToFirstToken: 'TimeToFirstToken',
  /** Milliseconds from the start of the turn until it was saved (just before `done`). */
  turnDuration: 'TurnDuration',
  /** Model calls the agent loop made in the turn. */
  turnModelCalls: 'TurnModelCalls',
  toolCalls: 'ToolCalls',
  /** Tool results that failed (by `Tool` as well); withheld writes are not failures. */
  toolFailures: 'ToolFailures',
  /** One per finished model call, whoever made it (chat loop, review planner, review). */
  modelCalls: 'ModelCalls',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  cacheReadInputTokens: 'CacheReadInputTokens',
  cacheWriteInputTokens: 'CacheWriteInputTokens',
  /** US dollars, from the price table (lambdas/metrics/prices.ts); absent for a model without a price. */
  estimatedCostUsd: 'EstimatedCostUsd',
  consentsStarted: 'ConsentsStarted',
  consentsCompleted: 'ConsentsCompleted',
  consentsFailed: 'ConsentsFailed',
  consentsExpired: 'ConsentsExpired',
  /** A stored token was refused by GitHub (401) and the user was asked to consent again. */
  consentsForced: 'ConsentsForced',
  reviewPlansCreated: 'ReviewPlansCreated',
  reviewsApproved: 'ReviewsApproved',
  reviewsCancelled: 'ReviewsCancelled',
  /** An approve or cancel found the plan expired. */
  reviewPlansExpired: 'ReviewPlansExpired',
  reviewsPosted: 'ReviewsPosted',
  reviewsFailed: 'ReviewsFailed',
  /** The PR moved after the plan was made: nothing was posted. */
  reviewsStale: 'ReviewsStale',
  reviewFilesReviewed: 'ReviewFilesReviewed',
  reviewFilesSkipped: 'ReviewFilesSkipped',
  reviewInlineComments: 'ReviewInlineComments',
  reviewCommentsMovedToBody: 'ReviewCommentsMovedToBody',
  /** Milliseconds from approval to the posted review. */
  reviewDuration: 'ReviewDuration',
  /** A GitHub rate limit that the client waited out and retried. */
  gitHubRateLimitWaits: 'GitHubRateLimitWaits',
  /** A GitHub rate limit too long to wait for (or retried too often): the call failed. */
  gitHubRateLimitFailures: 'GitHubRateLimitFailures',
  /** Webhook deliveries signed correctly, new, and handed to the queue (zero jobs too: no active subscriber). */
  webhookDeliveriesAccepted: 'WebhookDeliveriesAccepted',
  /** Deliveries refused before parsing: bad or missing signature, or too large. */
  webhookDeliveriesRejected: 'WebhookDeliveriesRejected',
  /** Deliveries whose `X-GitHub-Delivery` was seen before (GitHub's redelivery, or a replay). */
  webhookDeliveriesDuplicate: 'WebhookDeliveriesDuplicate',
  /** Signed deliveries of events or actions auto-review does not handle (ping included). */
  webhookDeliveriesIgnored: 'WebhookDeliveriesIgnored',
  /** Jobs put on the auto-review queue (one per active subscriber of the repo). */
  autoReviewJobsQueued: 'AutoReviewJobsQueued',
  /** Jobs the worker finished: review posted, nothing to review, or skipped. */
  autoReviewJobsRun: 'AutoReviewJobsRun',
  /** Jobs that found the subscriber's GitHub token gone or revoked: the subscription is now broken. */
  autoReviewJobsBroken: 'AutoReviewJobsBroken',
  /** Jobs that failed (retried by SQS until the dead-letter queue takes them). */
  autoReviewJobsFailed: 'AutoReviewJobsFailed',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Dimension names. Values are low-cardinality by construction: never a user, session, repository or plan id. */
export const DIMENSION = { service: 'service', outcome: 'Outcome', tool: 'Tool' } as const;

export const DEFAULT_METRICS_NAMESPACE = 'GitHubCodingAgent';
export const DEFAULT_METRICS_SERVICE = 'github-coding-agent';

/**
 * Turn outcomes that count as errors for the error-rate target: the service failed the user. Outcomes that are the
 * user's input or a configured limit doing its job (`invalid_input`, `plan_not_found`, `plan_stale`, `iteration_limit`,
 * `token_limit`...) are not errors; they are still counted by `Outcome`.
 */
export const ERROR_OUTCOMES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'model_throttled',
  'model_access_denied',
  'model_validation',
  'model_not_ready',
  'model_unavailable',
  'model_error',
  'time_limit',
  'storage_error',
  'review_failed',
  'dependency_timeout',
  'identity_misconfigured',
  'internal_error',
]);
