import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { startLocalServer } from '../bin/local/server';
import type { AutoReviewJob } from '../lambdas/autoreview/ports';
import { createSubscriptionStore } from '../lambdas/autoreview/subscriptions';
import { createWebhookHandler } from '../lambdas/webhook/app';
import { loadWebhookConfig } from '../lambdas/webhook/config';
import { signatureFor } from '../lambdas/webhook/signature';
import { createReceiverDeps } from '../lambdas/webhook/wiring';
import { createAutoReviewTable, startDynalite } from '../test/support/dynalite';
import { localUserId, sendWithConsent } from '../test/support/e2e';
import { pullRequestPayload, sendDelivery } from '../test/support/github-standin/webhooks';
import { percentile } from './stats';

const SECRET = 'bench-webhook-secret-0123456789';

export interface ThroughputRow {
  kind: 'accepted' | 'rejected (bad signature)';
  concurrency: number;
  deliveries: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * (w) Deliveries per second through the webhook function's handler in this process: HMAC check, JSON and zod,
 * the de-duplicating PutItem and the subscribers' Query on dynalite, one job to an in-memory queue. Rejected
 * deliveries (bad signature) stop before any I/O.
 */
export async function measureWebhookThroughput(
  deliveries: number,
  concurrencies: number[],
): Promise<ThroughputRow[]> {
  const dynamo = await startDynalite();
  await createAutoReviewTable(dynamo.client, 'bench-auto-review');
  const store = createSubscriptionStore({ client: dynamo.client, tableName: 'bench-auto-review' });
  await store.add({
    repo: 'sample-dev/widgets',
    userId: 'bench-user',
    hookId: 1,
    options: { drafts: false, shared: false },
    status: 'active',
    createdAt: new Date().toISOString(),
  });
  const queued: AutoReviewJob[] = [];
  const handler = createWebhookHandler(
    createReceiverDeps(
      loadWebhookConfig({
        AWS_REGION: 'ap-southeast-2',
        AUTO_REVIEW_TABLE: 'bench-auto-review',
        AUTO_REVIEW_QUEUE_URL: 'http://127.0.0.1/bench',
        WEBHOOK_SECRET: SECRET,
        LOG_LEVEL: 'SILENT',
      }),
      { dynamo: dynamo.client, queue: { send: async (jobs) => void queued.push(...jobs) } },
    ),
  );
  const body = JSON.stringify({
    action: 'opened',
    number: 4,
    pull_request: { number: 4, state: 'open', draft: false, head: { sha: 'a'.repeat(40) } },
    repository: { full_name: 'sample-dev/widgets' },
  });
  let sequence = 0;
  const event = (signature: string): LambdaFunctionURLEvent => {
    sequence += 1;
    return {
      headers: {
        'x-github-event': 'pull_request',
        'x-github-delivery': `bench-${sequence}`,
        'x-hub-signature-256': signature,
      },
      body,
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST' } },
    } as unknown as LambdaFunctionURLEvent;
  };
  const good = signatureFor(SECRET, body);
  const bad = signatureFor('not-the-secret', body);
  const rows: ThroughputRow[] = [];
  try {
    for (const [kind, signature, status] of [
      ['accepted', good, 202],
      ['rejected (bad signature)', bad, 401],
    ] as const) {
      for (const concurrency of concurrencies) {
        const latencies: number[] = [];
        let next = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < deliveries) {
              next += 1;
              const t0 = performance.now();
              const result = await handler(event(signature));
              latencies.push(performance.now() - t0);
              if (typeof result === 'string' || result.statusCode !== status) {
                throw new Error(`expected ${status}, got ${JSON.stringify(result)}`);
              }
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        rows.push({
          kind,
          concurrency,
          deliveries,
          perSecond: deliveries / seconds,
          p50Ms: percentile(latencies, 50),
          p95Ms: percentile(latencies, 95),
        });
      }
    }
  } finally {
    await dynamo.close();
  }
  return rows;
}

export interface DeliveryToReview {
  reviews: number;
  acceptMs: { p50: number; p95: number };
  toReviewMs: { p50: number; p95: number; max: number };
}

/**
 * (w) Time from a signed delivery leaving "GitHub" to the review being on the GitHub stand-in, through the local
 * server: webhook function URL, queue, worker, AgentCore token, GitHub and Bedrock stand-ins (zero-latency model).
 * Deliveries are sent one after another, so this is the path's latency, not its throughput.
 */
export async function measureDeliveryToReview(samples: number): Promise<DeliveryToReview> {
  const server = await startLocalServer({ offline: true, allowUserHeader: true, logLevel: 'SILENT' });
  try {
    const { github, autoReview } = server;
    if (!github || !autoReview) throw new Error('the local server started without auto-review');
    const store = createSubscriptionStore({
      client: server.dynamo.client,
      tableName: server.config.AUTO_REVIEW_TABLE ?? '',
    });
    await sendWithConsent(server, 'bench', { message: 'list my repos' });
    await store.add({
      repo: 'sample-dev/widgets',
      userId: localUserId('bench'),
      hookId: 1,
      options: { drafts: false, shared: false },
      status: 'active',
      createdAt: new Date().toISOString(),
    });
    const accept: number[] = [];
    const toReview: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      const before = github.state.reviews.length;
      const t0 = performance.now();
      const answer = await sendDelivery(
        autoReview,
        'pull_request',
        pullRequestPayload(github.state, 'sample-dev/widgets', 4, 'opened'),
      );
      accept.push(performance.now() - t0);
      if (answer.status !== 202) throw new Error(`delivery answered ${answer.status}`);
      while (github.state.reviews.length === before) await new Promise((resolve) => setTimeout(resolve, 2));
      toReview.push(performance.now() - t0);
      await autoReview.queue.drained(30_000);
    }
    return {
      reviews: samples,
      acceptMs: { p50: percentile(accept, 50), p95: percentile(accept, 95) },
      toReviewMs: {
        p50: percentile(toReview, 50),
        p95: percentile(toReview, 95),
        max: Math.max(...toReview),
      },
    };
  } finally {
    await server.close();
  }
}
