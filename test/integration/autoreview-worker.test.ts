import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutoReviewJob, Subscription, SubscriptionStore } from '../../lambdas/autoreview/ports';
import type { runUnattendedReview } from '../../lambdas/autoreview/run-review';
import { createSubscriptionStore } from '../../lambdas/autoreview/subscriptions';
import { processJobBatch, type WorkerDeps } from '../../lambdas/autoreview/worker';
import type { JobOutcome } from '../../lambdas/metrics/auto-review';
import type { ReviewDeps } from '../../lambdas/review/ports';
import { createAutoReviewTable, type LocalDynamo, startDynalite } from '../support/dynalite';

const TABLE = 'auto-review-worker';
let sequence = 0;

function job(repo: string, overrides: Partial<AutoReviewJob> = {}): AutoReviewJob {
  return {
    deliveryId: `d-${repo}`,
    repo,
    pullNumber: 4,
    action: 'opened',
    headSha: 'e'.repeat(40),
    draft: false,
    subscriberUserId: 'alice',
    ...overrides,
  };
}

function record(body: string, receiveCount = 1): SQSRecord {
  sequence += 1;
  return {
    messageId: `m-${sequence}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  } as unknown as SQSRecord;
}

describe('auto-review worker (dynalite subscriptions)', () => {
  let dynamo: LocalDynamo;
  let store: SubscriptionStore;
  const jobs: JobOutcome[] = [];

  const newRepo = async (overrides: Partial<Subscription> = {}): Promise<string> => {
    sequence += 1;
    const repo = `octo/worker-${sequence}`;
    await store.add({
      repo,
      userId: 'alice',
      hookId: 1,
      options: { drafts: false, shared: false },
      status: 'active',
      createdAt: '2030-01-01T00:00:00.000Z',
      ...overrides,
    });
    return repo;
  };
  const deps = (run: typeof runUnattendedReview): WorkerDeps => ({
    subscriptions: store,
    reviewFor: () => ({}) as ReviewDeps,
    metrics: { delivery: () => undefined, job: (outcome) => jobs.push(outcome) },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    maxReceiveCount: 3,
    run,
  });

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createAutoReviewTable(dynamo.client, TABLE);
    store = createSubscriptionStore({ client: dynamo.client, tableName: TABLE });
  });
  afterAll(() => dynamo.close());

  it('records the result of a review on the subscription', async () => {
    const repo = await newRepo();
    const result = {
      at: '2030-01-01T00:05:00.000Z',
      outcome: 'posted' as const,
      pullNumber: 4,
      reviewUrl: 'u',
    };

    const response = await processJobBatch(
      deps(async () => ({ kind: 'result', result })),
      [record(JSON.stringify(job(repo)))],
    );

    expect(response.batchItemFailures).toEqual([]);
    expect((await store.listForRepo(repo))[0]?.lastResult).toEqual(result);
  });

  it('marks the subscription broken on a revoked token and does not ask for a retry', async () => {
    const repo = await newRepo();

    const response = await processJobBatch(
      deps(async () => ({ kind: 'broken', reason: 'token revoked' })),
      [record(JSON.stringify(job(repo)))],
    );

    expect(response.batchItemFailures).toEqual([]);
    expect((await store.listForRepo(repo))[0]).toMatchObject({
      status: 'broken',
      brokenReason: 'token revoked',
    });
  });

  it('asks for a retry when the review fails, and records the failure on the last attempt', async () => {
    const repo = await newRepo();
    const failing = async (): Promise<never> => {
      throw new Error('model unavailable');
    };

    const first = await processJobBatch(deps(failing), [record(JSON.stringify(job(repo)), 1)]);
    const before = (await store.listForRepo(repo))[0]?.lastResult;
    const last = await processJobBatch(deps(failing), [record(JSON.stringify(job(repo)), 3)]);

    expect(first.batchItemFailures).toHaveLength(1);
    expect(before).toBeUndefined();
    expect(last.batchItemFailures).toHaveLength(1);
    expect((await store.listForRepo(repo))[0]?.lastResult).toMatchObject({
      outcome: 'failed',
      pullNumber: 4,
    });
  });

  it('reports a message that is not a job as a failure (so it reaches the DLQ)', async () => {
    const poison = record('{"deliveryId":"x","repo":"Not A Repo"}');

    const response = await processJobBatch(
      deps(async () => {
        throw new Error('must not run');
      }),
      [poison],
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);
  });

  it('drops a job whose subscription is gone or broken without running it', async () => {
    const broken = await newRepo({ status: 'broken' });
    let runs = 0;
    const run = async () => {
      runs += 1;
      return { kind: 'broken' as const, reason: 'x' };
    };

    const response = await processJobBatch(deps(run), [
      record(JSON.stringify(job(broken))),
      record(JSON.stringify(job('octo/never-subscribed'))),
    ]);

    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toBe(0);
  });
});
