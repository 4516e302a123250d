import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanConflictError, PlanExpiredError, PlanNotFoundError } from '../../lambdas/review/errors';
import type { PlanStore, StoredPlan } from '../../lambdas/review/ports';
import { createPlanStore } from '../../lambdas/sessions/plans';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';

const TABLE = 'plans-test';
const NOW = Date.parse('2030-01-01T00:00:00Z');
let sequence = 0;

function plan(overrides: Partial<StoredPlan> = {}): StoredPlan {
  sequence += 1;
  return {
    userId: 'alice',
    planId: `plan-${sequence}`,
    sessionId: 'session-1',
    status: 'pending',
    plan: { objective: 'Review it', steps: ['Read'], risks: [], estimated_time_minutes: 10 },
    ref: { owner: 'octo', repo: 'widgets', number: 12 },
    title: 'Add runner',
    headSha: 'a'.repeat(40),
    createdAt: new Date(NOW + sequence * 1000).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
    expiresAt: NOW / 1000 + 24 * 3600,
    ...overrides,
  };
}

describe('DynamoDB plan store (dynalite)', () => {
  let dynamo: LocalDynamo;
  let store: PlanStore;
  const clock = { now: NOW };

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createAgentTable(dynamo.client, TABLE);
    store = createPlanStore({ client: dynamo.client, tableName: TABLE, now: () => clock.now });
  });
  afterAll(() => dynamo.close());

  it('stores a plan and reads it back unchanged', async () => {
    const created = plan();
    await store.create(created);

    const read = await store.get('alice', created.planId);

    expect(read).toEqual({ ...created, reviewUrl: undefined, failureReason: undefined });
  });

  it('keeps a widened review scope (every file) with the plan', async () => {
    const created = plan({ pathPrefixes: [] });
    await store.create(created);

    const read = await store.get('alice', created.planId);

    expect(read.pathPrefixes).toEqual([]);
  });

  it('keeps the range a re-review covers with the plan', async () => {
    const created = plan({ range: { kind: 'incremental', fromSha: 'c'.repeat(40) } });
    await store.create(created);

    const read = await store.get('alice', created.planId);

    expect(read.range).toEqual({ kind: 'incremental', fromSha: 'c'.repeat(40) });
  });

  it("does not find another user's plan", async () => {
    const created = plan();
    await store.create(created);

    await expect(store.get('mallory', created.planId)).rejects.toBeInstanceOf(PlanNotFoundError);
    await expect(
      store.transition('mallory', created.planId, { from: ['pending'], to: 'approved' }),
    ).rejects.toBeInstanceOf(PlanNotFoundError);
  });

  it('approves a pending plan once; a second approval gets a conflict naming the current status', async () => {
    const created = plan();
    await store.create(created);

    const approved = await store.transition('alice', created.planId, { from: ['pending'], to: 'approved' });
    const again = store.transition('alice', created.planId, { from: ['pending'], to: 'approved' });

    expect(approved.status).toBe('approved');
    await expect(again).rejects.toBeInstanceOf(PlanConflictError);
    await expect(again).rejects.toMatchObject({ currentStatus: 'approved' });
  });

  it('lets exactly one of two concurrent approvals win', async () => {
    const created = plan();
    await store.create(created);

    const results = await Promise.allSettled([
      store.transition('alice', created.planId, { from: ['pending'], to: 'approved' }),
      store.transition('alice', created.planId, { from: ['pending'], to: 'approved' }),
    ]);

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected')[0]).toMatchObject({
      reason: expect.any(PlanConflictError),
    });
  });

  it('refuses to cancel an executing plan and leaves it executing', async () => {
    const created = plan({ status: 'executing' });
    await store.create(created);

    const cancel = store.transition('alice', created.planId, { from: ['pending'], to: 'cancelled' });

    await expect(cancel).rejects.toMatchObject({ currentStatus: 'executing', code: 'plan_conflict' });
    expect((await store.get('alice', created.planId)).status).toBe('executing');
  });

  it('treats a plan past its TTL as expired on read and on approval, before DynamoDB deletes it', async () => {
    const created = plan({ expiresAt: NOW / 1000 - 1 });
    await store.create(created);

    await expect(store.get('alice', created.planId)).rejects.toBeInstanceOf(PlanExpiredError);
    await expect(
      store.transition('alice', created.planId, { from: ['pending'], to: 'approved' }),
    ).rejects.toBeInstanceOf(PlanExpiredError);
  });

  it('records the review URL and failure reason a transition patches in', async () => {
    const created = plan({ status: 'executing' });
    await store.create(created);

    const done = await store.transition('alice', created.planId, {
      from: ['executing'],
      to: 'completed',
      patch: {
        reviewUrl: 'https://github.com/octo/widgets/pull/12#pullrequestreview-1',
        expiresAt: NOW / 1000 + 999,
      },
    });

    expect(done).toMatchObject({
      status: 'completed',
      reviewUrl: 'https://github.com/octo/widgets/pull/12#pullrequestreview-1',
      expiresAt: NOW / 1000 + 999,
    });
  });

  it("lists only the session's unexpired pending plans, newest first", async () => {
    const older = plan({ sessionId: 'session-list' });
    const newer = plan({ sessionId: 'session-list' });
    const otherSession = plan({ sessionId: 'session-other' });
    const expired = plan({ sessionId: 'session-list', expiresAt: NOW / 1000 - 5 });
    const done = plan({ sessionId: 'session-list', status: 'completed' });
    for (const item of [older, newer, otherSession, expired, done]) await store.create(item);

    const pending = await store.listPending('alice', 'session-list');

    expect(pending.map((item) => item.planId)).toEqual([newer.planId, older.planId]);
  });

  it('reports a missing plan as not found', async () => {
    await expect(
      store.transition('alice', 'no-such-plan', { from: ['pending'], to: 'cancelled' }),
    ).rejects.toBeInstanceOf(PlanNotFoundError);
  });

  describe('execution leases', () => {
    const takeOver = (planId: string, owner: string) =>
      store.transition('alice', planId, {
        from: [],
        fromLapsed: ['approved', 'executing'],
        to: 'approved',
        patch: { lease: { owner, expiresAt: clock.now / 1000 + 300 } },
      });

    it('lets exactly one restart take over a running plan, and only once its lease has lapsed', async () => {
      const created = plan({ status: 'executing', lease: { owner: 'run-1', expiresAt: NOW / 1000 + 300 } });
      await store.create(created);

      await expect(takeOver(created.planId, 'run-2')).rejects.toMatchObject({ currentStatus: 'executing' });
      clock.now = NOW + 300_000;
      const results = await Promise.allSettled([
        takeOver(created.planId, 'run-2'),
        takeOver(created.planId, 'run-3'),
      ]);
      clock.now = NOW;

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect((await store.get('alice', created.planId)).lease?.owner).toMatch(/^run-[23]$/);
    });

    it("refuses the writes of a run whose lease was taken over, naming the plan's state", async () => {
      const created = plan({ status: 'executing', lease: { owner: 'run-1', expiresAt: NOW / 1000 - 1 } });
      await store.create(created);
      await takeOver(created.planId, 'run-2');

      const stale = store.transition('alice', created.planId, {
        from: ['approved', 'executing'],
        leaseOwner: 'run-1',
        to: 'failed',
      });

      await expect(stale).rejects.toBeInstanceOf(PlanConflictError);
      await expect(stale).rejects.toThrow(/is running .*from 2030-01-01 00:05:00 UTC/);
      expect(await store.get('alice', created.planId)).toMatchObject({
        status: 'approved',
        lease: { owner: 'run-2', expiresAt: NOW / 1000 + 300 },
      });
    });

    it('treats a running plan written before leases as stuck 15 minutes after its last update', async () => {
      const created = plan({ status: 'executing', updatedAt: new Date(NOW - 14 * 60_000).toISOString() });
      await store.create(created);

      await expect(takeOver(created.planId, 'run-2')).rejects.toBeInstanceOf(PlanConflictError);
      clock.now = NOW + 60_000;
      await expect(takeOver(created.planId, 'run-2')).resolves.toMatchObject({ status: 'approved' });
      clock.now = NOW;
    });

    it("lists a session's running plans with their leases", async () => {
      const running = plan({
        sessionId: 'session-run',
        status: 'executing',
        lease: { owner: 'r', expiresAt: 1 },
      });
      const pending = plan({ sessionId: 'session-run' });
      for (const item of [running, pending]) await store.create(item);

      const listed = await store.listRunning('alice', 'session-run');

      expect(listed.map((item) => [item.planId, item.lease?.owner])).toEqual([[running.planId, 'r']]);
    });
  });
});
