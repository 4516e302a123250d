import type { PlanStatus } from '../agent/events';
import type { ModelPort } from '../agent/model';
import type { Logger } from '../log';
import type { MetricsPort } from '../metrics/port';
import type { Severity } from './findings';
import type { ListedReview } from './marker';
import type { PlanModel } from './plan';

/** Names one pull request. */
export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
}

/** The parts of a pull request the review needs. */
export interface PullRequestInfo {
  number: number;
  title: string;
  body: string;
  state: string;
  headSha: string;
  baseSha: string;
  htmlUrl: string;
  draft?: boolean;
}

/** GitHub's file statuses for `pulls.listFiles`. */
export type FileStatus = 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';

/** One changed file; `patch` is absent for binary files and for diffs GitHub finds too large to show. */
export interface PullRequestFile {
  filename: string;
  status: FileStatus;
  additions: number;
  deletions: number;
  changes: number;
  patch?: string;
  previousFilename?: string;
}

/** The listed files; `truncated` when the PR has more files than were listed (GitHub lists at most 3000). */
export interface FileListing {
  files: PullRequestFile[];
  truncated: boolean;
}

export type Side = 'LEFT' | 'RIGHT';

/** One inline comment as `pulls.createReview` takes it (line-based, not the legacy `position`). */
export interface ReviewCommentInput {
  path: string;
  body: string;
  line: number;
  side: Side;
  start_line?: number;
  start_side?: Side;
}

/** A review to post: always event COMMENT (the agent never approves or requests changes). */
export interface CreateReviewInput {
  commitId: string;
  body: string;
  event: 'COMMENT';
  comments: ReviewCommentInput[];
}

export interface PostedReview {
  id: number;
  htmlUrl: string;
}

/**
 * How two commits relate, from GitHub's compare API (`base...head`): `ahead` when head descends from base, `behind`
 * when base descends from head, `diverged` when neither does (e.g. base was rewritten away by a force push),
 * `identical` when they are the same. `files` are the changes from their merge base to head.
 */
export interface CommitComparison {
  status: 'ahead' | 'behind' | 'identical' | 'diverged';
  aheadBy: number;
  behindBy: number;
  files: PullRequestFile[];
  /** GitHub lists at most 300 files in a comparison: true when it listed that many (some may be missing). */
  filesTruncated: boolean;
}

/**
 * What the review workflow needs from GitHub. The lead's adapter builds it over the per-turn Octokit; any method may
 * throw ConsentRequiredError (lambdas/agent/tool.ts), which the workflow lets propagate.
 */
export interface ReviewGitHub {
  getPullRequest(ref: PullRequestRef): Promise<PullRequestInfo>;
  /** Lists up to `maxFiles` changed files (paginating as needed). */
  listFiles(ref: PullRequestRef, options: { maxFiles: number }): Promise<FileListing>;
  /**
   * Posts one review, sent once (never retried) and not cut off by the turn's time budget once sent.
   * @throws GitHubValidationError (lambdas/review/errors.ts) on 422: nothing was created, so a corrected retry is safe.
   */
  createReview(ref: PullRequestRef, review: CreateReviewInput): Promise<PostedReview>;
  /**
   * The PR's review whose body contains `marker` (see reviewMarker in body.ts), or undefined when there is none: asked
   * after a createReview failure that GitHub may have acted on anyway (5xx, network error, timeout).
   */
  findReview(ref: PullRequestRef, marker: string): Promise<PostedReview | undefined>;
  /** The login of the GitHub account the token acts as: only its own reviews' state markers are trusted. */
  viewerLogin(): Promise<string>;
  /** The PR's reviews, oldest first, with author and body (for their state markers: lambdas/review/marker.ts). */
  listReviews(ref: PullRequestRef): Promise<ListedReview[]>;
  /**
   * Compares two commits of the PR's repository (`base...head`); undefined when GitHub does not know one of them
   * (404: e.g. a head dropped by a force push and garbage-collected).
   */
  compareCommits(ref: PullRequestRef, base: string, head: string): Promise<CommitComparison | undefined>;
  /**
   * One file of `repo` at commit (or branch) `ref`, as UTF-8 text: the per-repository rules are read this way, always
   * at the pull request's base commit. A missing file (or a folder at that path) is `missing`, not an error.
   * @throws GitHub's other failures (Octokit's RequestError with its status), ConsentRequiredError
   */
  readRepoFile(
    repo: { owner: string; repo: string },
    path: string,
    options: { ref: string; maxBytes: number },
  ): Promise<RepoFileRead>;
}

/**
 * What part of the PR a plan reviews: only the commits since `fromSha` (the head of the last review), or everything
 * (`reason`: why: the first review, asked for, or the last reviewed head is no longer part of the PR).
 */
export type StoredRange =
  | { kind: 'incremental'; fromSha: string }
  | { kind: 'full'; reason: FullReviewReason };

export type FullReviewReason = 'first_review' | 'requested' | 'force_push' | 'too_many_changes';

/** What reading one file of a repository found (see {@link ReviewGitHub.readRepoFile}). */
export type RepoFileRead =
  | { kind: 'file'; text: string }
  | { kind: 'missing' }
  /** Larger than the caller's `maxBytes`: not downloaded. */
  | { kind: 'too_large'; bytes: number };

/** A stored review plan (one DynamoDB item). */
export interface StoredPlan {
  userId: string;
  planId: string;
  sessionId: string;
  status: PlanStatus;
  plan: PlanModel;
  ref: PullRequestRef;
  /** The PR title when the plan was made, so "which plan?" questions can name it. */
  title: string;
  headSha: string;
  /** ISO-8601 timestamps. */
  createdAt: string;
  updatedAt: string;
  /** TTL, epoch seconds: past it the plan reads as expired even before DynamoDB deletes it. */
  expiresAt: number;
  reviewUrl?: string;
  failureReason?: string;
  /** The path scope for this review when the user widened it ([] = every file); the configured scope otherwise. */
  pathPrefixes?: string[];
  /** The execution lease of an `approved`/`executing` plan: absent on plans written before leases existed. */
  lease?: PlanLease;
  /** The range the plan covers (incremental re-review); absent = the whole PR, as before re-reviews existed. */
  range?: StoredRange;
}

/**
 * Who is executing a plan, and until when it counts as alive. The run renews it as it progresses; once it lapses, the
 * run is presumed dead (a function that was stopped or crashed cannot say so), and the plan may be restarted or
 * cancelled. A run whose lease was taken over can no longer change the plan (every write it makes names its owner id).
 */
export interface PlanLease {
  /** A random id per run. */
  owner: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/** One conditional state change. */
export interface PlanTransition {
  /** Allowed current statuses; any other → PlanConflictError carrying the current one. */
  from: PlanStatus[];
  /** Also allowed: these statuses once their execution lease has lapsed (see {@link PlanLease}). */
  fromLapsed?: PlanStatus[];
  /** The `from` statuses only while this run still holds the lease (fencing: a superseded run changes nothing). */
  leaseOwner?: string;
  to: PlanStatus;
  patch?: { reviewUrl?: string; failureReason?: string; expiresAt?: number; lease?: PlanLease };
}

/**
 * Review plans, keyed by user (every read and write names the user, so other users' plans are simply not found).
 * Implemented over DynamoDB by lambdas/sessions/plans.ts.
 */
export interface PlanStore {
  create(plan: StoredPlan): Promise<void>;
  /** @throws PlanNotFoundError, PlanExpiredError */
  get(userId: string, planId: string): Promise<StoredPlan>;
  /** Unexpired `pending` plans of one session, newest first. */
  listPending(userId: string, sessionId: string): Promise<StoredPlan[]>;
  /** Unexpired `approved`/`executing` plans of one session with their leases, newest first: running or stuck. */
  listRunning(userId: string, sessionId: string): Promise<StoredPlan[]>;
  /**
   * One conditional write; returns the plan as written.
   * @throws PlanConflictError (with the current status), PlanNotFoundError, PlanExpiredError
   */
  transition(userId: string, planId: string, transition: PlanTransition): Promise<StoredPlan>;
}

/** Review settings, from Config at cold start. */
export interface ReviewSettings {
  /** REVIEW_PATH_PREFIXES; an empty list means every path. */
  pathPrefixes: string[];
  /** PLAN_TTL_HOURS. */
  planTtlHours: number;
  /** REVIEW_CHUNK_TOKEN_BUDGET: the most (estimated) input tokens one review model request may carry. */
  chunkTokenBudget: number;
  /** MAX_OUTPUT_TOKENS for each model call. */
  maxOutputTokens: number;
  /** Inline comments per review; the rest go to the body, most severe first. Default 50. */
  maxInlineComments?: number;
  /** Review model calls per plan (Lambda time is finite); files beyond it are listed as skipped. Default 60. */
  maxChunks?: number;
  /** Review model calls in flight at once. Default 4. */
  concurrency?: number;
  /** Files to list from GitHub (its API stops at 3000). Default 3000. */
  maxFiles?: number;
  /**
   * Seconds an executing review counts as alive after its last heartbeat (default 300). A stuck review can be
   * restarted or cancelled this long after it stopped; no step of a live review may go this long without progress.
   */
  leaseSeconds?: number;
  /**
   * REVIEW_SEVERITY_THRESHOLD: findings less severe than this are not posted, only counted (a repository's
   * `severity_threshold` overrides it). Default `nit`: everything is posted.
   */
  severityThreshold?: Severity;
  /** SELF_CHECK: a second model pass drops findings their diff lines do not support. Default false. */
  selfCheck?: boolean;
}

/** Everything the workflow uses, passed in (ports, not SDK clients). */
export interface ReviewDeps {
  github: ReviewGitHub;
  plans: PlanStore;
  model: ModelPort;
  /** SELF_CHECK_MODEL_ID's model for the self-check pass (a cheaper one will do); absent: `model`. */
  selfCheckModel?: ModelPort;
  settings: ReviewSettings;
  now(): Date;
  newId(): string;
  /** Logs ids, counts and outcomes only: never PR content, prompts or tokens. */
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Where a posted review's figures go; absent: not measured. */
  metrics?: MetricsPort;
}
