import type { GitHubClient } from './client';

/** A repository by owner and name. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** The pull request fields the tools and the review workflow use. */
export interface PullRequestDetails {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  merged: boolean;
  author: string | null;
  html_url: string;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  additions: number;
  deletions: number;
  changed_files: number;
  commits: number;
  created_at: string;
  updated_at: string;
}

/** One changed file of a pull request (GitHub's diff-entry, minus URLs). */
export interface PullRequestFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  additions: number;
  deletions: number;
  changes: number;
  /** The unified diff hunks; absent for binary files and for diffs GitHub considers too large. */
  patch?: string;
  previous_filename?: string;
}

/** GitHub lists at most 3000 files of a pull request. */
export const GITHUB_MAX_PR_FILES = 3000;

/**
 * Reads one pull request.
 * @throws Octokit's RequestError (404 when the PR or repository does not exist or is not visible)
 */
export async function fetchPullRequest(
  octokit: GitHubClient,
  ref: RepoRef & { pullNumber: number },
  options: { signal?: AbortSignal } = {},
): Promise<PullRequestDetails> {
  const { data } = await octokit.rest.pulls.get({
    owner: ref.owner,
    repo: ref.repo,
    pull_number: ref.pullNumber,
    request: { signal: options.signal },
  });
  return {
    number: data.number,
    title: data.title,
    body: data.body,
    state: data.state === 'closed' ? 'closed' : 'open',
    draft: data.draft ?? false,
    merged: data.merged,
    author: data.user?.login ?? null,
    html_url: data.html_url,
    head: { ref: data.head.ref, sha: data.head.sha },
    base: { ref: data.base.ref, sha: data.base.sha },
    additions: data.additions,
    deletions: data.deletions,
    changed_files: data.changed_files,
    commits: data.commits,
    created_at: data.created_at,
    updated_at: data.updated_at,
  };
}

/**
 * Lists a pull request's changed files, following pagination (100 per page) up to `maxFiles`.
 * @returns the files in GitHub's order and whether more exist beyond `maxFiles`
 * @throws Octokit's RequestError
 */
export async function listAllPullRequestFiles(
  octokit: GitHubClient,
  ref: RepoRef & { pullNumber: number },
  options: { maxFiles?: number; signal?: AbortSignal } = {},
): Promise<{ files: PullRequestFile[]; truncated: boolean }> {
  const maxFiles = Math.min(options.maxFiles ?? GITHUB_MAX_PR_FILES, GITHUB_MAX_PR_FILES);
  const files: PullRequestFile[] = [];
  const pages = octokit.paginate.iterator(octokit.rest.pulls.listFiles, {
    owner: ref.owner,
    repo: ref.repo,
    pull_number: ref.pullNumber,
    per_page: Math.min(100, maxFiles),
    request: { signal: options.signal },
  });
  for await (const page of pages) {
    for (const entry of page.data) {
      if (files.length === maxFiles) return { files, truncated: true };
      files.push({
        filename: entry.filename,
        status: entry.status,
        additions: entry.additions,
        deletions: entry.deletions,
        changes: entry.changes,
        ...(entry.patch !== undefined ? { patch: entry.patch } : {}),
        ...(entry.previous_filename !== undefined ? { previous_filename: entry.previous_filename } : {}),
      });
    }
    if (files.length === maxFiles) return { files, truncated: hasNextPage(page.headers.link) };
  }
  return { files, truncated: false };
}

/** True when a `Link` header has a `rel="next"` page. */
export function hasNextPage(link: string | undefined): boolean {
  return link !== undefined && /rel="next"/.test(link);
}
