import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import type { ChatMessage } from '../../lambdas/agent/model';
import { estimateRequestTokens } from '../../lambdas/review/tokens';
import type { ConverseRequestBody, RecordedBedrockRequest } from '../support/bedrock-standin';
import { firstOfType, sendPlanAction, sendWithConsent } from '../support/e2e';
import type { GitHubStandin, StandinPullFile } from '../support/github-standin';
import { parsePatch } from '../support/github-standin/diff';
import { largePullRequestFiles } from '../support/review-fakes';
import type { ChatExchange } from '../support/sse-client';

/**
 * A large pull request reviewed end to end through the local server (issue 5): 300 files and ~20,000 changed lines,
 * with lock, generated, vendored and binary files and two files outside the default `agent-tasks/` scope. The review
 * must take several model calls, keep every one within REVIEW_CHUNK_TOKEN_BUDGET, and account for every file.
 * The model calls and the wall time are printed for the closing note (measured, never asserted).
 */

const REPO = 'sample-dev/widgets';
const NUMBER = 40;
const USER = 'large-pr-user';

/** The review-fakes generator's files, as the GitHub stand-in serves them. */
function standinFiles(): StandinPullFile[] {
  return largePullRequestFiles(300, 20_000).map((file) => ({
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    ...(file.patch === undefined ? {} : { patch: file.patch }),
  }));
}

function addLargePull(github: GitHubStandin, files: StandinPullFile[]): void {
  const sample = github.state.pulls.find((pull) => pull.repo === REPO && pull.number === 4);
  if (!sample) throw new Error('the sample PR sample-dev/widgets#4 is missing');
  github.state.pulls.push({
    ...structuredClone(sample),
    id: 90_000 + NUMBER,
    number: NUMBER,
    title: 'A large change to the agent tasks',
    files,
  });
}

function isReviewCall(request: RecordedBedrockRequest): boolean {
  return (request.body.system?.[0]?.text ?? '').startsWith('You review one part');
}

/** A recorded Converse body measured the way the review code budgets its requests. */
function estimatedTokens(body: ConverseRequestBody): number {
  const messages: ChatMessage[] = body.messages.map((message) => ({
    role: message.role,
    content: message.content.map((block) =>
      typeof block.text === 'string' ? { text: block.text } : { text: JSON.stringify(block) },
    ),
  }));
  return estimateRequestTokens({
    system: body.system?.map((block) => block.text).join('\n') ?? '',
    messages,
  });
}

/** The review body's file lists: `<summary>` title → (path → reason or undefined). */
function fileLists(body: string): Map<string, Map<string, string | undefined>> {
  const lists = new Map<string, Map<string, string | undefined>>();
  for (const section of body.split('<details><summary>').slice(1)) {
    const [title = '', rest = ''] = section.split('</summary>');
    const entries = new Map<string, string | undefined>();
    for (const line of rest.split('</details>')[0]?.split('\n') ?? []) {
      const entry = /^- `([^`]+)`(?:: (.+))?$/.exec(line);
      if (entry?.[1]) entries.set(entry[1], entry[2]);
    }
    lists.set(title, entries);
  }
  return lists;
}

function listStartingWith(lists: Map<string, Map<string, string | undefined>>, pattern: RegExp) {
  return [...lists].find(([title]) => pattern.test(title))?.[1] ?? new Map<string, string | undefined>();
}

describe('a large pull request (300 files, ~20,000 changed lines)', () => {
  let server: LocalServer;
  let files: StandinPullFile[];
  let approveReply: ChatExchange;
  let reviewCalls: RecordedBedrockRequest[];
  let reviewBody: string;

  beforeAll(async () => {
    server = await startLocalServer({ offline: true, allowUserHeader: true, logLevel: 'SILENT' });
    const { github, bedrock } = server;
    if (!github || !bedrock) throw new Error('the offline server has no stand-ins');
    files = standinFiles();
    addLargePull(github, files);

    const started = performance.now();
    const { reply, sessionId } = await sendWithConsent(server, USER, { message: `review ${REPO}#${NUMBER}` });
    const planned = performance.now();
    const planId = firstOfType(reply.events, 'plan')?.plan_id ?? '';
    approveReply = await sendPlanAction(server, USER, { sessionId, type: 'approve', planId });
    const finished = performance.now();

    reviewCalls = bedrock.requests.filter(isReviewCall);
    reviewBody = github.state.reviews.find((review) => review.pull_number === NUMBER)?.body ?? '';
    const changedLines = files.reduce((sum, file) => {
      const parsed = file.patch === undefined ? undefined : parsePatch(file.patch);
      return sum + (parsed ? parsed.additions + parsed.deletions : 0);
    }, 0);
    const lists = fileLists(reviewBody);
    const reasons = new Map<string, number>();
    for (const reason of listStartingWith(lists, /^Skipped /).values()) {
      reasons.set(reason ?? '?', (reasons.get(reason ?? '?') ?? 0) + 1);
    }
    console.log(
      `large PR: ${files.length} files, ${changedLines} changed lines in patches; ` +
        `${listStartingWith(lists, /^Reviewed /).size} reviewed, skipped ${JSON.stringify(Object.fromEntries(reasons))}, ` +
        `${listStartingWith(lists, /outside the review scope/).size} outside the scope; ` +
        `${reviewCalls.length} review model calls (${bedrock.requests.length} model calls in all); ` +
        `largest review request ~${Math.max(...reviewCalls.map((call) => estimatedTokens(call.body)))} tokens ` +
        `(budget ${server.config.REVIEW_CHUNK_TOKEN_BUDGET}); plan ${Math.round(planned - started)} ms, ` +
        `approve → done ${Math.round(finished - planned)} ms`,
    );
  });
  afterAll(() => server.close());

  it('posts the review', () => {
    expect(firstOfType(approveReply.events, 'review_posted')?.url).toMatch(/#pullrequestreview-\d+$/);
    expect(firstOfType(approveReply.events, 'error')).toBeUndefined();
    server.github?.assertNoViolations();
  });

  it('reviews it in several model calls, each within the chunk token budget', () => {
    const budget = server.config.REVIEW_CHUNK_TOKEN_BUDGET;

    const sizes = reviewCalls.map((call) => estimatedTokens(call.body));

    expect(reviewCalls.length).toBeGreaterThan(1);
    expect(sizes.filter((size) => size > budget)).toEqual([]);
  });

  it('accounts for every file in the review body: reviewed, skipped with a reason, or outside the scope', () => {
    const lists = fileLists(reviewBody);
    const reviewed = listStartingWith(lists, /^Reviewed /);
    const skipped = listStartingWith(lists, /^Skipped /);
    const outside = listStartingWith(lists, /outside the review scope/);

    const unaccounted = files
      .map((file) => file.filename)
      .filter((path) => !reviewed.has(path) && !skipped.has(path) && !outside.has(path));

    expect(unaccounted).toEqual([]);
    expect([...skipped.values()].filter((reason) => !reason)).toEqual([]);
    expect(reviewed.size + skipped.size + outside.size).toBe(files.length);
  });

  it('skips lock, generated, vendored and binary files and names the reason', () => {
    const skipped = listStartingWith(fileLists(reviewBody), /^Skipped /);

    expect(Object.fromEntries(skipped)).toMatchObject({
      'agent-tasks/package-lock.json': 'lock file',
      'agent-tasks/app/yarn.lock': 'lock file',
      'agent-tasks/dist/bundle.min.js': 'generated file',
      'agent-tasks/web/app.js.map': 'generated file',
      'agent-tasks/vendor/lib/util.go': 'vendored file',
      'agent-tasks/assets/logo.png': 'binary file',
      'agent-tasks/data/huge.csv': expect.stringMatching(/too large/),
    });
  });
});
