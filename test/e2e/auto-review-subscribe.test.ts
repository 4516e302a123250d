import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import type { ChatEvent } from '../../lambdas/agent/events';
import { eventsOfType, firstOfType, localUserId, sendWithConsent, sessionIdOf } from '../support/e2e';
import type { StandinHook } from '../support/github-standin';
import { pullRequestPayload, sendDelivery } from '../support/github-standin/webhooks';
import { type ChatExchange, chat } from '../support/sse-client';

/**
 * Subscribing a repository to auto-review from chat, end to end through the local function URL: the command is held
 * as a withheld write (`write_pending`), the approval creates the webhook on the GitHub stand-in (OpenAPI-validated)
 * and stores the subscription in dynalite; the AgentCore stand-in plays the consents, including the one for the
 * webhook scope. Every log line and event is captured to prove the webhook secret never leaves the hook's config.
 */

const ALICE = 'alice';
const BOB = 'bob';
const WEBHOOK_SECRET = 'e2e-webhook-secret-4f1c9a7d2b';
const WIDGETS = 'sample-dev/widgets';

let server: LocalServer | undefined;
let written: string[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  const current = server;
  server = undefined;
  if (!current) return;
  try {
    current.github?.assertNoViolations();
  } finally {
    await current.close();
  }
});

/** Starts the offline server with auto-review configured, capturing every line it logs. */
async function start(env: NodeJS.ProcessEnv = {}): Promise<LocalServer> {
  written = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  server = await startLocalServer({
    offline: true,
    allowUserHeader: true,
    logLevel: 'DEBUG',
    env: { WEBHOOK_SECRET, ...env },
  });
  return server;
}

const say = (user: string, message: string, sessionId?: string): Promise<ChatExchange> =>
  chat(server?.url ?? '', { message, ...(sessionId ? { session_id: sessionId } : {}) }, { user });

function pendingOf(events: ChatEvent[]): Extract<ChatEvent, { type: 'write_pending' }> {
  const pending = firstOfType(events, 'write_pending');
  if (!pending) throw new Error(`no write_pending event in ${JSON.stringify(events)}`);
  return pending;
}

const text = (events: ChatEvent[]) =>
  eventsOfType(events, 'token')
    .map((event) => event.content)
    .join('');

const hooksOf = (running: LocalServer): StandinHook[] => running.github?.state.hooks ?? [];

/** Sends the command, then approves its withheld write (consenting first when GitHub needs it). */
async function subscribeAndApprove(
  running: LocalServer,
  user: string,
  command: string,
): Promise<{ held: ChatExchange; approved: ChatExchange; sessionId: string }> {
  const held = await say(user, command);
  const sessionId = sessionIdOf(held);
  const { action_id } = pendingOf(held.events);
  const { reply } = await sendWithConsent(running, user, {
    message: `approve ${action_id}`,
    session_id: sessionId,
  });
  return { held, approved: reply, sessionId };
}

describe('auto-review subscriptions from chat', () => {
  it('subscribe → write_pending → approve → the webhook exists with the URL, events and secret, and is listed', async () => {
    const running = await start();

    const { held, approved, sessionId } = await subscribeAndApprove(running, ALICE, `auto-review ${WIDGETS}`);

    expect(pendingOf(held.events)).toMatchObject({
      tool_name: 'auto_review_subscribe',
      tool_input: { repo: WIDGETS, drafts: false, shared: false },
      summary: `Create a webhook on ${WIDGETS} that sends pull_request events to ${running.config.WEBHOOK_URL} and auto-review its PRs as you`,
    });
    expect(text(held.events)).toContain('Drafts are reviewed too: no. Shared with other subscribers: no.');
    expect(firstOfType(approved.events, 'tool_result')).toMatchObject({
      tool_name: 'auto_review_subscribe',
      ok: true,
    });
    expect(hooksOf(running)).toEqual([
      expect.objectContaining({
        repo: WIDGETS,
        active: true,
        events: ['pull_request'],
        config: {
          url: running.config.WEBHOOK_URL,
          content_type: 'json',
          insecure_ssl: '0',
          secret: WEBHOOK_SECRET,
        },
      }),
    ]);
    const listed = await say(ALICE, 'list auto-reviews', sessionId);
    expect(text(listed.events)).toContain(
      `- ${WIDGETS} (drafts: no; shared: no): active; last result: none yet`,
    );
  });

  it('never puts the webhook secret in an SSE event or a log line', async () => {
    const running = await start();

    const { held, approved } = await subscribeAndApprove(running, ALICE, `auto-review ${WIDGETS}`);
    const listed = await say(ALICE, 'list auto-reviews');

    expect(hooksOf(running)[0]?.config.secret).toBe(WEBHOOK_SECRET);
    expect(written.join('')).toContain('Auto-review subscribed');
    const everything = [...written, held.text, approved.text, listed.text].join('\n');
    expect(everything).not.toContain(WEBHOOK_SECRET);
  });

  it('tells a second user the repository is held, without creating a hook or revealing who holds it', async () => {
    const running = await start();
    await subscribeAndApprove(running, ALICE, `auto-review ${WIDGETS}`);

    const reply = await say(BOB, `auto-review ${WIDGETS}`);

    expect(text(reply.events)).toContain('already auto-reviewed by another user');
    expect(firstOfType(reply.events, 'write_pending')).toBeUndefined();
    expect(hooksOf(running)).toHaveLength(1);
    expect(reply.text).not.toContain(ALICE);
    expect(reply.text).not.toContain(localUserId(ALICE));
  });

  it('lets two users share a repository when both say "shared": one webhook, two subscriptions', async () => {
    const running = await start();
    await subscribeAndApprove(running, ALICE, `auto-review ${WIDGETS} shared`);

    const { approved } = await subscribeAndApprove(
      running,
      BOB,
      `auto-review ${WIDGETS} including drafts, shared`,
    );

    expect(firstOfType(approved.events, 'tool_result')).toMatchObject({ ok: true });
    expect(text(approved.events)).toContain('through the webhook');
    expect(hooksOf(running)).toHaveLength(1);
    const listed = await say(BOB, 'list auto-reviews');
    expect(text(listed.events)).toContain(`- ${WIDGETS} (drafts: yes; shared: yes): active`);
  });

  it('stop → approve deletes the webhook and removes the subscription', async () => {
    const running = await start();
    const { sessionId } = await subscribeAndApprove(running, ALICE, `auto-review ${WIDGETS}`);

    const held = await say(ALICE, `stop auto-review ${WIDGETS}`, sessionId);
    const pending = pendingOf(held.events);
    const approved = await say(ALICE, `approve ${pending.action_id}`, sessionId);

    expect(pending.summary).toMatch(/^Delete the auto-review webhook \d+ on sample-dev\/widgets/);
    expect(firstOfType(approved.events, 'tool_result')).toMatchObject({
      tool_name: 'auto_review_unsubscribe',
      ok: true,
    });
    expect(hooksOf(running)).toEqual([]);
    const listed = await say(ALICE, 'list auto-reviews', sessionId);
    expect(text(listed.events)).toContain('You have no auto-reviews');
  });

  it("does not let another user stop someone else's auto-review", async () => {
    const running = await start();
    await subscribeAndApprove(running, ALICE, `auto-review ${WIDGETS}`);

    const reply = await say(BOB, `stop auto-review ${WIDGETS}`);

    expect(text(reply.events)).toContain(`You have no auto-review of ${WIDGETS}`);
    expect(firstOfType(reply.events, 'write_pending')).toBeUndefined();
    expect(hooksOf(running)).toHaveLength(1);
    expect(text((await say(ALICE, 'list auto-reviews')).events)).toContain(`- ${WIDGETS}`);
  });

  it('streams a consent for the webhook scope when the token lacks it, and runs on the next approval', async () => {
    const running = await start({ OAUTH_SCOPES: 'public_repo,read:user' });
    // An earlier consent gave a token without any webhook scope (AgentCore hands the stored token back).
    const first = await sendWithConsent(running, ALICE, { message: 'list my repos' });
    const held = await say(ALICE, `auto-review ${WIDGETS}`, first.sessionId);
    const { action_id } = pendingOf(held.events);

    const approve = await say(ALICE, `approve ${action_id}`, first.sessionId);

    expect(firstOfType(approve.events, 'oauth_url')).toBeDefined();
    expect(hooksOf(running)).toEqual([]);
    const asked = running.agentcore?.requests
      .filter((request) => request.operation === 'GetResourceOauth2Token')
      .at(-1);
    expect(asked?.body).toMatchObject({
      scopes: ['public_repo', 'read:user', 'admin:repo_hook'],
      forceAuthentication: true,
    });
    const { reply } = await sendWithConsent(running, ALICE, {
      message: `approve ${action_id}`,
      session_id: first.sessionId,
    });
    expect(firstOfType(reply.events, 'tool_result')).toMatchObject({ ok: true });
    expect(hooksOf(running)).toHaveLength(1);
  });

  it('asks for a fresh consent when the token was revoked, creating nothing', async () => {
    const running = await start({ OAUTH_SCOPES: 'repo,read:user' });
    const first = await sendWithConsent(running, ALICE, { message: 'list my repos' });
    const held = await say(ALICE, `auto-review ${WIDGETS}`, first.sessionId);
    for (const binding of running.agentcore?.bindings() ?? []) running.github?.revokeToken(binding.token);

    const approve = await say(ALICE, `approve ${pendingOf(held.events).action_id}`, first.sessionId);

    // AgentCore is asked for a fresh authorization (the token was revoked): a consent link, and nothing was created.
    expect(firstOfType(approve.events, 'oauth_url')).toBeDefined();
    expect(text(approve.events)).toContain('GitHub needs your permission');
    expect(hooksOf(running)).toEqual([]);
  });

  it('refuses a repository the user does not administer', async () => {
    const running = await start();

    const { approved } = await subscribeAndApprove(running, ALICE, 'auto-review sample-org/platform');

    expect(firstOfType(approved.events, 'tool_result')).toMatchObject({ ok: false });
    expect(text(approved.events)).toContain('needs admin rights');
    expect(hooksOf(running)).toEqual([]);
  });

  it('the webhook subscribed from chat delivers to this deployment, signed with its secret: one review, listed', async () => {
    // No WEBHOOK_SECRET given: `npm run dev`'s local secret serves both the chat (signing up) and the receiver.
    const running = await start({ WEBHOOK_SECRET: undefined });
    const { sessionId } = await subscribeAndApprove(running, ALICE, `auto-review ${WIDGETS}`);
    const [hook] = hooksOf(running);
    if (!hook?.config.secret || !running.github || !running.autoReview)
      throw new Error('no hook or auto-review');

    // GitHub's side: the PR opens, and GitHub delivers to the hook's URL, signed with the hook's secret.
    const delivery = await sendDelivery(
      { url: hook.config.url, secret: hook.config.secret },
      'pull_request',
      pullRequestPayload(running.github.state, WIDGETS, 4, 'opened'),
    );
    await running.autoReview.queue.drained(20_000);

    expect(delivery).toMatchObject({ status: 202, body: { queued: 1 } });
    expect(running.github.state.reviews.filter((review) => review.repo === WIDGETS)).toHaveLength(1);
    const listed = await say(ALICE, 'list auto-reviews', sessionId);
    expect(text(listed.events)).toMatch(
      /active; last result: posted on PR #4 at \S+ http\S+pullrequestreview/,
    );
  });

  it('answers clearly when auto-review is not configured on the server', async () => {
    await start({ AUTO_REVIEW_TABLE: undefined, WEBHOOK_SECRET: undefined });

    const reply = await say(ALICE, `auto-review ${WIDGETS}`);

    expect(text(reply.events)).toContain('Auto-review is not set up in this deployment');
    expect(firstOfType(reply.events, 'write_pending')).toBeUndefined();
  });
});
