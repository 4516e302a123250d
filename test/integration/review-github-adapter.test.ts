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

function reviewGitHub() {
  const access = createGitHubAccess({
    tokenPort: createStaticTokenPort({ token: SAMPLE_TOKEN }),
    userId: 'user-1',
    octokitFactory: (token) => createOctokit({ token, baseUrl: github.url, ...fastOctokitOptions() }),
  });
  return createReviewGitHub(access);
}

const ref = { owner: 'sample-dev', repo: 'widgets', number: 4 };

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
});
