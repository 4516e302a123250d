import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubAccess } from '../../lambdas/github/access';
import { createOctokit } from '../../lambdas/github/client';
import { createStaticTokenPort } from '../../lambdas/identity/static-token';
import { createReviewGitHub } from '../../lambdas/review/github-adapter';
import {
  fastOctokitOptions,
  type GitHubStandin,
  SAMPLE_TOKEN,
  startGitHubStandin,
} from '../support/github-standin';

let github: GitHubStandin;

beforeEach(async () => {
  github = await startGitHubStandin();
});

afterEach(async () => {
  github.assertNoViolations();
  await github.close();
});

function reviewGitHub(signal?: AbortSignal) {
  const access = createGitHubAccess({
    tokenPort: createStaticTokenPort({ token: SAMPLE_TOKEN }),
    userId: 'user-1',
    octokitFactory: (token) => createOctokit({ token, baseUrl: github.url, ...fastOctokitOptions() }),
  });
  return createReviewGitHub(access, signal);
}

const ref = { owner: 'sample-dev', repo: 'widgets', number: 4 };
const MARKER = '<!-- github-coding-agent:plan:p_adapter1 -->';

/** Seeds `count` reviews by someone else on the sample PR, oldest first. */
function seedReviews(count: number, body = 'Looks fine') {
  for (let i = 0; i < count; i += 1) {
    github.state.reviews.push({
      repo: 'sample-dev/widgets',
      pull_number: 4,
      id: 500_000 + i,
      user: 'sample-dev',
      body,
      state: 'COMMENTED',
      commit_id: 'a'.repeat(40),
      comments: [],
      submitted_at: '2030-01-01T00:00:00Z',
    });
  }
}

describe('createReview', () => {
  it('sends a failed review exactly once: a 5xx may already have created it', async () => {
    const port = reviewGitHub();
    const { headSha } = await port.getPullRequest(ref);
    github.inject('pulls/create-review', { type: 'error', status: 502 });

    const posting = port.createReview(ref, {
      commitId: headSha,
      event: 'COMMENT',
      body: 'Summary',
      comments: [],
    });

    await expect(posting).rejects.toMatchObject({ status: 502 });
    expect(github.requests.filter((request) => request.operationId === 'pulls/create-review')).toHaveLength(
      1,
    );
  });

  it('posts even when the turn has run out of time: once sent, a post is never cut off', async () => {
    const controller = new AbortController();
    const port = reviewGitHub(controller.signal);
    const { headSha } = await port.getPullRequest(ref);
    controller.abort(new Error('deadline'));

    const posted = await port.createReview(ref, {
      commitId: headSha,
      event: 'COMMENT',
      body: 'Summary',
      comments: [],
    });

    expect(posted.htmlUrl).toMatch(/#pullrequestreview-\d+$/);
    expect(github.state.reviews.filter((review) => review.pull_number === 4)).toHaveLength(1);
  });
});

describe('findReview', () => {
  it('finds the review whose body carries the marker, past the first page of reviews', async () => {
    const port = reviewGitHub();
    const { headSha } = await port.getPullRequest(ref);
    seedReviews(120);
    const posted = await port.createReview(ref, {
      commitId: headSha,
      event: 'COMMENT',
      body: `${MARKER}\n### Automated review`,
      comments: [],
    });

    const found = await port.findReview(ref, MARKER);

    expect(found).toEqual(posted);
    expect(github.requests.filter((request) => request.operationId === 'pulls/list-reviews')).toHaveLength(2);
  });

  it('answers undefined when no review carries the marker', async () => {
    const port = reviewGitHub();
    seedReviews(3, '<!-- github-coding-agent:plan:p_other -->\nAnother plan');

    await expect(port.findReview(ref, MARKER)).resolves.toBeUndefined();
  });
});

describe('re-review reads', () => {
  it("names the token's account", async () => {
    await expect(reviewGitHub().viewerLogin()).resolves.toBe('sample-dev');
  });

  it('lists every review with its author and body, past the first page', async () => {
    seedReviews(120, 'Looks fine');

    const reviews = await reviewGitHub().listReviews(ref);

    expect(reviews).toHaveLength(120);
    expect(reviews[0]).toMatchObject({ author: 'sample-dev', body: 'Looks fine', commitId: 'a'.repeat(40) });
  });

  it('compares the old head with a pushed one: ahead by one, with the pushed file', async () => {
    const port = reviewGitHub();
    const { headSha: before } = await port.getPullRequest(ref);
    const after = github.pushCommit(
      { repo: 'sample-dev/widgets', number: 4 },
      { 'src/new.ts': 'export {};\n' },
    );

    const comparison = await port.compareCommits(ref, before, after);

    expect(comparison).toMatchObject({ status: 'ahead', aheadBy: 1, behindBy: 0, filesTruncated: false });
    expect(comparison?.files.map((file) => file.filename)).toEqual(['src/new.ts']);
  });

  it('answers undefined when GitHub does not know the old head (404)', async () => {
    const port = reviewGitHub();
    const { headSha } = await port.getPullRequest(ref);

    await expect(port.compareCommits(ref, 'f'.repeat(40), headSha)).resolves.toBeUndefined();
  });
});
