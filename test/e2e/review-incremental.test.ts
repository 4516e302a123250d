import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import { parseStateMarker } from '../../lambdas/review/marker';
import type { ConverseRequestBody } from '../support/bedrock-standin';
import { firstOfType, sendMessage, sendWithConsent } from '../support/e2e';
import type { GitHubStandin } from '../support/github-standin';
import { type ChatExchange, textOf } from '../support/sse-client';

/**
 * "Review again" in chat, end to end over the local server with the demo model: a review of the sample PR, a commit
 * pushed to it on the GitHub stand-in, then a re-review that covers only the new commit and says so, then a third ask
 * with nothing new that posts nothing.
 */

const REPO = 'sample-dev/widgets';
const USER = 'again-user';
const PULL = { repo: REPO, number: 4 };

let server: LocalServer;
let github: GitHubStandin;
let sessionId: string;

const reviewsOn4 = () =>
  github.state.reviews.filter((review) => review.repo === REPO && review.pull_number === 4);

/** The files the review model calls after request `since` were shown (`### FILE path` lines). */
function filesShownSince(since: number): string[] {
  const shown = new Set<string>();
  for (const request of server.bedrock?.requests.slice(since) ?? []) {
    if (!systemOf(request.body).startsWith('You review one part')) continue;
    const text = JSON.stringify(request.body.messages);
    for (const match of text.matchAll(/### FILE (\S+?)(?:\\n| )/g)) shown.add(match[1] ?? '');
  }
  return [...shown].sort();
}

function systemOf(body: ConverseRequestBody): string {
  return body.system?.map((block) => block.text).join('\n') ?? '';
}

async function planAndApprove(message: string): Promise<{ plan: ChatExchange; approval?: ChatExchange }> {
  const plan = await sendMessage(server, USER, { message, session_id: sessionId });
  if (!firstOfType(plan.events, 'plan')) return { plan };
  const approval = await sendMessage(server, USER, { message: 'approve', session_id: sessionId });
  return { plan, approval };
}

beforeAll(async () => {
  server = await startLocalServer({ offline: true, allowUserHeader: true, logLevel: 'SILENT' });
  if (!server.github) throw new Error('start the local server with offline: true');
  github = server.github;
  const first = await sendWithConsent(server, USER, { message: `review ${REPO}#4` });
  sessionId = first.sessionId;
  await sendMessage(server, USER, { message: 'approve', session_id: sessionId });
});
afterAll(() => server.close());
afterEach(() => github.assertNoViolations());

describe('review again in chat', () => {
  let before: string;
  let after: string;
  let since: number;
  let again: { plan: ChatExchange; approval?: ChatExchange };

  beforeAll(async () => {
    before = github.state.pulls.find((pull) => pull.repo === REPO && pull.number === 4)?.head.sha ?? '';
    after = github.pushCommit(PULL, {
      'agent-tasks/clean-up.md': '# Clean up old tasks\n\nDelete task files older than a month.\n',
    });
    since = server.bedrock?.requests.length ?? 0;
    again = await planAndApprove(`review again ${REPO}#4`);
  });

  it('plans only the new commits and shows the range in the plan', () => {
    const plan = firstOfType(again.plan.events, 'plan');

    expect(plan?.markdown).toContain(
      `**Range:** Reviewed commits ${before.slice(0, 7)}..${after.slice(0, 7)} (1 commit, 1 file)`,
    );
  });

  it('shows the review model only the files the new commit changed', () => {
    expect(filesShownSince(since)).toEqual(['agent-tasks/clean-up.md']);
  });

  it('posts a second review that says what range it covers and records it', () => {
    const reviews = reviewsOn4();
    const latest = reviews.at(-1);

    expect(reviews).toHaveLength(2);
    expect(firstOfType(again.approval?.events ?? [], 'review_posted')).toBeDefined();
    expect(latest?.body).toContain(`Reviewed commits ${before.slice(0, 7)}..${after.slice(0, 7)}`);
    expect(latest?.comments.map((comment) => comment.path)).toEqual(['agent-tasks/clean-up.md']);
    expect(parseStateMarker(latest?.body ?? '')).toMatchObject({ head: after, from: before });
  });

  it('answers a third "review again" with nothing new by saying so and posting nothing', async () => {
    const third = await planAndApprove(`review again ${REPO}#4`);

    expect(firstOfType(third.plan.events, 'plan')).toBeUndefined();
    expect(textOf(third.plan.events)).toContain('Nothing new to review');
    expect(reviewsOn4()).toHaveLength(2);
  });
});
