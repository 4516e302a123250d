import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPendingWriteStore } from '../../lambdas/sessions/pending-writes';
import { createSessionTrust } from '../../lambdas/sessions/session-trust';
import {
  ActionConflictError,
  ActionExpiredError,
  ActionNotFoundError,
  type PendingWrite,
  type PendingWriteStore,
} from '../../lambdas/writes/ports';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';

const TABLE = 'writes-test';
const NOW = Date.parse('2030-01-01T00:00:00Z');
let sequence = 0;

function write(overrides: Partial<PendingWrite> = {}): PendingWrite {
  sequence += 1;
  return {
    userId: 'alice',
    actionId: `w_test${sequence}`,
    sessionId: 'session-1',
    toolName: 'create_github_issue',
    toolInput: { owner: 'octo', repo: 'widgets', title: `Issue ${sequence}` },
    summary: 'create_github_issue {…}',
    status: 'pending',
    createdAt: new Date(NOW + sequence * 1000).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
    expiresAt: NOW / 1000 + 3600,
    ...overrides,
  };
}

describe('DynamoDB pending-write store (dynalite)', () => {
  let dynamo: LocalDynamo;
  let store: PendingWriteStore;
  const clock = { now: NOW };

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createAgentTable(dynamo.client, TABLE);
    store = createPendingWriteStore({ client: dynamo.client, tableName: TABLE, now: () => clock.now });
  });
  afterAll(() => dynamo.close());

  it('keeps the exact arguments it was given', async () => {
    const stored = write({ toolInput: { owner: 'octo', repo: 'widgets', title: 'Exact', labels: ['bug'] } });
    await store.create(stored);

    const read = await store.get('alice', stored.actionId);

    expect(read.toolInput).toEqual({ owner: 'octo', repo: 'widgets', title: 'Exact', labels: ['bug'] });
    expect(read.status).toBe('pending');
  });

  it('lets only one of two concurrent claims win', async () => {
    const stored = write();
    await store.create(stored);

    const claims = await Promise.allSettled([
      store.transition('alice', stored.actionId, { from: ['pending'], to: 'executing' }),
      store.transition('alice', stored.actionId, { from: ['pending'], to: 'executing' }),
    ]);

    expect(claims.filter((claim) => claim.status === 'fulfilled')).toHaveLength(1);
    const refused = claims.find((claim) => claim.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(ActionConflictError);
  });

  it('refuses to approve a write past its expiry, naming it expired', async () => {
    const stored = write({ expiresAt: NOW / 1000 + 60 });
    await store.create(stored);
    clock.now = NOW + 61_000;
    try {
      await expect(
        store.transition('alice', stored.actionId, { from: ['pending'], to: 'executing' }),
      ).rejects.toBeInstanceOf(ActionExpiredError);
      await expect(store.get('alice', stored.actionId)).rejects.toBeInstanceOf(ActionExpiredError);
      expect((await store.listPending('alice', 'session-1')).map((w) => w.actionId)).not.toContain(
        stored.actionId,
      );
    } finally {
      clock.now = NOW;
    }
  });

  it("does not find another user's write", async () => {
    const stored = write();
    await store.create(stored);

    await expect(store.get('bob', stored.actionId)).rejects.toBeInstanceOf(ActionNotFoundError);
    await expect(
      store.transition('bob', stored.actionId, { from: ['pending'], to: 'executing' }),
    ).rejects.toBeInstanceOf(ActionNotFoundError);
  });

  it('lists only the pending writes of the session asked for', async () => {
    const mine = write({ sessionId: 'session-list' });
    const elsewhere = write({ sessionId: 'session-other' });
    const done = write({ sessionId: 'session-list' });
    await Promise.all([store.create(mine), store.create(elsewhere), store.create(done)]);
    await store.transition('alice', done.actionId, { from: ['pending'], to: 'cancelled' });

    const pending = await store.listPending('alice', 'session-list');

    expect(pending.map((w) => w.actionId)).toEqual([mine.actionId]);
  });
});

describe('DynamoDB session trust mark (dynalite)', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createAgentTable(dynamo.client, 'trust-test');
  });
  afterAll(() => dynamo.close());

  it('remembers per user and session that the session read untrusted text', async () => {
    const trust = createSessionTrust({
      client: dynamo.client,
      tableName: 'trust-test',
      ttlDays: 30,
      now: () => NOW,
    });

    await trust.markUntrusted('alice', 's1');

    expect(await trust.isUntrusted('alice', 's1')).toBe(true);
    expect(await trust.isUntrusted('alice', 's2')).toBe(false);
    expect(await trust.isUntrusted('bob', 's1')).toBe(false);
  });
});
