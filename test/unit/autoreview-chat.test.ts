import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../lambdas/agent/events';
import {
  type AutoReviewChatDeps,
  createApprovalTools,
  renderList,
  runAutoReviewCommand,
  SUBSCRIBE_TOOL,
} from '../../lambdas/autoreview/chat';
import { parseAutoReviewCommand } from '../../lambdas/autoreview/command-parse';
import { GitHubAuthError } from '../../lambdas/github/errors';
import type { HoldWrite } from '../../lambdas/writes/gate';
import { fakeHooks, memoryStore, subscription } from '../support/autoreview-fakes';

// A real function URL's length: a 32-character URL id.
const WEBHOOK_URL = 'https://k3ad7rlvz5xq2mfn4wc6hj8ep0tyubs1.lambda-url.ap-southeast-2.on.aws/';
const SECRET = 'whsec-chat-unit-secret-value';
const ALICE = 'user-alice';

function setup(items = memoryStore()) {
  const events: ChatEvent[] = [];
  const held: Array<Parameters<HoldWrite>[0]> = [];
  const deps: AutoReviewChatDeps = {
    setup: { enabled: true, store: items, webhookUrl: WEBHOOK_URL, webhookSecret: async () => SECRET },
    hold: async (write) => {
      held.push(write);
      return { actionId: 'w_test1', summary: write.summary ?? '', expiresAt: '2026-11-30T10:00:00.000Z' };
    },
    githubFor: () => ({ hooks: fakeHooks(), requestHookScope: async () => undefined }),
    now: () => new Date('2026-11-30T09:00:00Z'),
  };
  const scope = { userId: ALICE, sessionId: 's1', emit: (event: ChatEvent) => events.push(event) };
  return { deps, scope, events, held, store: items };
}

function command(text: string) {
  const parsed = parseAutoReviewCommand(text);
  if (!parsed) throw new Error(`not a command: ${text}`);
  return parsed;
}

describe('runAutoReviewCommand', () => {
  it('holds a subscribe for approval with a summary naming the repo, events, URL and who reviews', async () => {
    const { deps, scope, events, held } = setup();

    const reply = await runAutoReviewCommand(
      deps,
      scope,
      command('auto-review sample-dev/widgets including drafts'),
    );

    const summary = `Create a webhook on sample-dev/widgets that sends pull_request events to ${WEBHOOK_URL} and auto-review its PRs as you`;
    expect(held).toEqual([
      {
        userId: ALICE,
        sessionId: 's1',
        toolName: SUBSCRIBE_TOOL,
        toolInput: { repo: 'sample-dev/widgets', drafts: true, shared: false },
        summary,
      },
    ]);
    expect(events[0]).toEqual(
      expect.objectContaining({ type: 'write_pending', action_id: 'w_test1', summary }),
    );
    expect(reply).toContain('approve w_test1');
    expect(reply).toContain('Drafts are reviewed too: yes. Shared with other subscribers: no.');
  });

  it('keeps the summary of a subscribe with a real function URL within the 200 characters a held write shows', async () => {
    const { deps, scope, held } = setup();

    await runAutoReviewCommand(deps, scope, command('auto-review sample-dev/widgets'));

    expect(held[0]?.summary?.length).toBeLessThanOrEqual(200);
  });

  it('never puts the webhook secret in the held write or any event', async () => {
    const { deps, scope, events, held } = setup();

    await runAutoReviewCommand(deps, scope, command('auto-review sample-dev/widgets'));

    expect(JSON.stringify({ events, held })).not.toContain(SECRET);
  });

  it('refuses at once, holding nothing, when another user holds the repository', async () => {
    const { deps, scope, held } = setup(
      memoryStore([subscription({ repo: 'sample-dev/widgets', userId: 'user-bob' })]),
    );

    const reply = await runAutoReviewCommand(deps, scope, command('auto-review sample-dev/widgets'));

    expect(reply).toContain('already auto-reviewed by another user');
    expect(reply).not.toContain('user-bob');
    expect(held).toEqual([]);
  });

  it('holds a stop only for the user who subscribed', async () => {
    const { deps, scope, held } = setup(
      memoryStore([subscription({ repo: 'sample-dev/widgets', userId: 'user-bob' })]),
    );

    const reply = await runAutoReviewCommand(deps, scope, command('stop auto-review sample-dev/widgets'));

    expect(reply).toContain('You have no auto-review of sample-dev/widgets');
    expect(held).toEqual([]);
  });

  it('answers that auto-review is not configured, naming what is missing', async () => {
    const { deps, scope } = setup();
    deps.setup = { enabled: false, missing: ['WEBHOOK_URL', 'WEBHOOK_SECRET_ARN'] };

    const reply = await runAutoReviewCommand(deps, scope, command('auto-review sample-dev/widgets'));

    expect(reply).toContain(
      'Auto-review is not set up in this deployment (WEBHOOK_URL, WEBHOOK_SECRET_ARN not configured)',
    );
  });

  it('turns a store failure into a storage_error refusal', async () => {
    const store = memoryStore();
    store.listForRepo = async () => {
      throw new Error('DynamoDB is down');
    };
    const { deps, scope } = setup(store);

    await expect(runAutoReviewCommand(deps, scope, command('auto-review a/b'))).rejects.toMatchObject({
      code: 'storage_error',
    });
  });

  it('lists nothing with a hint how to subscribe', async () => {
    const { deps, scope } = setup();

    const reply = await runAutoReviewCommand(deps, scope, command('list auto-reviews'));

    expect(reply).toContain('You have no auto-reviews');
  });
});

describe('renderList', () => {
  it('shows each subscription with options, status, broken reason and its last result', () => {
    const text = renderList([
      subscription({
        repo: 'sample-dev/widgets',
        userId: ALICE,
        options: { drafts: true, shared: false },
        lastResult: {
          at: '2026-11-30T09:10:00.000Z',
          outcome: 'posted',
          pullNumber: 4,
          reviewUrl: 'https://github.example/sample-dev/widgets/pull/4#pullrequestreview-1',
        },
      }),
      subscription({
        repo: 'sample-dev/tools',
        userId: ALICE,
        status: 'broken',
        brokenReason: 'token revoked',
      }),
    ]);

    expect(text).toBe(
      [
        'Your auto-reviews:',
        '- sample-dev/widgets (drafts: yes; shared: no): active; last result: posted on PR #4 at 2026-11-30T09:10:00.000Z https://github.example/sample-dev/widgets/pull/4#pullrequestreview-1',
        '- sample-dev/tools (drafts: no; shared: no): broken (token revoked): new pull requests are not reviewed until you subscribe again; last result: none yet',
      ].join('\n'),
    );
  });
});

describe('approval tools', () => {
  it('are external writes, so the write gate and runWriteCommand treat them as GitHub writes', () => {
    const { deps, scope } = setup();

    const tools = createApprovalTools(deps, scope);

    expect(tools.map((tool) => [tool.name, tool.externalWrite])).toEqual([
      ['auto_review_subscribe', true],
      ['auto_review_unsubscribe', true],
    ]);
  });
});

describe('an approved subscribe whose token is rejected', () => {
  it('fails with the credentials message, creating nothing', async () => {
    const { deps, scope, store } = setup();
    const hooks = fakeHooks();
    hooks.failNext.repoAccess = new GitHubAuthError(
      'GitHub rejected the credentials (401 Bad credentials) even after a fresh authorization.',
    );
    deps.githubFor = () => ({ hooks, requestHookScope: async () => undefined });
    const [subscribe] = createApprovalTools(deps, scope);

    const output = await subscribe?.run({ repo: 'sample-dev/widgets', drafts: false, shared: false }, scope);

    expect(output).toEqual({
      ok: false,
      summary: 'GitHub rejected the credentials (401 Bad credentials) even after a fresh authorization.',
      content: null,
    });
    expect(hooks.hooks).toEqual([]);
    expect(store.items).toEqual([]);
  });
});
