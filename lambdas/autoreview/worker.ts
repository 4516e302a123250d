import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Logger } from '../log';
import type { AutoReviewMetrics } from '../metrics/auto-review';
import { loadPrompt } from '../prompts';
import type { ReviewDeps } from '../review/ports';
import { parseAutoReviewJob } from './job';
import type { AutoReviewJob, SubscriptionStore } from './ports';
import { modeForJob, runUnattendedReview } from './run-review';

/** What the worker needs; built once per cold start (lambdas/autoreview/wiring.ts). */
export interface WorkerDeps {
  subscriptions: SubscriptionStore;
  /** The review workflow's ports with GitHub as this user (their token from the identity port, nobody else's). */
  reviewFor(userId: string, signal?: AbortSignal): ReviewDeps;
  metrics: AutoReviewMetrics;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The queue's maxReceiveCount: on the last attempt a failure is recorded on the subscription before the DLQ. */
  maxReceiveCount: number;
  /** The review run (tests replace it to fail on purpose). */
  run?: typeof runUnattendedReview;
}

/**
 * Processes one SQS batch: each record is one job, run concurrently. A record whose job failed in a way worth
 * retrying is reported in `batchItemFailures` (SQS retries it, then moves it to the dead-letter queue); a malformed
 * record too (it reaches the DLQ for a human to see). A revoked token marks the subscription broken and succeeds.
 */
export async function processJobBatch(
  deps: WorkerDeps,
  records: readonly SQSRecord[],
  signal?: AbortSignal,
): Promise<SQSBatchResponse> {
  const failures: SQSBatchItemFailure[] = [];
  await Promise.all(
    records.map(async (record) => {
      const ok = await processRecord(deps, record, signal).catch((error: unknown) => {
        deps.logger.error('auto-review job crashed', {
          messageId: record.messageId,
          error: (error as Error).name,
        });
        return false;
      });
      if (!ok) failures.push({ itemIdentifier: record.messageId });
    }),
  );
  return { batchItemFailures: failures };
}

/** True when the record is done with (successfully or for good); false to have SQS deliver it again. */
async function processRecord(deps: WorkerDeps, record: SQSRecord, signal?: AbortSignal): Promise<boolean> {
  let job: AutoReviewJob;
  try {
    job = parseAutoReviewJob(record.body);
  } catch (error) {
    deps.metrics.job('failed');
    deps.logger.warn('auto-review queue message is not a job', {
      messageId: record.messageId,
      problem: (error as Error).message.slice(0, 300),
    });
    return false;
  }
  const log = { deliveryId: job.deliveryId, pullNumber: job.pullNumber, userId: job.subscriberUserId };
  const subscription = (await deps.subscriptions.listForRepo(job.repo)).find(
    (candidate) => candidate.userId === job.subscriberUserId,
  );
  if (subscription === undefined || subscription.status !== 'active') {
    // Unsubscribed or broken since the delivery was queued: nothing to do, nothing to retry.
    deps.logger.info('auto-review job dropped: no active subscription', {
      ...log,
      status: subscription?.status,
    });
    return true;
  }
  const run = deps.run ?? runUnattendedReview;
  try {
    const outcome = await run(deps.reviewFor(job.subscriberUserId, signal), {
      job,
      mode: modeForJob(job),
      signal,
    });
    if (outcome.kind === 'broken') {
      await deps.subscriptions.markBroken(job.subscriberUserId, job.repo, outcome.reason);
      deps.metrics.job('broken');
      deps.logger.warn('auto-review subscription broken: GitHub authorization gone or revoked', log);
      return true;
    }
    await deps.subscriptions.recordResult(job.subscriberUserId, job.repo, outcome.result);
    deps.metrics.job('run');
    deps.logger.info('auto-review job done', { ...log, outcome: outcome.result.outcome });
    return true;
  } catch (error) {
    deps.metrics.job('failed');
    const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
    deps.logger.warn('auto-review job failed', { ...log, attempt, error: (error as Error).name });
    if (attempt >= deps.maxReceiveCount) {
      // The last attempt: say so where "list auto-reviews" shows it, before the message goes to the DLQ.
      await deps.subscriptions
        .recordResult(job.subscriberUserId, job.repo, {
          at: new Date().toISOString(),
          outcome: 'failed',
          pullNumber: job.pullNumber,
          headSha: job.headSha,
          detail: loadPrompt('auto-review-gave-up', {
            attempts: attempt,
            error: (error as Error).name,
          }).trim(),
        })
        .catch(() => undefined);
    }
    return false;
  }
}
