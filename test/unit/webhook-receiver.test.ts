import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AutoReviewJob, Subscription } from '../../lambdas/autoreview/ports';
import type { DeliveryOutcome } from '../../lambdas/metrics/auto-review';
import { createWebhookHandler } from '../../lambdas/webhook/app';
import { type ReceiverDeps, receiveDelivery, type WebhookRequest } from '../../lambdas/webhook/receiver';
import { createCachedSecret } from '../../lambdas/webhook/secret';
import { signatureFor } from '../../lambdas/webhook/signature';

const SECRET = 'webhook-secret-for-unit-tests';
const HEAD = 'c'.repeat(40);

function subscription(userId: string, overrides: Partial<Subscription> = {}): Subscription {
  return {
    repo: 'sample-dev/widgets',
    userId,
    hookId: 1,
    options: { drafts: false, shared: true },
    status: 'active',
    createdAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** In-memory ports that record what the receiver did. */
function fakes(
  options: { subscribers?: Subscription[]; queueFails?: boolean; secret?: () => Promise<string> } = {},
) {
  const claimed = new Set<string>();
  const queued: AutoReviewJob[] = [];
  const outcomes: DeliveryOutcome[] = [];
  const calls: string[] = [];
  const deps: ReceiverDeps = {
    secret: createCachedSecret({
      fetch: options.secret ?? (async () => SECRET),
      ttlMs: 60_000,
      minRefreshMs: 0,
    }),
    deliveries: {
      claim: async (id) => {
        calls.push('claim');
        if (claimed.has(id)) return false;
        claimed.add(id);
        return true;
      },
      release: async (id) => {
        calls.push('release');
        claimed.delete(id);
      },
    },
    subscriptions: {
      listForRepo: async () => {
        calls.push('listForRepo');
        return options.subscribers ?? [subscription('alice')];
      },
    },
    queue: {
      send: async (jobs) => {
        calls.push('send');
        if (options.queueFails) throw new Error('queue down');
        queued.push(...jobs);
      },
    },
    metrics: { delivery: (outcome) => outcomes.push(outcome), job: () => undefined },
    logger: { info: () => undefined, warn: () => undefined },
    maxBodyBytes: 1024 * 1024,
    deadlineMs: 2_000,
  };
  return { deps, claimed, queued, outcomes, calls };
}

function delivery(
  payload: unknown,
  options: { event?: string; id?: string; secret?: string; signature?: string | null } = {},
): WebhookRequest {
  const body = Buffer.from(JSON.stringify(payload));
  const signature =
    options.signature === null
      ? undefined
      : (options.signature ?? signatureFor(options.secret ?? SECRET, body));
  return {
    method: 'POST',
    headers: {
      'x-github-event': options.event ?? 'pull_request',
      'x-github-delivery': options.id ?? 'd-1',
      'x-hub-signature-256': signature,
    },
    body,
  };
}

function opened(overrides: { draft?: boolean; action?: string } = {}) {
  return {
    action: overrides.action ?? 'opened',
    number: 4,
    pull_request: { number: 4, state: 'open', draft: overrides.draft ?? false, head: { sha: HEAD } },
    repository: { full_name: 'sample-dev/widgets' },
  };
}

describe('receiveDelivery', () => {
  it('queues one job per active subscriber and answers 202', async () => {
    const { deps, queued, outcomes } = fakes({ subscribers: [subscription('alice'), subscription('bob')] });

    const response = await receiveDelivery(deps, delivery(opened()));

    expect(response).toEqual({ statusCode: 202, body: { queued: 2 } });
    expect(queued).toEqual(
      ['alice', 'bob'].map((subscriberUserId) => ({
        deliveryId: 'd-1',
        repo: 'sample-dev/widgets',
        pullNumber: 4,
        action: 'opened',
        headSha: HEAD,
        draft: false,
        subscriberUserId,
      })),
    );
    expect(outcomes).toEqual(['accepted']);
  });

  it('refuses a missing signature with 401 before reading anything', async () => {
    const { deps, calls, outcomes } = fakes();

    const response = await receiveDelivery(deps, delivery(opened(), { signature: null }));

    expect(response.statusCode).toBe(401);
    expect(response.body).toMatchObject({ type: 'invalid_signature', timestamp: expect.any(String) });
    expect(calls).toEqual([]);
    expect(outcomes).toEqual(['rejected']);
  });

  it('refuses a signature made with another secret with 401, nothing claimed or queued', async () => {
    const { deps, calls } = fakes();

    const response = await receiveDelivery(deps, delivery(opened(), { secret: 'not-the-webhook-secret' }));

    expect(response.statusCode).toBe(401);
    expect(calls).toEqual([]);
  });

  it('refuses a signed body that is not JSON with 401 when unsigned, 400 when signed', async () => {
    const { deps } = fakes();
    const body = Buffer.from('{not json');
    const headers = { 'x-github-event': 'pull_request', 'x-github-delivery': 'd-2' };

    const unsigned = await receiveDelivery(deps, { method: 'POST', headers, body });
    const signed = await receiveDelivery(deps, {
      method: 'POST',
      headers: { ...headers, 'x-hub-signature-256': signatureFor(SECRET, body) },
      body,
    });

    expect([unsigned.statusCode, signed.statusCode]).toEqual([401, 400]);
  });

  it('refuses a body over the cap with 413 without checking anything else', async () => {
    const { deps, calls } = fakes();
    const request = delivery(opened());

    const response = await receiveDelivery({ ...deps, maxBodyBytes: request.body.length - 1 }, request);

    expect(response.statusCode).toBe(413);
    expect(calls).toEqual([]);
  });

  it('answers ping with 200 and queues nothing', async () => {
    const { deps, queued } = fakes();

    const response = await receiveDelivery(
      deps,
      delivery({ zen: 'Keep it logically awesome.' }, { event: 'ping' }),
    );

    expect(response).toEqual({ statusCode: 200, body: { ok: true, message: 'pong' } });
    expect(queued).toEqual([]);
  });

  it('ignores an action it does not handle with 202 and the reason, claiming nothing', async () => {
    const { deps, calls } = fakes();

    const response = await receiveDelivery(deps, delivery(opened({ action: 'labeled' })));

    expect(response).toEqual({
      statusCode: 202,
      body: { ignored: 'pull_request action "labeled" is not handled' },
    });
    expect(calls).toEqual([]);
  });

  it('handles a replayed delivery once: the second answer is 200 duplicate', async () => {
    const { deps, queued, outcomes } = fakes();

    await receiveDelivery(deps, delivery(opened()));
    const replay = await receiveDelivery(deps, delivery(opened()));

    expect(replay).toEqual({ statusCode: 200, body: { duplicate: true } });
    expect(queued).toHaveLength(1);
    expect(outcomes).toEqual(['accepted', 'duplicate']);
  });

  it('skips drafts for subscribers who did not ask for them', async () => {
    const { deps, queued } = fakes({
      subscribers: [subscription('alice'), subscription('bob', { options: { drafts: true, shared: true } })],
    });

    const response = await receiveDelivery(deps, delivery(opened({ draft: true })));

    expect(response.body).toEqual({ queued: 1 });
    expect(queued.map((job) => job.subscriberUserId)).toEqual(['bob']);
  });

  it('queues nothing for a broken subscription', async () => {
    const { deps, queued } = fakes({ subscribers: [subscription('alice', { status: 'broken' })] });

    const response = await receiveDelivery(deps, delivery(opened()));

    expect(response).toEqual({ statusCode: 202, body: { queued: 0 } });
    expect(queued).toEqual([]);
  });

  it('answers 503 and releases the delivery when the queue fails, so a redelivery is handled', async () => {
    const { deps, claimed, calls } = fakes({ queueFails: true });

    const response = await receiveDelivery(deps, delivery(opened()));

    expect(response.statusCode).toBe(503);
    expect(calls).toEqual(['claim', 'listForRepo', 'send', 'release']);
    expect(claimed.size).toBe(0);
  });

  it('answers 503 within the deadline when a dependency hangs', async () => {
    const { deps } = fakes({ secret: () => new Promise<string>(() => undefined) });

    const response = await receiveDelivery({ ...deps, deadlineMs: 50 }, delivery(opened()));

    expect(response.statusCode).toBe(503);
  });

  it('accepts a delivery signed with a rotated secret after one refresh', async () => {
    let current = 'the-old-webhook-secret';
    const { deps } = fakes({ secret: async () => current });
    await deps.secret.get();
    current = 'the-new-webhook-secret';

    const response = await receiveDelivery(deps, delivery(opened(), { secret: current }));

    expect(response.statusCode).toBe(202);
  });

  it('refuses other methods with 405', async () => {
    const { deps } = fakes();

    const response = await receiveDelivery(deps, { ...delivery(opened()), method: 'GET' });

    expect(response.statusCode).toBe(405);
  });
});

describe('webhook function URL handler', () => {
  it('verifies a base64-encoded body over its decoded bytes', async () => {
    const { deps, queued } = fakes();
    const request = delivery(opened());
    const handler = createWebhookHandler(deps);
    const event = {
      headers: {
        'x-github-event': 'pull_request',
        'x-github-delivery': 'd-b64',
        'x-hub-signature-256': request.headers['x-hub-signature-256'],
      },
      body: request.body.toString('base64'),
      isBase64Encoded: true,
      requestContext: { http: { method: 'POST' } },
    } as unknown as LambdaFunctionURLEvent;

    const result = await handler(event);

    expect(result).toMatchObject({ statusCode: 202, body: JSON.stringify({ queued: 1 }) });
    expect(queued).toHaveLength(1);
  });
});
