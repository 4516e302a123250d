import type { AutoReviewJob, SubscriptionStore } from '../autoreview/ports';
import type { JobQueue } from '../autoreview/queue';
import type { Logger } from '../log';
import type { AutoReviewMetrics } from '../metrics/auto-review';
import type { DeliveryLedger } from './deliveries';
import { classifyDelivery, DeliveryPayloadError } from './events';
import type { SecretSource } from './secret';
import { verifySignature } from './signature';

/** One HTTP request to the webhook endpoint: header names lower-cased, the body as the exact bytes received. */
export interface WebhookRequest {
  method: string;
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/** The answer for GitHub (it shows status and body in the hook's "Recent Deliveries"). */
export interface WebhookResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

export interface ReceiverDeps {
  secret: SecretSource;
  deliveries: DeliveryLedger;
  subscriptions: Pick<SubscriptionStore, 'listForRepo'>;
  queue: JobQueue;
  metrics: AutoReviewMetrics;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Bodies above this are refused (413) unread. */
  maxBodyBytes: number;
  /** Everything after the size check must finish within this (GitHub gives up after 10 s). */
  deadlineMs: number;
}

/** GitHub's delivery ids are GUIDs; anything of this shape is accepted, nothing longer. */
const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;

/** The deadline passed: the answer is 503 and whatever was in flight is left to finish or fail on its own. */
class DeadlineError extends Error {}

/**
 * Handles one webhook delivery. In this order: size cap (413), signature over the raw bytes (401; nothing parsed,
 * written or queued before it passes), JSON and the event's shape (400), `ping` (200), events and actions not handled
 * (202 with the reason), de-duplication by `X-GitHub-Delivery` (200 `duplicate`), then one job per active subscriber
 * of the repo on the queue (202). A dependency failure is 503, and the delivery is released so a redelivery works.
 */
export async function receiveDelivery(deps: ReceiverDeps, request: WebhookRequest): Promise<WebhookResponse> {
  if (request.method !== 'POST') return refuse(405, 'method_not_allowed', 'Only POST is accepted');
  if (request.body.length > deps.maxBodyBytes) {
    deps.metrics.delivery('rejected');
    return refuse(413, 'payload_too_large', `The body is over ${deps.maxBodyBytes} bytes`, {
      limit_bytes: deps.maxBodyBytes,
    });
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError()), deps.deadlineMs);
  });
  try {
    return await Promise.race([handleVerified(deps, request), deadline]);
  } catch (error) {
    deps.logger.warn('webhook delivery failed', {
      deliveryId: safeDeliveryId(request.headers['x-github-delivery']),
      error: error instanceof DeadlineError ? 'deadline' : (error as Error).name,
    });
    return refuse(
      503,
      'unavailable',
      'The delivery could not be handled now; redeliver it from the hook settings',
    );
  } finally {
    clearTimeout(timer);
  }
}

async function handleVerified(deps: ReceiverDeps, request: WebhookRequest): Promise<WebhookResponse> {
  const signature = request.headers['x-hub-signature-256'];
  let valid = verifySignature(await deps.secret.get(), request.body, signature);
  if (!valid && signature !== undefined) {
    // The secret may have been rotated since it was cached.
    const rotated = await deps.secret.refresh();
    valid = rotated !== undefined && verifySignature(rotated, request.body, signature);
  }
  if (!valid) {
    deps.metrics.delivery('rejected');
    deps.logger.warn('webhook delivery refused: bad or missing signature', {
      deliveryId: safeDeliveryId(request.headers['x-github-delivery']),
    });
    return refuse(401, 'invalid_signature', 'X-Hub-Signature-256 is missing or does not match the body');
  }

  const event = request.headers['x-github-event'];
  const deliveryId = safeDeliveryId(request.headers['x-github-delivery']);
  if (event === undefined || deliveryId === undefined) {
    return refuse(400, 'bad_request', 'X-GitHub-Event and X-GitHub-Delivery are required');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(request.body.toString('utf8'));
  } catch {
    return refuse(400, 'bad_request', 'The body is not JSON (set the hook content type to application/json)');
  }
  let intent: ReturnType<typeof classifyDelivery>;
  try {
    intent = classifyDelivery(event, payload);
  } catch (error) {
    if (!(error instanceof DeliveryPayloadError)) throw error;
    return refuse(400, 'bad_request', error.message);
  }
  if (intent.kind === 'ping') {
    deps.metrics.delivery('ignored');
    return reply(200, { ok: true, message: 'pong' });
  }
  if (intent.kind === 'ignored') {
    deps.metrics.delivery('ignored');
    return reply(202, { ignored: intent.reason });
  }

  if (!(await deps.deliveries.claim(deliveryId))) {
    deps.metrics.delivery('duplicate');
    deps.logger.info('webhook delivery already handled', { deliveryId });
    return reply(200, { duplicate: true });
  }
  try {
    const subscribers = await deps.subscriptions.listForRepo(intent.repo);
    const jobs: AutoReviewJob[] = subscribers
      .filter((subscription) => subscription.status === 'active')
      .filter((subscription) => !intent.draft || subscription.options.drafts)
      .map((subscription) => ({
        deliveryId,
        repo: intent.repo,
        pullNumber: intent.pullNumber,
        action: intent.action,
        headSha: intent.headSha,
        ...(intent.beforeSha ? { beforeSha: intent.beforeSha } : {}),
        draft: intent.draft,
        subscriberUserId: subscription.userId,
      }));
    if (jobs.length > 0) await deps.queue.send(jobs);
    deps.metrics.delivery('accepted', jobs.length);
    deps.logger.info('webhook delivery accepted', {
      deliveryId,
      action: intent.action,
      jobs: jobs.length,
      skipped: subscribers.length - jobs.length,
    });
    return reply(202, { queued: jobs.length });
  } catch (error) {
    await deps.deliveries.release(deliveryId).catch(() => undefined);
    throw error;
  }
}

function safeDeliveryId(value: string | undefined): string | undefined {
  return value !== undefined && DELIVERY_ID.test(value) ? value : undefined;
}

function reply(statusCode: number, body: Record<string, unknown>): WebhookResponse {
  return { statusCode, body };
}

/** A refusal in the project's error shape: a sentence, a stable code and when (GitHub shows it under Recent Deliveries). */
function refuse(
  statusCode: number,
  type: string,
  error: string,
  extra: Record<string, unknown> = {},
): WebhookResponse {
  return reply(statusCode, { error, type, timestamp: new Date().toISOString(), ...extra });
}
