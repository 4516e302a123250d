import { describe, expect, it } from 'vitest';
import { ConsentRequiredError } from '../../lambdas/agent/tool';
import { MissingScopeError } from '../../lambdas/autoreview/github-hooks';
import { type SubscriptionDeps, subscribeRepo, unsubscribeRepo } from '../../lambdas/autoreview/subscribe';
import {
  type FakeHooks,
  fakeHooks,
  hookScopeConsent,
  type MemoryStore,
  memoryStore,
  subscription,
} from '../support/autoreview-fakes';

const WEBHOOK_URL = 'https://hooks.example.com/webhook';
const SECRET = 'whsec-unit-test-secret-value';
const ALICE = 'user-alice';
const BOB = 'user-bob';
const ref = { owner: 'Sample-Dev', repo: 'Widgets' };
const key = 'sample-dev/widgets';
const noOptions = { drafts: false, shared: false };

function deps(
  store: MemoryStore = memoryStore(),
  hooks: FakeHooks = fakeHooks(),
  consent: ConsentRequiredError | 'cannot widen' = hookScopeConsent(),
): SubscriptionDeps & { store: MemoryStore; hooks: FakeHooks } {
  return {
    store,
    hooks,
    webhookUrl: WEBHOOK_URL,
    webhookSecret: async () => SECRET,
    requestHookScope: async () => (consent === 'cannot widen' ? undefined : consent),
    now: () => new Date('2026-11-30T09:00:00Z'),
  };
}

describe('subscribeRepo', () => {
  it('creates the webhook with the URL, pull_request events and secret, then stores the subscription', async () => {
    const ready = deps();

    const outcome = await subscribeRepo(ready, {
      userId: ALICE,
      ref,
      options: { drafts: true, shared: false },
    });

    expect(outcome.ok).toBe(true);
    expect(ready.hooks.hooks).toEqual([
      { repo: key, id: 1, url: WEBHOOK_URL, secret: SECRET, events: ['pull_request'] },
    ]);
    expect(ready.store.items).toEqual([
      expect.objectContaining({
        repo: key,
        userId: ALICE,
        hookId: 1,
        options: { drafts: true, shared: false },
      }),
    ]);
    expect(outcome.summary).toContain('Sample-Dev/Widgets is now auto-reviewed as you: webhook 1');
    expect(outcome.summary).not.toContain(SECRET);
  });

  it('refuses a repository another user holds before touching GitHub, without naming them', async () => {
    const ready = deps(memoryStore([subscription({ repo: key, userId: BOB })]));

    const outcome = await subscribeRepo(ready, { userId: ALICE, ref, options: noOptions });

    expect(outcome.ok).toBe(false);
    expect(outcome.summary).toContain('already auto-reviewed by another user');
    expect(outcome.summary).not.toContain(BOB);
    expect(ready.hooks.calls).toEqual([]);
  });

  it('refuses when only the other side chose shared', async () => {
    const ready = deps(
      memoryStore([subscription({ repo: key, userId: BOB, options: { drafts: false, shared: true } })]),
    );

    const outcome = await subscribeRepo(ready, { userId: ALICE, ref, options: noOptions });

    expect(outcome.summary).toContain('already auto-reviewed by another user');
    expect(ready.hooks.calls).toEqual([]);
  });

  it('joins a shared repository through the webhook its other subscriber uses, creating none', async () => {
    const hooks = fakeHooks();
    hooks.hooks.push({ repo: key, id: 42, url: WEBHOOK_URL, secret: SECRET, events: ['pull_request'] });
    const ready = deps(
      memoryStore([
        subscription({ repo: key, userId: BOB, hookId: 42, options: { drafts: false, shared: true } }),
      ]),
      hooks,
    );

    const outcome = await subscribeRepo(ready, {
      userId: ALICE,
      ref,
      options: { drafts: false, shared: true },
    });

    expect(outcome.ok).toBe(true);
    expect(hooks.calls).not.toContain(`createHook ${key}`);
    expect(ready.store.items.map((item) => [item.userId, item.hookId])).toEqual([
      [BOB, 42],
      [ALICE, 42],
    ]);
  });

  it('says so when the user already subscribed, changing nothing', async () => {
    const ready = deps(memoryStore([subscription({ repo: key, userId: ALICE })]));

    const outcome = await subscribeRepo(ready, { userId: ALICE, ref, options: noOptions });

    expect(outcome.summary).toContain('You already auto-review Sample-Dev/Widgets');
    expect(ready.hooks.calls).toEqual([]);
  });

  it('refuses a repository GitHub does not show the user', async () => {
    const ready = deps(memoryStore(), fakeHooks({ kind: 'not_found' }));

    const outcome = await subscribeRepo(ready, { userId: ALICE, ref, options: noOptions });

    expect(outcome.summary).toContain('was not found, or your GitHub account cannot see it');
    expect(ready.hooks.hooks).toEqual([]);
  });

  it('refuses a user without admin rights on the repository', async () => {
    const ready = deps(
      memoryStore(),
      fakeHooks({ kind: 'ok', fullName: 'o/r', admin: false, scopes: ['repo'] }),
    );

    const outcome = await subscribeRepo(ready, { userId: ALICE, ref, options: noOptions });

    expect(outcome.summary).toContain('needs admin rights');
    expect(ready.hooks.hooks).toEqual([]);
  });

  it('asks for a consent with the hook scope when the token reports no scope that manages webhooks', async () => {
    const hooks = fakeHooks({
      kind: 'ok',
      fullName: 'o/r',
      admin: true,
      scopes: ['public_repo', 'write:repo_hook'],
    });
    const ready = deps(memoryStore(), hooks);

    const attempt = subscribeRepo(ready, { userId: ALICE, ref, options: noOptions });

    await expect(attempt).rejects.toBeInstanceOf(ConsentRequiredError);
    expect(hooks.hooks).toEqual([]);
    expect(ready.store.items).toEqual([]);
  });

  it('asks for a consent when GitHub refuses the hook for a missing scope', async () => {
    const hooks = fakeHooks({ kind: 'ok', fullName: 'o/r', admin: true });
    hooks.failNext.createHook = new MissingScopeError(['admin:repo_hook', 'repo'], ['public_repo']);

    const attempt = subscribeRepo(deps(memoryStore(), hooks), { userId: ALICE, ref, options: noOptions });

    await expect(attempt).rejects.toBeInstanceOf(ConsentRequiredError);
  });

  it('explains the missing scope when this sign-in cannot ask for more (a static token)', async () => {
    const hooks = fakeHooks({ kind: 'ok', fullName: 'o/r', admin: true, scopes: ['public_repo'] });

    const outcome = await subscribeRepo(deps(memoryStore(), hooks, 'cannot widen'), {
      userId: ALICE,
      ref,
      options: noOptions,
    });

    expect(outcome).toEqual({
      ok: false,
      summary: expect.stringContaining('lacks the admin:repo_hook scope'),
    });
    expect(outcome.summary).toContain('it has: public_repo');
  });

  it('deletes the new webhook again when the subscription cannot be stored', async () => {
    const store = memoryStore();
    store.failNextAdd = new Error('DynamoDB is down');
    const ready = deps(store);

    const outcome = await subscribeRepo(ready, { userId: ALICE, ref, options: noOptions });

    expect(outcome.ok).toBe(false);
    expect(outcome.summary).toContain('was deleted again');
    expect(ready.hooks.calls).toEqual([`repoAccess ${key}`, `createHook ${key}`, `deleteHook ${key} 1`]);
    expect(ready.hooks.hooks).toEqual([]);
  });

  it('names the webhook to delete by hand when deleting it again fails too', async () => {
    const store = memoryStore();
    store.failNextAdd = new Error('DynamoDB is down');
    const hooks = fakeHooks();
    hooks.failNext.deleteHook = new Error('GitHub is down');

    const outcome = await subscribeRepo(deps(store, hooks), { userId: ALICE, ref, options: noOptions });

    expect(outcome.summary).toContain('webhook 1 could not be deleted again');
  });

  it('deletes the new webhook again when another user won the race for the repository', async () => {
    const store = memoryStore();
    const add = store.add.bind(store);
    store.add = async (wanted) => {
      store.items.push(subscription({ repo: key, userId: BOB }));
      return add(wanted);
    };
    const ready = deps(store);

    const outcome = await subscribeRepo(ready, { userId: ALICE, ref, options: noOptions });

    expect(outcome.summary).toContain('already auto-reviewed by another user');
    expect(ready.hooks.hooks).toEqual([]);
  });

  it('refuses a second webhook to the same URL that no subscription owns', async () => {
    const hooks = fakeHooks();
    hooks.hooks.push({ repo: key, id: 9, url: WEBHOOK_URL, secret: 'old', events: ['pull_request'] });
    const ready = deps(memoryStore(), hooks);

    const outcome = await subscribeRepo(ready, { userId: ALICE, ref, options: noOptions });

    expect(outcome.summary).toContain('no subscription here owns');
    expect(ready.store.items).toEqual([]);
  });
});

describe('unsubscribeRepo', () => {
  it('deletes the webhook, then removes the subscription', async () => {
    const hooks = fakeHooks();
    hooks.hooks.push({ repo: key, id: 7, url: WEBHOOK_URL, secret: SECRET, events: ['pull_request'] });
    const ready = deps(memoryStore([subscription({ repo: key, userId: ALICE, hookId: 7 })]), hooks);

    const outcome = await unsubscribeRepo(ready, { userId: ALICE, ref });

    expect(outcome).toEqual({ ok: true, summary: expect.stringContaining('webhook 7 is deleted') });
    expect(hooks.hooks).toEqual([]);
    expect(ready.store.items).toEqual([]);
  });

  it('treats a webhook that is already gone as deleted', async () => {
    const ready = deps(memoryStore([subscription({ repo: key, userId: ALICE, hookId: 7 })]));

    const outcome = await unsubscribeRepo(ready, { userId: ALICE, ref });

    expect(outcome.summary).toContain('was already gone');
    expect(ready.store.items).toEqual([]);
  });

  it("never touches another user's subscription or webhook", async () => {
    const hooks = fakeHooks();
    hooks.hooks.push({ repo: key, id: 7, url: WEBHOOK_URL, secret: SECRET, events: ['pull_request'] });
    const ready = deps(memoryStore([subscription({ repo: key, userId: BOB, hookId: 7 })]), hooks);

    const outcome = await unsubscribeRepo(ready, { userId: ALICE, ref });

    expect(outcome.summary).toContain('You have no auto-review of Sample-Dev/Widgets');
    expect(hooks.calls).toEqual([]);
    expect(ready.store.items).toHaveLength(1);
  });

  it('keeps a webhook other shared subscribers still use', async () => {
    const shared = { drafts: false, shared: true };
    const ready = deps(
      memoryStore([
        subscription({ repo: key, userId: ALICE, hookId: 7, options: shared }),
        subscription({ repo: key, userId: BOB, hookId: 7, options: shared }),
      ]),
    );

    const outcome = await unsubscribeRepo(ready, { userId: ALICE, ref });

    expect(outcome.summary).toContain('stays for the other subscribers');
    expect(ready.hooks.calls).toEqual([]);
    expect(ready.store.items.map((item) => item.userId)).toEqual([BOB]);
  });

  it('asks for a consent when the token cannot delete webhooks, removing nothing', async () => {
    const hooks = fakeHooks({ kind: 'ok', fullName: 'o/r', admin: true, scopes: ['write:repo_hook'] });
    const ready = deps(memoryStore([subscription({ repo: key, userId: ALICE })]), hooks);

    await expect(unsubscribeRepo(ready, { userId: ALICE, ref })).rejects.toBeInstanceOf(ConsentRequiredError);
    expect(ready.store.items).toHaveLength(1);
  });

  it('still removes the subscription when the user no longer administers the repository', async () => {
    const hooks = fakeHooks({ kind: 'ok', fullName: 'o/r', admin: false, scopes: ['repo'] });
    const ready = deps(memoryStore([subscription({ repo: key, userId: ALICE })]), hooks);

    const outcome = await unsubscribeRepo(ready, { userId: ALICE, ref });

    expect(outcome.summary).toContain('could not be deleted because your account no longer administers');
    expect(hooks.calls).not.toContain(`deleteHook ${key} 7`);
    expect(ready.store.items).toEqual([]);
  });
});
