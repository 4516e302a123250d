import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GitHubStandin, SAMPLE_TOKEN, startGitHubStandin } from '../support/github-standin';
import { unifiedPatch } from '../support/github-standin/history';

/**
 * The GitHub stand-in's commit history: GET /repos/{o}/{r}/compare/{base}...{head} with real diffs, and the
 * pushCommit / forcePush helpers tests and the offline demo use to move a pull request's head. Responses are
 * validated against GitHub's OpenAPI description.
 */

let github: GitHubStandin;
let octokit: Octokit;
const repo = { owner: 'sample-dev', repo: 'widgets' };
const pull = { repo: 'sample-dev/widgets', number: 4 };

beforeEach(async () => {
  github = await startGitHubStandin({ validateResponses: true });
  // Silent: the 404 test's expected failure is not worth a log line.
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  octokit = new Octokit({ auth: SAMPLE_TOKEN, baseUrl: github.url, log: quiet });
});

afterEach(async () => {
  github.assertNoViolations();
  await github.close();
});

async function head(): Promise<string> {
  return (await octokit.rest.pulls.get({ ...repo, pull_number: 4 })).data.head.sha;
}

describe('compare', () => {
  it('answers identical for a commit compared with itself', async () => {
    const sha = await head();

    const { data } = await octokit.rest.repos.compareCommits({ ...repo, base: sha, head: sha });

    expect(data).toMatchObject({ status: 'identical', ahead_by: 0, behind_by: 0, files: [] });
  });

  it('answers 404 for a commit it does not know', async () => {
    const compare = octokit.rest.repos.compareCommits({ ...repo, base: 'f'.repeat(40), head: await head() });

    await expect(compare).rejects.toMatchObject({ status: 404 });
  });

  it('compares the seeded pull request with its base as its own files', async () => {
    const { data } = await octokit.rest.repos.compareCommits({ ...repo, base: 'main', head: await head() });

    expect(data.status).toBe('ahead');
    expect(data.files?.map((file) => file.filename).sort()).toEqual(
      github.state.pulls[0]?.files.map((file) => file.filename).sort(),
    );
  });
});

describe('pushCommit', () => {
  it('moves the head and shows only the pushed change in a compare from the old head', async () => {
    const before = await head();

    const after = github.pushCommit(
      pull,
      { 'src/limits.ts': 'export const MAX_PORT = 65535;\n' },
      'Add limits',
    );
    const { data } = await octokit.rest.repos.compareCommits({ ...repo, base: before, head: after });

    expect(await head()).toBe(after);
    expect(data).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(data.commits.map((commit) => commit.commit.message)).toEqual(['Add limits']);
    expect(data.files).toEqual([
      expect.objectContaining({
        filename: 'src/limits.ts',
        status: 'added',
        patch: '@@ -0,0 +1,1 @@\n+export const MAX_PORT = 65535;',
      }),
    ]);
  });

  it('adds the pushed file to the pull request and keeps the seeded patches of the files it did not touch', async () => {
    const seeded = structuredClone(github.state.pulls[0]?.files);

    github.pushCommit(pull, { 'src/limits.ts': 'export const MAX_PORT = 65535;\n' });
    const { data: files } = await octokit.rest.pulls.listFiles({ ...repo, pull_number: 4 });

    expect(files.map((file) => file.filename)).toContain('src/limits.ts');
    for (const file of seeded ?? []) {
      expect(files.find((listed) => listed.filename === file.filename)?.patch).toBe(file.patch);
    }
  });

  it('counts the commits since an older head', async () => {
    const start = await head();
    github.pushCommit(pull, { 'a.txt': 'a\n' });

    const end = github.pushCommit(pull, { 'b.txt': 'b\n' });
    const { data } = await octokit.rest.repos.compareCommits({ ...repo, base: start, head: end });

    expect(data.ahead_by).toBe(2);
    expect(data.files?.map((file) => file.filename)).toEqual(['a.txt', 'b.txt']);
  });
});

describe('forcePush', () => {
  it('makes the old head unreachable: compare from it answers diverged with the base as merge base', async () => {
    const before = await head();
    const base = github.state.pulls[0]?.base.sha;

    const after = github.forcePush(pull, { 'src/limits.ts': 'export const MAX_PORT = 1;\n' });
    const { data } = await octokit.rest.repos.compareCommits({ ...repo, base: before, head: after });

    expect(data).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 1 });
    expect(data.merge_base_commit.sha).toBe(base);
  });
});

describe('unifiedPatch', () => {
  it('shows a changed line as a deletion then an addition, with three lines of context', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8'];
    const after = ['1', '2', '3', '4', 'five', '6', '7', '8'];

    expect(unifiedPatch(before, after)).toBe('@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8');
  });

  it('splits changes more than six unchanged lines apart into two hunks', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const after = before.map((line, i) => (i === 1 || i === 17 ? `${line}!` : line));

    expect(unifiedPatch(before, after).match(/^@@/gm)).toHaveLength(2);
  });
});
