import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRepoHooks, MissingScopeError } from '../../lambdas/autoreview/github-hooks';
import type { SubscriptionStore } from '../../lambdas/autoreview/ports';
import { type SubscriptionDeps, subscribeRepo, unsubscribeRepo } from '../../lambdas/autoreview/subscribe';
import { createSubscriptionStore } from '../../lambdas/autoreview/subscriptions';
import { createGitHubAccess } from '../../lambdas/github/access';
import { createOctokit } from '../../lambdas/github/client';
import { createStaticTokenPort } from '../../lambdas/identity/static-token';
import { createAutoReviewTable, type LocalDynamo, startDynalite } from '../support/dynalite';
import {
  fastOctokitOptions,
  type GitHubStandin,
  SAMPLE_TOKEN,
  startGitHubStandin,
} from '../support/github-standin';

/**
 * Subscribing and stopping against the OpenAPI-validating GitHub stand-in (the real Octokit adapter) and dynalite (the
 * real DynamoDB store): what GitHub and the table hold afterwards.
 */

const WEBHOOK_URL = 'https://hooks.example.test/webhook';
const SECRET = 'integration-webhook-secret-value';
const TABLE = 'auto-review-subscribe-test';
const widgets = { owner: 'sample-dev', repo: 'widgets' };

let dynamo: LocalDynamo;
let store: SubscriptionStore;
let github: GitHubStandin;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createAutoReviewTable(dynamo.client, TABLE);
  store = createSubscriptionStore({ client: dynamo.client, tableName: TABLE });
});
afterAll(() => dynamo.close());

beforeEach(async () => {
  github = await startGitHubStandin();
});
afterEach(async () => {
  github.assertNoViolations();
  await github.close();
  for (const item of await store.listForRepo('sample-dev/widgets'))
    await store.remove(item.userId, item.repo);
});

function hooksWith(token: string) {
  const access = createGitHubAccess({
    tokenPort: createStaticTokenPort({ token }),
    userId: 'user-alice',
    octokitFactory: (value) =>
      createOctokit({ token: value, baseUrl: github.url, maxRetries: 0, ...fastOctokitOptions() }),
  });
  return createRepoHooks(access);
}

function deps(token = SAMPLE_TOKEN): SubscriptionDeps {
  return {
    store,
    hooks: hooksWith(token),
    webhookUrl: WEBHOOK_URL,
    webhookSecret: async () => SECRET,
    requestHookScope: async () => undefined,
    now: () => new Date('2026-11-30T09:00:00Z'),
  };
}

describe('subscribing against the GitHub stand-in and dynalite', () => {
  it('creates the hook GitHub-side and the subscription table-side, with the same hook id', async () => {
    const outcome = await subscribeRepo(deps(), {
      userId: 'user-alice',
      ref: widgets,
      options: { drafts: false, shared: false },
    });

    const [hook] = github.state.hooks ?? [];
    expect(outcome.ok).toBe(true);
    expect(hook).toMatchObject({
      repo: 'sample-dev/widgets',
      events: ['pull_request'],
      config: { url: WEBHOOK_URL, content_type: 'json', insecure_ssl: '0', secret: SECRET },
    });
    expect(await store.listForRepo('sample-dev/widgets')).toEqual([
      expect.objectContaining({ userId: 'user-alice', hookId: hook?.id }),
    ]);
  });

  it('stops: the hook is gone from GitHub and the subscription from the table', async () => {
    await subscribeRepo(deps(), {
      userId: 'user-alice',
      ref: widgets,
      options: { drafts: false, shared: false },
    });

    const outcome = await unsubscribeRepo(deps(), { userId: 'user-alice', ref: widgets });

    expect(outcome.ok).toBe(true);
    expect(github.state.hooks).toEqual([]);
    expect(await store.listForRepo('sample-dev/widgets')).toEqual([]);
  });

  it('refuses a token without a webhook scope before calling the hooks API', async () => {
    github.addToken('gho_public_only', 'sample-dev', ['public_repo', 'read:user']);

    const outcome = await subscribeRepo(deps('gho_public_only'), {
      userId: 'user-alice',
      ref: widgets,
      options: { drafts: false, shared: false },
    });

    expect(outcome.summary).toContain('lacks the admin:repo_hook scope');
    expect(outcome.summary).toContain('it has: public_repo, read:user');
    expect(github.requests.map((request) => request.operationId)).toEqual(['repos/get']);
  });
});

describe('the GitHub hooks adapter', () => {
  it('reads admin rights and the token scopes from the repository look-up', async () => {
    github.addToken('gho_hooks', 'sample-dev', ['admin:repo_hook', 'public_repo']);

    const access = await hooksWith('gho_hooks').repoAccess(widgets);

    expect(access).toEqual({
      kind: 'ok',
      fullName: 'sample-dev/widgets',
      admin: true,
      scopes: ['admin:repo_hook', 'public_repo'],
    });
  });

  it('turns GitHub’s 404 with X-Accepted-OAuth-Scopes into MissingScopeError', async () => {
    github.addToken('gho_writer', 'sample-dev', ['write:repo_hook']);
    const hooks = hooksWith('gho_writer');
    const created = await hooks.createHook(widgets, {
      url: WEBHOOK_URL,
      secret: SECRET,
      events: ['pull_request'],
    });
    const id = created.kind === 'created' ? created.id : 0;

    const attempt = hooks.deleteHook(widgets, id);

    await expect(attempt).rejects.toBeInstanceOf(MissingScopeError);
    await expect(attempt).rejects.toMatchObject({
      accepted: ['admin:repo_hook', 'repo'],
      granted: ['write:repo_hook'],
    });
  });

  it('answers `exists` for GitHub’s 422 duplicate hook and `gone` for a hook already deleted', async () => {
    const hooks = hooksWith(SAMPLE_TOKEN);
    const created = await hooks.createHook(widgets, {
      url: WEBHOOK_URL,
      secret: SECRET,
      events: ['pull_request'],
    });
    const id = created.kind === 'created' ? created.id : 0;

    const duplicate = await hooks.createHook(widgets, {
      url: WEBHOOK_URL,
      secret: SECRET,
      events: ['pull_request'],
    });
    const deleted = await hooks.deleteHook(widgets, id);
    const again = await hooks.deleteHook(widgets, id);

    expect([duplicate.kind, deleted, again]).toEqual(['exists', 'deleted', 'gone']);
  });

  it('answers not_found for a private repository the user cannot see', async () => {
    const access = await hooksWith(SAMPLE_TOKEN).repoAccess({ owner: 'other-dev', repo: 'secret-project' });

    expect(access).toEqual({ kind: 'not_found' });
  });
});
