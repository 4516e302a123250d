import { ConsentRequiredError } from '../../lambdas/agent/tool';
import type { RepoName } from '../../lambdas/autoreview/command-parse';
import type { NewHook, RepoAccess, RepoHooksPort } from '../../lambdas/autoreview/github-hooks';
import type { Subscription, SubscriptionStore } from '../../lambdas/autoreview/ports';

/**
 * In-memory stand-ins for the auto-review ports, for unit tests of the subscription logic: a store with the
 * DynamoDB adapter's rules (exclusive unless both shared; a user touches only their own) and a GitHub hooks port
 * that records what it was asked to do.
 */
export interface MemoryStore extends SubscriptionStore {
  items: Subscription[];
  /** The next `add` throws this. */
  failNextAdd?: Error;
}

export function memoryStore(initial: Subscription[] = []): MemoryStore {
  const store: MemoryStore = {
    items: [...initial],
    async add(subscription) {
      if (store.failNextAdd) {
        const error = store.failNextAdd;
        store.failNextAdd = undefined;
        throw error;
      }
      const wanted = { ...subscription, repo: subscription.repo.toLowerCase() };
      const same = store.items.filter((item) => item.repo === wanted.repo);
      const own = same.find((item) => item.userId === wanted.userId);
      if (own) return { kind: 'exists', subscription: own };
      if (same.some((other) => !(other.options.shared && wanted.options.shared)))
        return { kind: 'held_by_other' };
      store.items.push(wanted);
      return { kind: 'created', subscription: wanted };
    },
    async remove(userId, repo) {
      const found = store.items.find((item) => item.userId === userId && item.repo === repo.toLowerCase());
      store.items = store.items.filter((item) => item !== found);
      return found;
    },
    async listForUser(userId) {
      return store.items.filter((item) => item.userId === userId);
    },
    async listForRepo(repo) {
      return store.items.filter((item) => item.repo === repo.toLowerCase());
    },
    async markBroken() {},
    async recordResult() {},
  };
  return store;
}

export interface FakeHook extends NewHook {
  repo: string;
  id: number;
}

export interface FakeHooks extends RepoHooksPort {
  hooks: FakeHook[];
  calls: string[];
  access: RepoAccess;
  /** Makes the next call of this method throw. */
  failNext: Partial<Record<'createHook' | 'deleteHook' | 'repoAccess', Error>>;
}

export function fakeHooks(
  access: RepoAccess = { kind: 'ok', fullName: 'o/r', admin: true, scopes: ['repo'] },
): FakeHooks {
  let nextId = 1;
  const key = (ref: RepoName) => `${ref.owner}/${ref.repo}`.toLowerCase();
  const fail = (name: keyof FakeHooks['failNext']) => {
    const error = fake.failNext[name];
    if (error) {
      delete fake.failNext[name];
      throw error;
    }
  };
  const fake: FakeHooks = {
    hooks: [],
    calls: [],
    access,
    failNext: {},
    async repoAccess(ref) {
      fake.calls.push(`repoAccess ${key(ref)}`);
      fail('repoAccess');
      return fake.access;
    },
    async getHook(ref, hookId) {
      fake.calls.push(`getHook ${key(ref)} ${hookId}`);
      const hook = fake.hooks.find((item) => item.repo === key(ref) && item.id === hookId);
      return hook && { url: hook.url, events: hook.events };
    },
    async createHook(ref, hook) {
      fake.calls.push(`createHook ${key(ref)}`);
      fail('createHook');
      if (fake.hooks.some((item) => item.repo === key(ref) && item.url === hook.url))
        return { kind: 'exists' };
      const id = nextId++;
      fake.hooks.push({ ...hook, repo: key(ref), id });
      return { kind: 'created', id };
    },
    async deleteHook(ref, hookId) {
      fake.calls.push(`deleteHook ${key(ref)} ${hookId}`);
      fail('deleteHook');
      const before = fake.hooks.length;
      fake.hooks = fake.hooks.filter((item) => !(item.repo === key(ref) && item.id === hookId));
      return fake.hooks.length < before ? 'deleted' : 'gone';
    },
  };
  return fake;
}

/** A consent as AgentCore would start it for the hook scope. */
export function hookScopeConsent(): ConsentRequiredError {
  return new ConsentRequiredError('https://consent.example/authorize', 'urn:session:1', 'state-1');
}

/** A subscription record with defaults. */
export function subscription(
  fields: Partial<Subscription> & Pick<Subscription, 'repo' | 'userId'>,
): Subscription {
  return {
    hookId: 7,
    options: { drafts: false, shared: false },
    status: 'active',
    createdAt: '2026-11-30T08:00:00.000Z',
    ...fields,
  };
}
