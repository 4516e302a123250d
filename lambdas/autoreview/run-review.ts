import { createHash } from 'node:crypto';
import { ConsentRequiredError } from '../agent/tool';
import { GitHubAuthError } from '../github/errors';
import { IdentityError } from '../identity/errors';
import { loadPrompt } from '../prompts';
import { PlanExpiredError, PlanNotFoundError } from '../review/errors';
import type { PullRequestRef, ReviewDeps, StoredPlan } from '../review/ports';
import { autoReviewEnabledFor, loadRepoConfig } from '../review/repo-config';
import { approvePlan, planReview } from '../review/workflow';
import type { AutoReviewJob, SubscriptionResult } from './ports';

/**
 * `full`: review the whole PR. `incremental`: only what changed since the agent's last review of it, as the review
 * state on the PR records it (lambdas/review/incremental.ts; a force push or a first review still reviews in full).
 */
export type ReviewMode = 'full' | 'incremental';

/** The session id auto-review plans are filed under (plans are keyed by user; this keeps them apart from chats). */
export const AUTO_REVIEW_SESSION = 'auto-review';

export interface UnattendedReviewInput {
  job: AutoReviewJob;
  mode: ReviewMode;
  signal?: AbortSignal;
}

/** How an unattended review ended; a transient failure is thrown instead (the queue retries it). */
export type UnattendedReviewOutcome =
  | { kind: 'result'; result: SubscriptionResult }
  /** The subscriber's GitHub token is gone or revoked: mark the subscription broken, do not retry. */
  | { kind: 'broken'; reason: string };

/**
 * The mode a job asks for: `opened` is a first review (full); a push, a reopen or a draft made ready is reviewed only
 * where it changed since the last review (the state on the PR decides; with none it is full anyway).
 */
export function modeForJob(job: AutoReviewJob): ReviewMode {
  return job.action === 'opened' ? 'full' : 'incremental';
}

/**
 * The plan id of one job: derived from the delivery and the subscriber, so a retried job finds the plan its earlier
 * attempt made (and a review it already posted) instead of posting a second review.
 */
export function autoReviewPlanId(job: Pick<AutoReviewJob, 'deliveryId' | 'subscriberUserId'>): string {
  const digest = createHash('sha256')
    .update(`${job.deliveryId}\n${job.subscriberUserId}`)
    .digest('base64url');
  return `a_${digest.slice(0, 16)}`;
}

/**
 * Reviews one PR for one subscriber without anyone approving: plan, then execute the plan at once (the subscription is
 * the standing approval), posting as the subscriber through `deps.github`. Idempotent per job: a retry continues or
 * reports the plan of its earlier attempt. A delivery the PR has already moved past is skipped (the newer delivery
 * reviews the newer head).
 * @throws whatever is worth a retry (AWS, GitHub 5xx, the model); never for a revoked token (that is `broken`)
 */
export async function runUnattendedReview(
  deps: ReviewDeps,
  input: UnattendedReviewInput,
): Promise<UnattendedReviewOutcome> {
  const { job } = input;
  const userId = job.subscriberUserId;
  const planId = autoReviewPlanId(job);
  const ref = toRef(job);
  const result = (outcome: SubscriptionResult['outcome'], extra: Partial<SubscriptionResult> = {}) => ({
    kind: 'result' as const,
    result: {
      at: deps.now().toISOString(),
      outcome,
      pullNumber: job.pullNumber,
      headSha: job.headSha,
      ...extra,
    },
  });
  try {
    const earlier = await findPlan(deps, userId, planId);
    if (earlier?.status === 'completed') return result('posted', { reviewUrl: earlier.reviewUrl });
    if (earlier?.status === 'failed' || earlier?.status === 'cancelled') {
      return result('failed', { detail: earlier.failureReason });
    }
    if (earlier === undefined) {
      const pr = await deps.github.getPullRequest(ref);
      if (pr.state !== 'open')
        return result('skipped', { detail: loadPrompt('auto-review-not-open', { state: pr.state }).trim() });
      if (pr.headSha !== job.headSha) {
        return result('skipped', {
          detail: loadPrompt('auto-review-superseded', {
            current_sha: pr.headSha.slice(0, 7),
            delivery_sha: job.headSha.slice(0, 7),
          }).trim(),
        });
      }
      // The repository's rules (read at the base, never the head) may limit which events auto-review.
      const rules = await loadRepoConfig(deps.github, ref, pr.baseSha);
      if (!autoReviewEnabledFor(rules.config, job.action)) {
        return result('skipped', {
          detail: loadPrompt('auto-review-event-off', { action: job.action }).trim(),
        });
      }
      const planned = await planReview(
        { ...deps, newId: () => planId },
        {
          userId,
          sessionId: AUTO_REVIEW_SESSION,
          ref,
          supersede: false,
          signal: input.signal,
          mode: input.mode === 'full' ? 'full' : 'auto',
          ...(job.beforeSha === undefined ? {} : { beforeSha: job.beforeSha }),
        },
      );
      if (planned.outcome === 'nothing_to_review' || planned.outcome === 'no_changes') {
        return result('no_changes', { detail: firstLine(planned.message) });
      }
    }
    const approved = await approvePlan(deps, { userId, planId, emit: () => undefined, signal: input.signal });
    switch (approved.outcome) {
      case 'completed':
      case 'already_posted':
        return result('posted', { reviewUrl: approved.reviewUrl });
      case 'stale':
        return result('skipped', { detail: firstLine(approved.message) });
      case 'failed':
        return result('failed', { detail: firstLine(approved.reason) });
    }
  } catch (error) {
    if (isRevokedAuthorization(error)) {
      return { kind: 'broken', reason: loadPrompt('auto-review-broken', { repo: job.repo }).trim() };
    }
    throw error;
  }
}

/** The subscriber must authorize again in a browser: nothing unattended can fix that. */
export function isRevokedAuthorization(error: unknown): boolean {
  return (
    error instanceof ConsentRequiredError ||
    error instanceof GitHubAuthError ||
    (error instanceof IdentityError && (error.code === 'consent_failed' || error.code === 'consent_expired'))
  );
}

async function findPlan(deps: ReviewDeps, userId: string, planId: string): Promise<StoredPlan | undefined> {
  try {
    return await deps.plans.get(userId, planId);
  } catch (error) {
    if (error instanceof PlanNotFoundError || error instanceof PlanExpiredError) return undefined;
    throw error;
  }
}

function toRef(job: AutoReviewJob): PullRequestRef {
  const [owner = '', repo = ''] = job.repo.split('/');
  return { owner, repo, number: job.pullNumber };
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim().length > 0) ?? '').trim().slice(0, 300);
}
