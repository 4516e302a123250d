import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOctokit, type GitHubClient } from '../../lambdas/github/client';
import {
  fastOctokitOptions,
  type GitHubStandin,
  SAMPLE_TOKEN,
  sampleGitHubData,
  startGitHubStandin,
} from '../support/github-standin';
import { parsePatch } from '../support/github-standin/diff';

let github: GitHubStandin;
let octokit: GitHubClient;

beforeEach(async () => {
  github = await startGitHubStandin({ validateResponses: true });
  octokit = createOctokit({
    token: SAMPLE_TOKEN,
    baseUrl: github.url,
    maxRetries: 0,
    ...fastOctokitOptions(),
  });
});

afterEach(async () => {
  github.assertNoViolations();
  await github.close();
});

const widgets = { owner: 'sample-dev', repo: 'widgets' };

/** Reads the violations a test provoked on purpose, and clears them so afterEach stays green. */
function takeViolations() {
  const taken = [...github.violations];
  github.violations.length = 0;
  return taken;
}

async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    const response = (await call) as { status: number };
    return response.status;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

describe('GitHub stand-in: responses in GitHub shape', () => {
  it("answers every served operation with JSON that matches GitHub's response schemas", async () => {
    await octokit.rest.users.getAuthenticated();
    await octokit.rest.repos.listForAuthenticatedUser({ sort: 'updated' });
    await octokit.rest.repos.get(widgets);
    await octokit.rest.repos.get({ owner: 'sample-org', repo: 'platform' });
    await octokit.rest.issues.listForRepo({ ...widgets, state: 'all' });
    await octokit.rest.issues.create({ ...widgets, title: 'A new issue', body: 'Body', labels: ['bug'] });
    await octokit.rest.pulls.list({ ...widgets, state: 'all' });
    await octokit.rest.pulls.get({ ...widgets, pull_number: 4 });
    await octokit.rest.pulls.listFiles({ ...widgets, pull_number: 4 });
    await octokit.rest.pulls.createReview({
      ...widgets,
      pull_number: 4,
      event: 'COMMENT',
      body: 'Looks fine.',
    });
    await octokit.rest.pulls.createReview({ ...widgets, pull_number: 4, body: 'Pending draft' });
    await octokit.rest.pulls.listReviews({ ...widgets, pull_number: 4 });
    const repo = github.state.repos.find((candidate) => candidate.name === 'widgets');
    if (repo) repo.branches['feature/x'] = 'a'.repeat(40);
    await octokit.rest.pulls.create({
      ...widgets,
      title: 'New',
      head: 'feature/x',
      base: 'main',
      draft: true,
    });
    const created = await octokit.rest.repos.createWebhook({
      ...widgets,
      events: ['pull_request'],
      config: {
        url: 'https://hooks.example.com/github',
        content_type: 'json',
        secret: 's3cret',
        insecure_ssl: '0',
      },
    });
    await octokit.rest.repos.listWebhooks(widgets);
    await octokit.rest.repos.getWebhook({ ...widgets, hook_id: created.data.id });
    await octokit.rest.repos.deleteWebhook({ ...widgets, hook_id: created.data.id });
    await statusOf(octokit.rest.repos.getWebhook({ ...widgets, hook_id: created.data.id }));
    await statusOf(octokit.rest.repos.get({ owner: 'sample-dev', repo: 'missing' }));
    await statusOf(
      octokit.rest.pulls.create({ ...widgets, title: 'Dup', head: 'feature/agent-tasks', base: 'main' }),
    );
    if (repo)
      repo.contents = { [repo.branches.main ?? '']: { '.github/coding-agent.yml': 'max_files: 3\n' } };
    await octokit.rest.repos.getContent({ ...widgets, path: '.github/coding-agent.yml', ref: 'main' });
    await statusOf(octokit.rest.repos.getContent({ ...widgets, path: 'missing.txt' }));

    expect(github.violations).toEqual([]);
  });

  it('serves a file at a branch or a commit, base64 as GitHub sends it, and 404 for any other commit', async () => {
    const repo = github.state.repos.find((candidate) => candidate.name === 'widgets');
    const main = repo?.branches.main ?? '';
    if (repo) repo.contents = { [main]: { '.github/coding-agent.yml': 'max_files: 3\n' } };
    const path = '.github/coding-agent.yml';

    const byBranch = await octokit.rest.repos.getContent({ ...widgets, path, ref: 'main' });
    const bySha = await octokit.rest.repos.getContent({ ...widgets, path, ref: main });
    const elsewhere = await statusOf(
      octokit.rest.repos.getContent({ ...widgets, path, ref: 'c'.repeat(40) }),
    );

    const text = (data: unknown) =>
      Buffer.from((data as { content: string }).content, 'base64').toString('utf8');
    expect([text(byBranch.data), text(bySha.data)]).toEqual(['max_files: 3\n', 'max_files: 3\n']);
    expect(elsewhere).toBe(404);
  });

  it('paginates with Link headers that Octokit follows', async () => {
    const first = await octokit.rest.repos.listForAuthenticatedUser({ per_page: 2 });
    const all = await octokit.paginate(octokit.rest.repos.listForAuthenticatedUser, { per_page: 2 });

    expect(first.headers.link).toMatch(/[?&]page=2>; rel="next"/);
    expect(all.map((repo) => repo.name).sort()).toEqual(['notes', 'platform', 'widgets']);
  });

  it('lists pull requests among issues, marked with pull_request, as GitHub does', async () => {
    const { data } = await octokit.rest.issues.listForRepo(widgets);

    expect(data.find((issue) => issue.number === 4)?.pull_request).toBeDefined();
  });

  it('serves the seed pull request with changes under agent-tasks/ and consistent patches', () => {
    const [pull] = sampleGitHubData().pulls;

    expect(pull?.files.some((file) => file.filename.startsWith('agent-tasks/'))).toBe(true);
    for (const file of pull?.files ?? [])
      if (file.patch) expect(() => parsePatch(file.patch ?? '')).not.toThrow();
  });
});

describe('GitHub stand-in: request validation', () => {
  it('reports an issue without a title as a violation and answers 400', async () => {
    const status = await statusOf(
      octokit.request('POST /repos/{owner}/{repo}/issues', { ...widgets, body: 'no title' } as never),
    );

    const [violation] = takeViolations();
    expect(status).toBe(400);
    expect(violation).toMatchObject({ kind: 'invalid_request', operationId: 'issues/create' });
    expect(violation?.problems.join(' ')).toContain("must have required property 'title'");
  });

  it('reports a route GitHub does not have', async () => {
    const response = await fetch(`${github.url}/repos/sample-dev/widgets/nonsense`, {
      headers: { authorization: `token ${SAMPLE_TOKEN}` },
    });

    expect(response.status).toBe(400);
    expect(takeViolations()).toMatchObject([
      { kind: 'unknown_route', path: '/repos/sample-dev/widgets/nonsense' },
    ]);
  });

  it('reports a query parameter the operation does not define', async () => {
    await statusOf(octokit.request('GET /user/repos', { per_page: 5, colour: 'blue' } as never));

    expect(takeViolations()[0]?.problems.join(' ')).toContain('colour');
  });

  it('reports a body property GitHub would silently ignore', async () => {
    await statusOf(
      octokit.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
        ...widgets,
        pull_number: 4,
        event: 'COMMENT',
        body: 'x',
        comments: [{ path: 'src/config.ts', line: 14, body: 'x', severity: 'high' }],
      } as never),
    );

    expect(takeViolations()[0]?.problems).toEqual([
      "/requestBody/comments/0/severity is not a property GitHub's schema declares",
    ]);
  });

  it('assertNoViolations lists what went wrong', async () => {
    await fetch(`${github.url}/nope`);

    expect(() => github.assertNoViolations()).toThrow(/unknown_route GET \/nope/);
    takeViolations();
  });
});

describe('GitHub stand-in: authentication', () => {
  it('answers 401 Bad credentials for an unknown token', async () => {
    const stranger = createOctokit({ token: 'gho_unknown', baseUrl: github.url, maxRetries: 0 });

    await expect(stranger.rest.users.getAuthenticated()).rejects.toMatchObject({
      status: 401,
      response: { data: { message: 'Bad credentials' } },
    });
  });

  it('answers 401 once a token is revoked', async () => {
    github.revokeToken(SAMPLE_TOKEN);

    expect(await statusOf(octokit.rest.users.getAuthenticated())).toBe(401);
  });

  it('lets an added token act as its user', async () => {
    github.addToken('gho_other', 'other-dev');
    const other = createOctokit({ token: 'gho_other', baseUrl: github.url });

    const { data } = await other.rest.repos.get({ owner: 'other-dev', repo: 'secret-project' });

    expect(data.private).toBe(true);
  });
});

describe('GitHub stand-in: reviews', () => {
  const review = (comments: Array<Record<string, unknown>>) =>
    octokit.rest.pulls.createReview({
      ...widgets,
      pull_number: 4,
      event: 'COMMENT',
      body: 'Review',
      comments,
    } as never);

  it('accepts comments on lines of the diff: added, context, deleted (LEFT) and a range in one hunk', async () => {
    const { data } = await review([
      { path: 'agent-tasks/README.md', line: 4, side: 'RIGHT', body: 'added line' },
      { path: 'agent-tasks/README.md', line: 1, body: 'context line' },
      { path: 'src/config.ts', line: 15, side: 'LEFT', body: 'deleted line' },
      {
        path: 'agent-tasks/validate-config.md',
        start_line: 7,
        start_side: 'RIGHT',
        line: 9,
        side: 'RIGHT',
        body: 'range',
      },
    ]);

    expect(data.state).toBe('COMMENTED');
    expect(github.state.reviews[0]?.comments).toHaveLength(4);
  });

  it("rejects a comment on a line outside the diff with GitHub's 422 message", async () => {
    const attempt = review([{ path: 'src/config.ts', line: 40, side: 'RIGHT', body: 'not in the diff' }]);

    await expect(attempt).rejects.toMatchObject({
      status: 422,
      response: {
        data: {
          message: 'Unprocessable Entity',
          errors: [
            "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank",
          ],
        },
      },
    });
    expect(github.state.reviews).toHaveLength(0);
  });

  it('rejects a comment on a file the pull request does not change', async () => {
    const attempt = review([{ path: 'README.md', line: 1, body: 'x' }]);

    await expect(attempt).rejects.toMatchObject({ status: 422 });
  });

  it('rejects a range whose start is not in the same hunk', async () => {
    const attempt = review([{ path: 'src/config.ts', start_line: 2, line: 14, body: 'x' }]);

    await expect(attempt).rejects.toMatchObject({
      response: {
        data: {
          errors: ['Pull request review thread start line must be part of the same hunk as the line.'],
        },
      },
    });
  });

  it('refuses approving your own pull request', async () => {
    const attempt = octokit.rest.pulls.createReview({ ...widgets, pull_number: 4, event: 'APPROVE' });

    await expect(attempt).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: ['Can not approve your own pull request'] } },
    });
  });
});

describe('GitHub stand-in: faults and GitHub Enterprise Server paths', () => {
  it('fails the injected number of times, then answers normally', async () => {
    github.inject('repos/get', { type: 'error', status: 500 }, { times: 2 });

    const statuses = [
      await statusOf(octokit.rest.repos.get(widgets)),
      await statusOf(octokit.rest.repos.get(widgets)),
      await statusOf(octokit.rest.repos.get(widgets)),
    ];

    expect(statuses).toEqual([500, 500, 200]);
  });

  it('sends the primary rate-limit headers GitHub sends', async () => {
    github.inject('*', { type: 'rate_limit', resetInSeconds: 30 });

    const error = (await octokit.rest.users.getAuthenticated().catch((e: unknown) => e)) as {
      response: { headers: Record<string, string> };
    };

    expect(error.response.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(error.response.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
  });

  it('serves under /api/v3 like GitHub Enterprise Server', async () => {
    const ghes = await startGitHubStandin({ pathPrefix: '/api/v3' });
    try {
      const client = createOctokit({ token: SAMPLE_TOKEN, baseUrl: ghes.url });

      const { data } = await client.rest.repos.get(widgets);

      expect(ghes.url).toMatch(/\/api\/v3$/);
      expect(data.url).toBe(`${ghes.url}/repos/sample-dev/widgets`);
      expect(ghes.requests[0]?.path).toBe('/repos/sample-dev/widgets');
      ghes.assertNoViolations();
    } finally {
      await ghes.close();
    }
  });
});

describe('GitHub stand-in: repository webhooks', () => {
  const hookBody = {
    ...widgets,
    events: ['pull_request'],
    config: {
      url: 'https://hooks.example.com/github',
      content_type: 'json',
      secret: 'webhook-secret-value',
      insecure_ssl: '0',
    },
  };

  it('records a created hook with its secret but never returns the secret', async () => {
    const created = await octokit.rest.repos.createWebhook(hookBody);

    expect(created.status).toBe(201);
    expect(created.data.config.secret).toBe('********');
    expect(github.state.hooks).toEqual([
      expect.objectContaining({
        repo: 'sample-dev/widgets',
        id: created.data.id,
        events: ['pull_request'],
        config: expect.objectContaining({ url: hookBody.config.url, secret: 'webhook-secret-value' }),
        creator: 'sample-dev',
      }),
    ]);
  });

  it('refuses a second hook with the same URL and an overlapping event (422), as GitHub does', async () => {
    await octokit.rest.repos.createWebhook(hookBody);

    const second = await statusOf(octokit.rest.repos.createWebhook(hookBody));

    expect(second).toBe(422);
    expect(github.state.hooks).toHaveLength(1);
  });

  it('answers 404 with the accepted scopes when the token has no hook scope', async () => {
    github.addToken('gho_public_only', 'sample-dev', ['public_repo', 'read:user']);
    const narrow = createOctokit({
      token: 'gho_public_only',
      baseUrl: github.url,
      maxRetries: 0,
      ...fastOctokitOptions(),
    });

    const error = (await narrow.rest.repos.createWebhook(hookBody).catch((caught: unknown) => caught)) as {
      status: number;
      response: { headers: Record<string, string> };
    };

    expect(error.status).toBe(404);
    expect(error.response.headers['x-oauth-scopes']).toBe('public_repo, read:user');
    expect(error.response.headers['x-accepted-oauth-scopes']).toBe('admin:repo_hook, repo, write:repo_hook');
    expect(github.state.hooks).toEqual([]);
  });

  it('lets write:repo_hook create but not delete a hook', async () => {
    github.addToken('gho_hook_writer', 'sample-dev', ['write:repo_hook']);
    const writer = createOctokit({
      token: 'gho_hook_writer',
      baseUrl: github.url,
      maxRetries: 0,
      ...fastOctokitOptions(),
    });
    const created = await writer.rest.repos.createWebhook(hookBody);

    const deleted = await statusOf(writer.rest.repos.deleteWebhook({ ...widgets, hook_id: created.data.id }));

    expect(deleted).toBe(404);
    expect(github.state.hooks).toHaveLength(1);
  });

  it('hides the hooks of a repository the caller does not administer (404)', async () => {
    github.addToken('gho_other_admin', 'other-dev', ['repo']);
    const other = createOctokit({
      token: 'gho_other_admin',
      baseUrl: github.url,
      maxRetries: 0,
      ...fastOctokitOptions(),
    });

    const status = await statusOf(other.rest.repos.createWebhook(hookBody));

    expect(status).toBe(404);
  });

  it('deletes a hook (204) and then answers 404 for it', async () => {
    const created = await octokit.rest.repos.createWebhook(hookBody);

    const first = await statusOf(octokit.rest.repos.deleteWebhook({ ...widgets, hook_id: created.data.id }));
    const again = await statusOf(octokit.rest.repos.deleteWebhook({ ...widgets, hook_id: created.data.id }));

    expect([first, again]).toEqual([204, 404]);
    expect(github.state.hooks).toEqual([]);
  });
});
