import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription, SubscriptionStore } from '../../lambdas/autoreview/ports';
import { createSubscriptionStore } from '../../lambdas/autoreview/subscriptions';
import { createDeliveryLedger, DELIVERY_TTL_SECONDS } from '../../lambdas/webhook/deliveries';
import { createAutoReviewTable, type LocalDynamo, startDynalite } from '../support/dynalite';

const TABLE = 'auto-review-test';
let sequence = 0;

/** A fresh repo per test, so tests share one table without seeing each other's items. */
function repo(): string {
  sequence += 1;
  return `octo/widgets-${sequence}`;
}

function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    repo: 'octo/widgets',
    userId: 'alice',
    hookId: 101,
    options: { drafts: false, shared: false },
    status: 'active',
    createdAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('DynamoDB subscription store (dynalite)', () => {
  let dynamo: LocalDynamo;
  let store: SubscriptionStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createAutoReviewTable(dynamo.client, TABLE);
    store = createSubscriptionStore({ client: dynamo.client, tableName: TABLE });
  });
  afterAll(() => dynamo.close());

  it('creates a subscription and reads it back by repo, the repo name lower-cased', async () => {
    const name = repo();
    const created = await store.add(subscription({ repo: name.toUpperCase() }));

    const listed = await store.listForRepo(name);

    expect(created).toEqual({ kind: 'created', subscription: subscription({ repo: name }) });
    expect(listed).toEqual([subscription({ repo: name })]);
  });

  it('answers `exists` with the stored subscription when the same user subscribes again', async () => {
    const name = repo();
    await store.add(subscription({ repo: name, hookId: 1 }));

    const again = await store.add(subscription({ repo: name, hookId: 2 }));

    expect(again).toEqual({ kind: 'exists', subscription: subscription({ repo: name, hookId: 1 }) });
  });

  it('answers `held_by_other` (naming nobody) when another user holds the repo', async () => {
    const name = repo();
    await store.add(subscription({ repo: name, userId: 'alice' }));

    const second = await store.add(subscription({ repo: name, userId: 'bob' }));

    expect(second).toEqual({ kind: 'held_by_other' });
    expect((await store.listForRepo(name)).map((s) => s.userId)).toEqual(['alice']);
  });

  it('refuses a shared subscription beside an exclusive one', async () => {
    const name = repo();
    await store.add(subscription({ repo: name, userId: 'alice' }));

    const second = await store.add(
      subscription({ repo: name, userId: 'bob', options: { drafts: false, shared: true } }),
    );

    expect(second).toEqual({ kind: 'held_by_other' });
  });

  it('lets two subscribers share a repo when both chose `shared`', async () => {
    const name = repo();
    const shared = { drafts: false, shared: true };
    await store.add(subscription({ repo: name, userId: 'alice', options: shared }));

    const second = await store.add(subscription({ repo: name, userId: 'bob', options: shared }));

    expect(second.kind).toBe('created');
    expect((await store.listForRepo(name)).map((s) => s.userId).sort()).toEqual(['alice', 'bob']);
  });

  it('keeps exactly one of two exclusive subscriptions made at the same moment', async () => {
    const name = repo();

    const outcomes = await Promise.all([
      store.add(subscription({ repo: name, userId: 'alice' })),
      store.add(subscription({ repo: name, userId: 'bob' })),
    ]);

    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['created', 'held_by_other']);
    expect(await store.listForRepo(name)).toHaveLength(1);
  });

  it("removes the caller's own subscription and returns it", async () => {
    const name = repo();
    await store.add(subscription({ repo: name }));

    const removed = await store.remove('alice', name);

    expect(removed).toEqual(subscription({ repo: name }));
    expect(await store.listForRepo(name)).toEqual([]);
  });

  it("never removes another user's subscription", async () => {
    const name = repo();
    await store.add(subscription({ repo: name, userId: 'alice' }));

    const removed = await store.remove('mallory', name);

    expect(removed).toBeUndefined();
    expect((await store.listForRepo(name)).map((s) => s.userId)).toEqual(['alice']);
  });

  it("lists a user's subscriptions by repo, and nobody else's", async () => {
    const [first, second] = [repo(), repo()];
    await store.add(subscription({ repo: second, userId: 'carol' }));
    await store.add(subscription({ repo: first, userId: 'carol' }));
    await store.add(subscription({ repo: repo(), userId: 'dave' }));

    const listed = await store.listForUser('carol');

    expect(listed.map((s) => s.repo)).toEqual([first, second].sort());
  });

  it('marks a subscription broken with its reason', async () => {
    const name = repo();
    await store.add(subscription({ repo: name }));

    await store.markBroken('alice', name, 'the GitHub token was revoked');

    expect(await store.listForRepo(name)).toEqual([
      subscription({ repo: name, status: 'broken', brokenReason: 'the GitHub token was revoked' }),
    ]);
  });

  it('records the last result; marking or recording on a missing subscription creates nothing', async () => {
    const name = repo();
    await store.add(subscription({ repo: name }));
    const result = {
      at: '2030-01-01T00:01:00.000Z',
      outcome: 'posted' as const,
      pullNumber: 4,
      headSha: 'a'.repeat(40),
      reviewUrl: 'https://github.com/octo/widgets/pull/4#pullrequestreview-1',
    };

    await store.recordResult('alice', name, result);
    await store.recordResult('mallory', name, result);
    await store.markBroken('mallory', name, 'gone');

    expect(await store.listForRepo(name)).toEqual([subscription({ repo: name, lastResult: result })]);
  });
});

describe('delivery ledger (dynalite)', () => {
  let dynamo: LocalDynamo;
  const clock = { now: Date.parse('2030-01-01T00:00:00Z') };

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createAutoReviewTable(dynamo.client, TABLE);
  });
  afterAll(() => dynamo.close());

  it('claims a delivery id once; a replay is a duplicate', async () => {
    const ledger = createDeliveryLedger({ client: dynamo.client, tableName: TABLE, now: () => clock.now });

    const first = await ledger.claim('delivery-1');
    const replay = await ledger.claim('delivery-1');

    expect([first, replay]).toEqual([true, false]);
  });

  it('claims an id again once its TTL has passed (DynamoDB deletes expired items late)', async () => {
    const ledger = createDeliveryLedger({ client: dynamo.client, tableName: TABLE, now: () => clock.now });
    await ledger.claim('delivery-2');
    clock.now += (DELIVERY_TTL_SECONDS + 1) * 1000;

    const later = await ledger.claim('delivery-2');

    expect(later).toBe(true);
  });
});
