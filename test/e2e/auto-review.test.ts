import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import type { SubscriptionStore } from '../../lambdas/autoreview/ports';
import { createSubscriptionStore } from '../../lambdas/autoreview/subscriptions';
import { localUserId, sendMessage, sendWithConsent } from '../support/e2e';
import type { GitHubStandin } from '../support/github-standin';
import { pullRequestPayload, pushCommit, sendDelivery } from '../support/github-standin/webhooks';

/**
 * Auto-review end to end on the local server: GitHub's signed deliveries over real HTTP to the webhook function URL
 * stand-in, dynalite, the in-process queue (visibility timeout and DLQ), the worker, and the AgentCore, Bedrock and
 * GitHub stand-ins. Each test has its own repository (a copy of sample-dev/widgets with its PR #4) and subscriber.
 */

let server: LocalServer;
let store: SubscriptionStore;
let repoCount = 0;

beforeAll(async () => {
  server = await startLocalServer({
    offline: true,
    allowUserHeader: true,
    logLevel: 'SILENT',
    // Short enough that a poison message reaches the DLQ within the test; far longer than one offline review.
    autoReviewQueue: { visibilityTimeoutMs: 2_000, maxReceiveCount: 3, concurrency: 4 },
  });
  store = createSubscriptionStore({
    client: server.dynamo.client,
    tableName: server.config.AUTO_REVIEW_TABLE ?? '',
  });
}, 60_000);
afterAll(() => server.close());

function parts() {
  const { github, autoReview } = server;
  if (!github || !autoReview) throw new Error('start the local server offline with auto-review');
  return { github, autoReview };
}

/** A new repository `sample-dev/auto-N` holding a copy of the sample PR #4. */
function newRepo(github: GitHubStandin): string {
  repoCount += 1;
  const name = `auto-${repoCount}`;
  const sampleRepo = github.state.repos.find(
    (repo) => repo.owner === 'sample-dev' && repo.name === 'widgets',
  );
  const samplePull = github.state.pulls.find(
    (pull) => pull.repo === 'sample-dev/widgets' && pull.number === 4,
  );
  if (!sampleRepo || !samplePull) throw new Error('the sample repository or its PR #4 is missing');
  github.state.repos.push({ ...structuredClone(sampleRepo), id: 70_000 + repoCount, name });
  github.state.pulls.push({
    ...structuredClone(samplePull),
    id: 80_000 + repoCount,
    repo: `sample-dev/${name}`,
  });
  return `sample-dev/${name}`;
}

/** `user` consents to GitHub in chat (as the subscribe command would have made them) and subscribes to `repo`. */
async function subscribe(user: string, repo: string): Promise<string> {
  await sendWithConsent(server, user, { message: 'list my repos' });
  const userId = localUserId(user);
  await store.add({
    repo,
    userId,
    hookId: 1,
    options: { drafts: false, shared: false },
    status: 'active',
    createdAt: new Date().toISOString(),
  });
  return userId;
}

function reviewsOn(github: GitHubStandin, repo: string): number {
  return github.state.reviews.filter((review) => review.repo === repo && review.pull_number === 4).length;
}

async function deliverOpened(repo: string, options: Parameters<typeof sendDelivery>[3] = {}) {
  const { github, autoReview } = parts();
  return sendDelivery(
    autoReview,
    'pull_request',
    pullRequestPayload(github.state, repo, 4, 'opened'),
    options,
  );
}

describe('auto-review on the local server', () => {
  it('turns one signed delivery into one review posted as the subscriber, and records it', async () => {
    const { github, autoReview } = parts();
    const repo = newRepo(github);
    const userId = await subscribe('ar-alice', repo);

    const delivery = await deliverOpened(repo);
    await autoReview.queue.drained(20_000);

    expect(delivery).toMatchObject({ status: 202, body: { queued: 1 } });
    expect(reviewsOn(github, repo)).toBe(1);
    const [subscription] = await store.listForUser(userId);
    expect(subscription?.lastResult).toMatchObject({ outcome: 'posted', pullNumber: 4 });
    expect(subscription?.lastResult?.reviewUrl).toMatch(/pullrequestreview/);
  });

  it('answers 401 to a bad or missing signature and queues nothing', async () => {
    const { github, autoReview } = parts();
    const repo = newRepo(github);
    await subscribe('ar-bob', repo);
    const sentBefore = autoReview.queue.stats().sent;

    const forged = await deliverOpened(repo, { signature: `sha256=${'0'.repeat(64)}` });
    const wrongSecret = await sendDelivery(
      { url: autoReview.url, secret: 'not-the-webhook-secret-at-all' },
      'pull_request',
      pullRequestPayload(github.state, repo, 4, 'opened'),
    );
    const missing = await deliverOpened(repo, { signature: null });

    expect([forged.status, wrongSecret.status, missing.status]).toEqual([401, 401, 401]);
    expect(autoReview.queue.stats().sent).toBe(sentBefore);
    expect(reviewsOn(github, repo)).toBe(0);
  });

  it('posts one review for a replayed delivery', async () => {
    const { github, autoReview } = parts();
    const repo = newRepo(github);
    await subscribe('ar-carol', repo);

    const first = await deliverOpened(repo, { deliveryId: 'replayed-delivery-1' });
    const replay = await deliverOpened(repo, { deliveryId: 'replayed-delivery-1' });
    await autoReview.queue.drained(20_000);

    expect([first.status, replay.status]).toEqual([202, 200]);
    expect(replay.body).toEqual({ duplicate: true });
    expect(reviewsOn(github, repo)).toBe(1);
  });

  it('marks the subscription broken when the token was revoked, and keeps serving', async () => {
    const { github, autoReview } = parts();
    const repo = newRepo(github);
    const userId = await subscribe('ar-dave', repo);
    github.revokeToken(server.agentcore?.tokenFor(userId) ?? '');

    const delivery = await deliverOpened(repo);
    await autoReview.queue.drained(20_000);
    const after = await sendMessage(server, 'ar-erin', { message: 'what time is it?' });

    expect(delivery.status).toBe(202);
    const [subscription] = await store.listForUser(userId);
    expect(subscription).toMatchObject({ status: 'broken' });
    expect(subscription?.brokenReason).toContain(repo);
    expect(reviewsOn(github, repo)).toBe(0);
    expect(autoReview.queue.deadLetters()).toEqual([]);
    expect(after.status).toBe(200);
  });

  it('processes a burst of 50 deliveries: every job runs to its result, nothing dead-lettered', async () => {
    const { github, autoReview } = parts();
    const repo = newRepo(github);
    // Files outside the review scope: each job still fetches the PR as the subscriber and records its result, without
    // 50 model-driven reviews (one full review per delivery is what the tests above show).
    const pull = github.state.pulls.find((candidate) => candidate.repo === repo);
    if (pull) pull.files = pull.files.filter((file) => !file.filename.startsWith('agent-tasks/'));
    await subscribe('ar-frank', repo);
    const deletedBefore = autoReview.queue.stats().deleted;
    const listed = () =>
      github.requests.filter((request) => request.path === `/repos/${repo}/pulls/4/files`).length;

    const answers = await Promise.all(Array.from({ length: 50 }, () => deliverOpened(repo)));
    await autoReview.queue.drained(60_000);

    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(202));
    expect(autoReview.queue.stats().deleted - deletedBefore).toBe(50);
    // At least once, as with SQS: a job still running when its visibility timeout (2 s here) ends is received again.
    expect(listed()).toBeGreaterThanOrEqual(50);
    expect(autoReview.queue.deadLetters()).toEqual([]);
    const [subscription] = await store.listForRepo(repo);
    expect(subscription?.lastResult).toMatchObject({ outcome: 'no_changes', pullNumber: 4 });
  }, 90_000);

  it('moves a poison message to the dead-letter queue after three receives', async () => {
    const { autoReview } = parts();

    const id = autoReview.queue.sendRaw('{"this is":"not a job"}');
    await autoReview.queue.drained(20_000);

    expect(autoReview.queue.deadLetters()).toEqual([
      { messageId: id, body: '{"this is":"not a job"}', receiveCount: 3 },
    ]);
  }, 30_000);

  it('reviews the new head when the demo pushes a commit to a subscribed PR', async () => {
    const { github, autoReview } = parts();
    const userId = await subscribe('ar-grace', 'sample-dev/widgets');

    const reply = await sendMessage(server, 'ar-grace', { message: 'push a commit to PR #4' });
    await autoReview.queue.drained(20_000);

    expect(reply.text).toContain('1 auto-review job(s) queued');
    const head = github.state.pulls.find((pull) => pull.repo === 'sample-dev/widgets' && pull.number === 4)
      ?.head.sha;
    const posted = github.state.reviews.filter((review) => review.repo === 'sample-dev/widgets');
    expect(posted.map((review) => review.commit_id)).toEqual([head]);
    const [subscription] = await store.listForUser(userId);
    expect(subscription?.lastResult).toMatchObject({ outcome: 'posted', headSha: head });
  });

  it('reviews a push after a review incrementally: only the new commit, no finding posted again', async () => {
    const { github, autoReview } = parts();
    const repo = newRepo(github);
    await subscribe('ar-heidi', repo);
    await deliverOpened(repo);
    await autoReview.queue.drained(20_000);
    const pushed = pushCommit(github.state, repo, 4);

    await sendDelivery(
      autoReview,
      'pull_request',
      pullRequestPayload(github.state, repo, 4, 'synchronize', { before: pushed.before }),
    );
    await autoReview.queue.drained(20_000);

    const [first, second] = reviewsFor(github, repo);
    expect(second?.commit_id).toBe(pushed.after);
    expect(second?.body).toContain(
      `Reviewed commits ${pushed.before.slice(0, 7)}..${pushed.after.slice(0, 7)}`,
    );
    const firstPaths = new Set(first?.comments.map((comment) => comment.path));
    expect(second?.comments.length).toBeGreaterThan(0);
    expect(second?.comments.every((comment) => comment.path === pushed.file)).toBe(true);
    expect(second?.comments.some((comment) => firstPaths.has(comment.path))).toBe(false);
  });

  it('reviews the whole PR again after a force push made the reviewed head unreachable', async () => {
    const { github, autoReview } = parts();
    const repo = newRepo(github);
    await subscribe('ar-ivan', repo);
    await deliverOpened(repo);
    await autoReview.queue.drained(20_000);
    const before = pullOf(github, repo).head.sha;
    const after = github.forcePush({ repo, number: 4 }, { 'agent-tasks/rewritten.md': '# Rewritten\n' });

    await sendDelivery(
      autoReview,
      'pull_request',
      pullRequestPayload(github.state, repo, 4, 'synchronize', { before }),
    );
    await autoReview.queue.drained(20_000);

    const reviews = reviewsFor(github, repo);
    expect(reviews).toHaveLength(2);
    expect(reviews[1]?.commit_id).toBe(after);
    expect(reviews[1]?.body).toContain(
      'Full review: the previous head is no longer part of this PR (force push).',
    );
  });

  it('follows the rules file on the base branch and ignores one the PR adds on its head', async () => {
    const { github, autoReview } = parts();
    const repo = newRepo(github);
    const userId = await subscribe('ar-judy', repo);
    const pull = pullOf(github, repo);
    const record = github.state.repos.find((candidate) => `${candidate.owner}/${candidate.name}` === repo);
    if (!record) throw new Error('no repository');
    record.contents = {
      [pull.base.sha]: { '.github/coding-agent.yml': 'auto_review:\n  events: [synchronize]\n' },
      // The PR's own head would turn every event on: it must not count.
      [pull.head.sha]: { '.github/coding-agent.yml': 'auto_review:\n  events: [opened, synchronize]\n' },
    };

    await deliverOpened(repo);
    await autoReview.queue.drained(20_000);

    expect(reviewsFor(github, repo)).toHaveLength(0);
    const [subscription] = await store.listForUser(userId);
    expect(subscription?.lastResult).toMatchObject({ outcome: 'skipped', pullNumber: 4 });
    expect(subscription?.lastResult?.detail).toContain('does not auto-review `opened`');
  });

  it('reports an invalid rules file in the posted review and reviews with the defaults', async () => {
    const { github, autoReview } = parts();
    const repo = newRepo(github);
    await subscribe('ar-mallory', repo);
    const pull = pullOf(github, repo);
    const record = github.state.repos.find((candidate) => `${candidate.owner}/${candidate.name}` === repo);
    if (!record) throw new Error('no repository');
    record.contents = { [pull.base.sha]: { '.github/coding-agent.yml': 'severity_threshold: everything\n' } };

    await deliverOpened(repo);
    await autoReview.queue.drained(20_000);

    const [review] = reviewsFor(github, repo);
    expect(review?.body).toContain('could not be used');
    expect(review?.body).toContain('severity_threshold');
  });
});

function pullOf(github: GitHubStandin, repo: string) {
  const pull = github.state.pulls.find((candidate) => candidate.repo === repo && candidate.number === 4);
  if (!pull) throw new Error(`no PR #4 in ${repo}`);
  return pull;
}

function reviewsFor(github: GitHubStandin, repo: string) {
  return github.state.reviews.filter((review) => review.repo === repo && review.pull_number === 4);
}
