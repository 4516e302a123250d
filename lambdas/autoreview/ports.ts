/**
 * Auto-review ports: what the chat commands, the webhook receiver and the worker share. The DynamoDB adapter lives
 * in `lambdas/autoreview/subscriptions.ts`; chat code and the worker depend only on these interfaces.
 */

/** Events a subscription reacts to (GitHub `pull_request` actions). */
export const AUTO_REVIEW_ACTIONS = ['opened', 'reopened', 'ready_for_review', 'synchronize'] as const;
export type AutoReviewAction = (typeof AUTO_REVIEW_ACTIONS)[number];

/** What a subscriber chose when subscribing. */
export interface SubscriptionOptions {
  /** Review draft PRs too (default false: drafts are skipped until `ready_for_review`). */
  drafts: boolean;
  /** This subscriber accepts other subscribers on the same repo (each posts as themselves). Default false. */
  shared: boolean;
}

/** The outcome of the latest auto-review a subscription ran, shown by "list auto-reviews". */
export interface SubscriptionResult {
  /** ISO time. */
  at: string;
  outcome: 'posted' | 'no_changes' | 'skipped' | 'failed';
  pullNumber: number;
  headSha?: string;
  reviewUrl?: string;
  /** One line for people (never a token, never raw AWS error text). */
  detail?: string;
}

/** One user's subscription to one repository. */
export interface Subscription {
  /** `owner/name`, lower-cased: the key a webhook delivery is matched on. */
  repo: string;
  /** The subscribing user's id (from the authenticated request): reviews are posted with this user's token. */
  userId: string;
  /** The GitHub repository webhook this subscription created (deleted again on unsubscribe). */
  hookId: number;
  options: SubscriptionOptions;
  /** `broken` when the subscriber's token is gone or revoked: deliveries are dropped, not retried. */
  status: 'active' | 'broken';
  brokenReason?: string;
  createdAt: string;
  lastResult?: SubscriptionResult;
}

/** What `add` did. `held_by_other` never says who holds the repo. */
export type AddSubscriptionOutcome =
  | { kind: 'created'; subscription: Subscription }
  | { kind: 'exists'; subscription: Subscription }
  | { kind: 'held_by_other' };

/**
 * Where subscriptions live. Items are keyed by repo and user (`REPO#<owner/name>` / `SUB#<userId>`), with a per-user
 * index for listing; every write is a single conditional item write.
 */
export interface SubscriptionStore {
  /** Adds the caller's subscription unless another user holds the repo and either side did not choose `shared`. */
  add(subscription: Subscription): Promise<AddSubscriptionOutcome>;
  /** Removes the caller's own subscription; `undefined` when they had none (another user's is never touched). */
  remove(userId: string, repo: string): Promise<Subscription | undefined>;
  /** The caller's subscriptions, by repo. */
  listForUser(userId: string): Promise<Subscription[]>;
  /** Every subscription of a repo (the webhook worker fans a delivery out to them). */
  listForRepo(repo: string): Promise<Subscription[]>;
  markBroken(userId: string, repo: string, reason: string): Promise<void>;
  recordResult(userId: string, repo: string, result: SubscriptionResult): Promise<void>;
}

/** One unit of work on the queue: review one PR for one subscriber. Built only from a verified delivery. */
export interface AutoReviewJob {
  /** `X-GitHub-Delivery` (already de-duplicated by the receiver). */
  deliveryId: string;
  repo: string;
  pullNumber: number;
  action: AutoReviewAction;
  headSha: string;
  /** `before` of a `synchronize` push: the head the previous review may have covered. */
  beforeSha?: string;
  draft: boolean;
  subscriberUserId: string;
}
