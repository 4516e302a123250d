import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Tool, ToolContext, ToolOutput } from '../../lambdas/agent/tool';
import { createGitHubAccess } from '../../lambdas/github/access';
import { createOctokit } from '../../lambdas/github/client';
import { createGitHubTools } from '../../lambdas/github/tools';
import { createStaticTokenPort } from '../../lambdas/identity/static-token';
import {
  fastOctokitOptions,
  type GitHubData,
  type GitHubStandin,
  makeRepo,
  SAMPLE_TOKEN,
  sampleGitHubData,
  startGitHubStandin,
} from '../support/github-standin';

const context: ToolContext = { userId: 'user-1', sessionId: 'session-1', emit: () => {} };

let github: GitHubStandin;

async function start(data?: GitHubData): Promise<void> {
  github = await startGitHubStandin(data ? { data } : {});
}

beforeEach(async () => {
  await start();
});

afterEach(async () => {
  github.assertNoViolations();
  await github.close();
});

function tools(): Tool[] {
  const access = createGitHubAccess({
    tokenPort: createStaticTokenPort({ token: SAMPLE_TOKEN }),
    userId: context.userId,
    octokitFactory: (token) => createOctokit({ token, baseUrl: github.url, ...fastOctokitOptions() }),
  });
  return createGitHubTools(() => access);
}

async function run(name: string, input: unknown): Promise<ToolOutput> {
  const tool = tools().find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool.run(tool.input.parse(input), context);
}

function content(output: ToolOutput): Record<string, unknown> {
  return output.content as Record<string, unknown>;
}

function errorOf(output: ToolOutput): string {
  return String(content(output).error);
}

function widgets() {
  const repo = github.state.repos.find((candidate) => candidate.name === 'widgets');
  if (!repo) throw new Error('seed has no widgets repository');
  return repo;
}

const callsTo = (operationId: string) => github.requests.filter((r) => r.operationId === operationId).length;

describe('list_github_repos', () => {
  it("lists the user's repositories (owned and collaborator), most recently updated first", async () => {
    const output = await run('list_github_repos', {});

    const names = (content(output).repositories as Array<{ full_name: string }>).map((r) => r.full_name);
    expect(output.ok).toBe(true);
    expect(names).toEqual(['sample-dev/widgets', 'sample-dev/notes', 'sample-org/platform']);
    expect(content(output).more_available).toBe(false);
    expect(output.summary).toBe('Listed 3 repositories');
  });

  it('keeps each repository to the fields the model needs', async () => {
    const output = await run('list_github_repos', { limit: 1 });

    const [first] = content(output).repositories as Array<Record<string, unknown>>;
    expect(Object.keys(first ?? {}).sort()).toEqual(
      [
        'archived',
        'description',
        'fork',
        'full_name',
        'html_url',
        'language',
        'private',
        'stars',
        'updated_at',
      ].sort(),
    );
  });

  it('stops at the limit and says that more exist', async () => {
    const data = sampleGitHubData();
    for (let i = 0; i < 130; i += 1) {
      const day = String(1 + (i % 28)).padStart(2, '0');
      data.repos.push(
        makeRepo({
          id: 60_000 + i,
          owner: 'sample-dev',
          name: `repo-${i}`,
          updated_at: `2024-01-${day}T00:00:00Z`,
        }),
      );
    }
    await github.close();
    await start(data);

    const output = await run('list_github_repos', { limit: 100 });

    expect(content(output).count).toBe(100);
    expect(content(output).more_available).toBe(true);
    expect(String(content(output).note)).toMatch(/has more repositories/);
    expect(output.summary).toBe('Listed 100 repositories (more exist)');
    expect(callsTo('repos/list-for-authenticated-user')).toBe(1);
  });
});

describe('get_repo_info', () => {
  it('returns the repository details', async () => {
    const output = await run('get_repo_info', { owner: 'sample-dev', repo: 'widgets' });

    expect(output.ok).toBe(true);
    expect(content(output)).toMatchObject({
      full_name: 'sample-dev/widgets',
      default_branch: 'main',
      language: 'TypeScript',
      stars: 12,
      license: 'MIT',
      open_issues_and_pull_requests: 3,
    });
  });

  it('accepts "owner/name" in repo', async () => {
    const output = await run('get_repo_info', { repo: 'sample-org/platform' });

    expect(content(output).full_name).toBe('sample-org/platform');
  });

  it('reports a repository that does not exist as a failed result saying so', async () => {
    const output = await run('get_repo_info', { owner: 'sample-dev', repo: 'no-such-repo' });

    expect(output.ok).toBe(false);
    expect(output.summary).toBe('Failed: not found (404)');
    expect(errorOf(output)).toContain('Repository sample-dev/no-such-repo was not found');
  });

  it("reports another user's private repository as not found, as GitHub does", async () => {
    const output = await run('get_repo_info', { repo: 'other-dev/secret-project' });

    expect(output.ok).toBe(false);
    expect(errorOf(output)).toMatch(/not found, or your GitHub account has no access/);
  });
});

describe('create_github_issue', () => {
  it('creates the issue and returns its number and URL', async () => {
    const output = await run('create_github_issue', {
      owner: 'sample-dev',
      repo: 'widgets',
      title: 'Document the port setting',
      body: 'The README does not mention `port`.',
      labels: ['documentation'],
    });

    expect(output.ok).toBe(true);
    expect(content(output)).toMatchObject({ number: 5, title: 'Document the port setting', state: 'open' });
    expect(String(content(output).html_url)).toMatch(/\/sample-dev\/widgets\/issues\/5$/);
    expect(github.state.issues.at(-1)).toMatchObject({
      title: 'Document the port setting',
      labels: ['documentation'],
    });
  });

  it("surfaces GitHub's 422 validation messages", async () => {
    github.inject('issues/create', {
      type: 'error',
      status: 422,
      errors: [{ resource: 'Issue', field: 'assignees', code: 'invalid', value: 'ghost' }],
    });

    const output = await run('create_github_issue', { repo: 'sample-dev/widgets', title: 'x' });

    expect(output.ok).toBe(false);
    expect(output.summary).toBe('Failed: validation failed (422)');
    expect(errorOf(output)).toBe(
      'Could not create an issue in sample-dev/widgets: GitHub rejected the request (422): Issue assignees ("ghost") is invalid',
    );
  });

  it('does not resend an issue after a server error, which may have created it', async () => {
    github.inject('issues/create', { type: 'error', status: 502 });

    const output = await run('create_github_issue', { repo: 'sample-dev/widgets', title: 'Only once' });

    expect(output.ok).toBe(false);
    expect(errorOf(output)).toMatch(/server error \(502 Bad Gateway\)/);
    expect(callsTo('issues/create')).toBe(1);
  });

  it('explains a 403 for a missing OAuth scope with the scopes GitHub names', async () => {
    github.inject('issues/create', {
      type: 'error',
      status: 403,
      message: 'Resource not accessible by integration',
      headers: { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'read:user' },
    });

    const output = await run('create_github_issue', { repo: 'sample-dev/widgets', title: 'x' });

    expect(output.summary).toBe('Failed: forbidden (403)');
    expect(errorOf(output)).toContain('needs the OAuth scope(s) "repo"; the token has "read:user"');
  });
});

describe('list_github_issues', () => {
  it('lists open issues and leaves pull requests out', async () => {
    const output = await run('list_github_issues', { repo: 'sample-dev/widgets' });

    const numbers = (content(output).issues as Array<{ number: number }>).map((issue) => issue.number);
    expect(numbers).toEqual([2, 1]);
    expect(output.summary).toBe('2 open issues in sample-dev/widgets');
  });

  it('filters by state', async () => {
    const closed = await run('list_github_issues', { repo: 'sample-dev/widgets', state: 'closed' });
    const all = await run('list_github_issues', { repo: 'sample-dev/widgets', state: 'all' });

    expect((content(closed).issues as Array<{ number: number }>).map((i) => i.number)).toEqual([3]);
    expect((content(all).issues as Array<{ number: number }>).map((i) => i.number)).toEqual([2, 1, 3]);
  });

  it('sends the state GitHub should filter by', async () => {
    await run('list_github_issues', { repo: 'sample-dev/widgets', state: 'closed', labels: ['bug'] });

    const request = github.requests.find((r) => r.operationId === 'issues/list-for-repo');
    expect(request?.query).toMatchObject({ state: 'closed', labels: 'bug' });
  });

  it('says when more issues exist than the limit', async () => {
    const output = await run('list_github_issues', { repo: 'sample-dev/widgets', state: 'all', limit: 2 });

    expect(content(output).count).toBe(2);
    expect(content(output).more_available).toBe(true);
    expect(output.summary).toContain('(more exist)');
  });
});

describe('create_pull_request', () => {
  it("opens a pull request into the repository's default branch when no base is given", async () => {
    widgets().branches['feature/readme'] = 'f'.repeat(40);

    const output = await run('create_pull_request', {
      repo: 'sample-dev/widgets',
      title: 'Improve the README',
      head: 'feature/readme',
    });

    expect(output.ok).toBe(true);
    expect(content(output)).toMatchObject({ number: 5, head: 'feature/readme', base: 'main', draft: false });
    expect(github.requests.find((r) => r.operationId === 'pulls/create')?.body).toMatchObject({
      base: 'main',
    });
  });

  it("surfaces GitHub's message when there is nothing to merge", async () => {
    const output = await run('create_pull_request', {
      repo: 'sample-dev/widgets',
      title: 'x',
      head: 'feature/empty',
      base: 'main',
    });

    expect(output.ok).toBe(false);
    expect(errorOf(output)).toContain('No commits between main and feature/empty');
  });

  it('names the field GitHub found invalid for an unknown branch', async () => {
    const output = await run('create_pull_request', {
      repo: 'sample-dev/widgets',
      title: 'x',
      head: 'nope',
      base: 'main',
    });

    expect(errorOf(output)).toContain('PullRequest head is invalid');
  });
});

describe('get_pull_request', () => {
  it('returns the pull request with its branches and head commit', async () => {
    const output = await run('get_pull_request', { repo: 'sample-dev/widgets', pull_number: 4 });

    expect(output.ok).toBe(true);
    expect(content(output)).toMatchObject({
      number: 4,
      title: 'Add an agent task for config validation',
      state: 'open',
      author: 'sample-dev',
      head: { ref: 'feature/agent-tasks', sha: expect.stringMatching(/^[0-9a-f]{40}$/) },
      base: { ref: 'main' },
      changed_files: 4,
    });
  });

  it('says which pull request was not found', async () => {
    const output = await run('get_pull_request', { repo: 'sample-dev/widgets', pull_number: 99 });

    expect(output.ok).toBe(false);
    expect(errorOf(output)).toContain('Pull request #99 was not found in sample-dev/widgets');
  });
});

describe('list_pull_request_files', () => {
  it('lists the changed files with their patches, and marks files without a textual diff', async () => {
    const output = await run('list_pull_request_files', { repo: 'sample-dev/widgets', pull_number: 4 });

    const files = content(output).files as Array<Record<string, unknown>>;
    expect(files.map((file) => file.filename)).toEqual([
      'agent-tasks/README.md',
      'agent-tasks/validate-config.md',
      'src/config.ts',
      'docs/diagram.png',
    ]);
    expect(String(files[0]?.patch)).toMatch(/^@@ -1,8 \+1,10 @@/);
    expect(files[3]).toMatchObject({ patch: null, patch_note: 'no textual diff (binary or too large)' });
    expect(output.summary).toBe('4 files changed (+22 −2)');
  });

  it('trims long patches and stops at max_files, saying so', async () => {
    const pull = github.state.pulls[0];
    if (!pull) throw new Error('seed has no pull request');
    const longPatch = `@@ -0,0 +1,2000 @@\n${Array.from({ length: 2000 }, (_, i) => `+line ${i}`).join('\n')}`;
    pull.files = Array.from({ length: 150 }, (_, i) => ({
      filename: `agent-tasks/task-${i}.md`,
      status: 'added' as const,
      patch: longPatch,
    }));

    const output = await run('list_pull_request_files', {
      repo: 'sample-dev/widgets',
      pull_number: 4,
      max_files: 120,
    });

    const files = content(output).files as Array<Record<string, unknown>>;
    expect(files).toHaveLength(120);
    expect(content(output).more_files).toBe(true);
    expect(files[0]?.patch_truncated).toBe(true);
    expect(files[119]?.patch).toBeNull();
    expect(String(content(output).note)).toMatch(/Only the first 120 files.*trimmed or omitted/);
    expect(JSON.stringify(output.content).length).toBeLessThan(60_000);
  });
});

describe('rate limits and server errors', () => {
  it('retries a rate-limited call and succeeds', async () => {
    github.inject('repos/get', { type: 'rate_limit', resetInSeconds: 1 });

    const output = await run('get_repo_info', { repo: 'sample-dev/widgets' });

    expect(output.ok).toBe(true);
    expect(callsTo('repos/get')).toBe(2);
  });

  it('retries after a secondary rate limit (429 with retry-after) and succeeds', async () => {
    github.inject('repos/list-for-authenticated-user', {
      type: 'secondary_rate_limit',
      status: 429,
      retryAfterSeconds: 2,
    });

    const output = await run('list_github_repos', {});

    expect(output.ok).toBe(true);
    expect(callsTo('repos/list-for-authenticated-user')).toBe(2);
  });

  it('gives up after two retries on an exhausted limit with a message saying when it resets', async () => {
    github.inject(
      'repos/get',
      { type: 'rate_limit', resetInSeconds: 1 },
      { times: Number.POSITIVE_INFINITY },
    );

    const output = await run('get_repo_info', { repo: 'sample-dev/widgets' });

    expect(output.ok).toBe(false);
    expect(output.summary).toBe('Failed: rate limit exhausted');
    expect(errorOf(output)).toMatch(
      /rate limit for this account is used up; it resets at \d{4}-\d\d-\d\dT[\d:]+Z/,
    );
    expect(callsTo('repos/get')).toBe(3);
  });

  it('does not wait for a limit that resets far in the future', async () => {
    github.inject(
      'repos/get',
      { type: 'rate_limit', resetInSeconds: 3600 },
      { times: Number.POSITIVE_INFINITY },
    );

    const output = await run('get_repo_info', { repo: 'sample-dev/widgets' });

    expect(errorOf(output)).toMatch(/in about 60 minutes/);
    expect(callsTo('repos/get')).toBe(1);
  });

  it('retries a server error twice, then says GitHub failed', async () => {
    github.inject('pulls/get', { type: 'error', status: 502 }, { times: Number.POSITIVE_INFINITY });

    const output = await run('get_pull_request', { repo: 'sample-dev/widgets', pull_number: 4 });

    expect(output.ok).toBe(false);
    expect(errorOf(output)).toMatch(/GitHub had a server error \(502 Bad Gateway\)\. Try again later\./);
    expect(callsTo('pulls/get')).toBe(3);
  });
});
