import * as z from 'zod';
import { defineTool, type Tool, type ToolContext, type ToolOutput } from '../agent/tool';
import type { GitHubAccess } from './access';
import type { GitHubClient } from './client';
import { GitHubAuthError, isGitHubRequestError } from './errors';
import { clip, describeGitHubError, type ErrorContext, errorLabel, truncate } from './format';
import { fetchPullRequest, hasNextPage, listAllPullRequestFiles, type RepoRef } from './pulls';

/** GitHub account names: letters, digits, single hyphens (underscores for Enterprise Managed Users), ≤ 39. */
const OWNER_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$/;
/** GitHub repository names: letters, digits, `.`, `_`, `-`, ≤ 100 (and not `.` or `..`). */
const REPO_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;
/** `repo` may also be written as "owner/name". */
const REPO_OR_FULL_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})\/)?(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;

const LIST_DEFAULT = 30;
const LIST_MAX = 100;
/** Issue lists skip pull requests, so a page can yield few issues; scan at most this many pages. */
const ISSUE_PAGES_MAX = 5;
const BODY_MAX = 4000;
const PATCH_MAX_PER_FILE = 3000;
const PATCH_BUDGET = 24_000;
const FILES_DEFAULT = 100;
const FILES_MAX = 300;

const repoFields = {
  owner: z
    .string()
    .regex(
      OWNER_PATTERN,
      'owner must be a GitHub account name (letters, digits, hyphens; at most 39 characters)',
    )
    .optional()
    .describe(
      'Account or organization that owns the repository, e.g. "sample-dev". Omit when repo is "owner/name".',
    ),
  repo: z
    .string()
    .regex(
      REPO_OR_FULL_NAME,
      'repo must be a repository name (letters, digits, ".", "_", "-"; at most 100 characters) or "owner/name"',
    )
    .describe('Repository name, e.g. "widgets", or the full "owner/name".'),
};

/** Object schema for a tool that works on one repository: `owner` + `repo`, or `repo` as "owner/name". */
function repoInput<Shape extends z.ZodRawShape>(shape: Shape) {
  return z
    .object({ ...repoFields, ...shape })
    .superRefine((value, ctx) => checkRepoInput(value as { owner?: string; repo: string }, ctx));
}

function checkRepoInput(value: { owner?: string; repo: string }, ctx: z.RefinementCtx): void {
  const slash = value.repo.indexOf('/');
  if (slash < 0 && value.owner === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['owner'],
      message: 'owner is required unless repo is written as "owner/name"',
    });
  }
  if (
    slash >= 0 &&
    value.owner !== undefined &&
    value.owner.toLowerCase() !== value.repo.slice(0, slash).toLowerCase()
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['owner'],
      message: `owner "${value.owner}" contradicts repo "${value.repo}"`,
    });
  }
}

/**
 * Splits the tool input into owner and repository name.
 * @throws Error when neither form names an owner (the input schema already refuses that)
 */
export function repoRef(input: { owner?: string; repo: string }): RepoRef {
  const [first, second] = input.repo.split('/', 2);
  if (second !== undefined && first !== undefined) return { owner: first, repo: second };
  if (input.owner === undefined) throw new Error('owner is required unless repo is written as "owner/name"');
  return { owner: input.owner, repo: input.repo };
}

/** True when `owner/repo` are valid GitHub names (for callers outside the tool schemas, e.g. the review). */
export function isValidRepoRef(ref: RepoRef): boolean {
  return OWNER_PATTERN.test(ref.owner) && REPO_PATTERN.test(ref.repo);
}

const listReposInput = z.object({
  visibility: z
    .enum(['all', 'public', 'private'])
    .optional()
    .describe('Only repositories with this visibility; default all.'),
  sort: z
    .enum(['updated', 'pushed', 'created', 'full_name'])
    .optional()
    .describe('Order: most recently updated first by default; full_name is alphabetical.'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(LIST_MAX)
    .optional()
    .describe(`How many repositories to return, 1-${LIST_MAX}; default ${LIST_DEFAULT}.`),
});

const repoInfoInput = repoInput({});

const createIssueInput = repoInput({
  title: z.string().trim().min(1, 'title must not be empty').max(256).describe('Issue title.'),
  body: z.string().max(65_536).optional().describe('Issue description in GitHub Markdown.'),
  labels: z
    .array(z.string().min(1).max(50))
    .max(20)
    .optional()
    .describe('Existing label names to apply, e.g. ["bug"].'),
});

const listIssuesInput = repoInput({
  state: z
    .enum(['open', 'closed', 'all'])
    .optional()
    .describe('Which issues: open (default), closed or all.'),
  labels: z
    .array(z.string().min(1).max(50))
    .max(10)
    .optional()
    .describe('Only issues carrying all of these labels.'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(LIST_MAX)
    .optional()
    .describe(
      `How many issues to return, 1-${LIST_MAX}; default ${LIST_DEFAULT}. Most recently created first.`,
    ),
});

const createPullInput = repoInput({
  title: z.string().trim().min(1, 'title must not be empty').max(256).describe('Pull request title.'),
  head: z
    .string()
    .min(1)
    .max(255)
    .describe('The branch with the changes, e.g. "feature/login"; "user:branch" for a fork.'),
  base: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe("The branch to merge into; default the repository's default branch."),
  body: z.string().max(65_536).optional().describe('Pull request description in GitHub Markdown.'),
  draft: z.boolean().optional().describe('Open as a draft pull request; default false.'),
});

const pullNumberField = z.number().int().positive().describe('The pull request number, e.g. 42.');

const getPullInput = repoInput({ pull_number: pullNumberField });

const listPullFilesInput = repoInput({
  pull_number: pullNumberField,
  include_patch: z
    .boolean()
    .optional()
    .describe("Include each file's diff (trimmed); default true. Set false for just the file list."),
  max_files: z
    .number()
    .int()
    .min(1)
    .max(FILES_MAX)
    .optional()
    .describe(`How many files to return, 1-${FILES_MAX}; default ${FILES_DEFAULT}.`),
});

function failure(message: string, label: string): ToolOutput {
  return { ok: false, summary: `Failed: ${label}`, content: { error: message } };
}

/**
 * Runs one GitHub action and turns GitHub's refusals into a failed tool result the model can explain. Only
 * ConsentRequiredError (the turn must end with a consent link) and non-GitHub failures (configuration, aborts, bugs)
 * propagate.
 */
async function guarded(
  access: GitHubAccess,
  context: ErrorContext,
  work: (octokit: GitHubClient) => Promise<ToolOutput>,
): Promise<ToolOutput> {
  try {
    return await access.withOctokit(work);
  } catch (error) {
    if (isGitHubRequestError(error)) return failure(describeGitHubError(error, context), errorLabel(error));
    if (error instanceof GitHubAuthError) return failure(error.message, 'GitHub authorization failed');
    throw error;
  }
}

const requestOptions = (context: ToolContext) => ({ request: { signal: context.signal } });
/** Creations are never resent by the retry plugin: a 5xx or a timeout may come after GitHub created the item. */
/**
 * A write is sent once (never retried: GitHub may have acted on a request that failed) and, once sent, runs to its
 * answer: aborting it when the client leaves would leave the user not knowing whether it happened. The loop starts no
 * write after an abort, and the GitHub request timeout still bounds it.
 */
const WRITE_OPTIONS = { request: { retries: 0 } };

const repoNotFound = (ref: RepoRef) =>
  `Repository ${ref.owner}/${ref.repo} was not found, or your GitHub account has no access to it`;
const pullNotFound = (ref: RepoRef, pullNumber: number) =>
  `Pull request #${pullNumber} was not found in ${ref.owner}/${ref.repo}, or you have no access to that repository`;

/**
 * The GitHub tools, all acting as the user whose access `accessOf` finds in the call's context (tools are built once
 * per cold start; the access is bound per turn): list_github_repos, get_repo_info,
 * create_github_issue, list_github_issues, create_pull_request, get_pull_request, list_pull_request_files.
 * Reads are `untrustedOutput` (descriptions, issue and PR text, diffs are written by other people); the two creates
 * are `externalWrite`, which the agent loop withholds after untrusted output until the user confirms.
 */
export function createGitHubTools(accessOf: (context: ToolContext) => GitHubAccess): Tool[] {
  return [
    defineTool({
      name: 'list_github_repos',
      description:
        'List the repositories the user can access on GitHub (owned, collaborator and organization), most recently updated first. Returns 30 by default (limit up to 100) and says when there are more.',
      input: listReposInput,
      readOnly: true,
      untrustedOutput: true,
      run: (input, context) =>
        guarded(accessOf(context), { action: 'list your repositories' }, async (octokit) => {
          const limit = input.limit ?? LIST_DEFAULT;
          const sort = input.sort ?? 'updated';
          const repositories: Array<Record<string, unknown>> = [];
          let more = false;
          const pages = octokit.paginate.iterator(octokit.rest.repos.listForAuthenticatedUser, {
            sort,
            direction: sort === 'full_name' ? 'asc' : 'desc',
            per_page: Math.min(LIST_MAX, limit),
            ...(input.visibility ? { visibility: input.visibility } : {}),
            ...requestOptions(context),
          });
          for await (const page of pages) {
            const room = limit - repositories.length;
            for (const repo of page.data.slice(0, room)) {
              repositories.push({
                full_name: repo.full_name,
                description: clip(repo.description, 160),
                private: repo.private,
                language: repo.language ?? null,
                stars: repo.stargazers_count,
                fork: repo.fork,
                archived: repo.archived,
                updated_at: repo.updated_at,
                html_url: repo.html_url,
              });
            }
            if (repositories.length === limit) {
              more = page.data.length > room || hasNextPage(page.headers.link);
              break;
            }
          }
          const count = repositories.length;
          return {
            ok: true,
            summary: `Listed ${count} repositor${count === 1 ? 'y' : 'ies'}${more ? ' (more exist)' : ''}`,
            content: {
              repositories,
              count,
              more_available: more,
              ...(more
                ? {
                    note: `Showing the first ${count} by ${sort}; the user has more repositories. Ask for a higher limit (max ${LIST_MAX}) or a different sort to see others.`,
                  }
                : {}),
            },
          };
        }),
    }),

    defineTool({
      name: 'get_repo_info',
      description:
        'Get details of one GitHub repository: description, visibility, default branch, language, topics, stars, forks, open issues, license and dates.',
      input: repoInfoInput,
      readOnly: true,
      untrustedOutput: true,
      run: (input, context) => {
        const ref = repoRef(input);
        return guarded(
          accessOf(context),
          { action: `read ${ref.owner}/${ref.repo}`, notFound: repoNotFound(ref) },
          async (octokit) => {
            const { data } = await octokit.rest.repos.get({ ...ref, ...requestOptions(context) });
            return {
              ok: true,
              summary: `${data.full_name}: ${data.language ?? 'no language'}, ${data.stargazers_count} stars`,
              content: {
                full_name: data.full_name,
                description: clip(data.description, 500),
                private: data.private,
                visibility: data.visibility ?? (data.private ? 'private' : 'public'),
                default_branch: data.default_branch,
                language: data.language,
                topics: data.topics ?? [],
                stars: data.stargazers_count,
                forks: data.forks_count,
                watchers: data.subscribers_count,
                open_issues_and_pull_requests: data.open_issues_count,
                license: data.license?.spdx_id ?? null,
                archived: data.archived,
                fork: data.fork,
                homepage: data.homepage || null,
                created_at: data.created_at,
                updated_at: data.updated_at,
                pushed_at: data.pushed_at,
                html_url: data.html_url,
              },
            };
          },
        );
      },
    }),

    defineTool({
      name: 'create_github_issue',
      description:
        'Create an issue in a GitHub repository as the user. Returns the new issue number and URL.',
      input: createIssueInput,
      readOnly: false,
      externalWrite: true,
      describeWrite: (input) => {
        const ref = repoRef(input);
        return `Create issue "${input.title}" in ${ref.owner}/${ref.repo}`;
      },
      run: (input, context) => {
        const ref = repoRef(input);
        return guarded(
          accessOf(context),
          { action: `create an issue in ${ref.owner}/${ref.repo}`, notFound: repoNotFound(ref) },
          async (octokit) => {
            const { data } = await octokit.rest.issues.create({
              ...ref,
              title: input.title,
              ...(input.body !== undefined ? { body: input.body } : {}),
              ...(input.labels !== undefined ? { labels: input.labels } : {}),
              ...WRITE_OPTIONS,
            });
            return {
              ok: true,
              summary: `Created issue #${data.number} in ${ref.owner}/${ref.repo}`,
              content: {
                number: data.number,
                title: data.title,
                state: data.state,
                labels: labelNames(data.labels),
                html_url: data.html_url,
              },
            };
          },
        );
      },
    }),

    defineTool({
      name: 'list_github_issues',
      description:
        'List issues of a GitHub repository (pull requests are left out), newest first, filtered by state (open, closed or all) and optionally labels.',
      input: listIssuesInput,
      readOnly: true,
      untrustedOutput: true,
      run: (input, context) => {
        const ref = repoRef(input);
        const state = input.state ?? 'open';
        return guarded(
          accessOf(context),
          { action: `list issues of ${ref.owner}/${ref.repo}`, notFound: repoNotFound(ref) },
          async (octokit) => {
            const limit = input.limit ?? LIST_DEFAULT;
            const issues: Array<Record<string, unknown>> = [];
            let more = false;
            let pagesRead = 0;
            const pages = octokit.paginate.iterator(octokit.rest.issues.listForRepo, {
              ...ref,
              state,
              sort: 'created',
              direction: 'desc',
              per_page: LIST_MAX,
              ...(input.labels?.length ? { labels: input.labels.join(',') } : {}),
              ...requestOptions(context),
            });
            for await (const page of pages) {
              pagesRead += 1;
              const onlyIssues = page.data.filter((issue) => issue.pull_request === undefined);
              const room = limit - issues.length;
              for (const issue of onlyIssues.slice(0, room)) {
                issues.push({
                  number: issue.number,
                  title: clip(issue.title, 200),
                  state: issue.state,
                  labels: labelNames(issue.labels),
                  author: issue.user?.login ?? null,
                  comments: issue.comments,
                  created_at: issue.created_at,
                  html_url: issue.html_url,
                });
              }
              const next = hasNextPage(page.headers.link);
              if (issues.length === limit) {
                more = onlyIssues.length > room || next;
                break;
              }
              if (pagesRead === ISSUE_PAGES_MAX) {
                more = next;
                break;
              }
            }
            const count = issues.length;
            return {
              ok: true,
              summary: `${count} ${state === 'all' ? '' : `${state} `}issue${count === 1 ? '' : 's'} in ${ref.owner}/${ref.repo}${more ? ' (more exist)' : ''}`,
              content: {
                repository: `${ref.owner}/${ref.repo}`,
                state,
                issues,
                count,
                more_available: more,
                ...(more
                  ? { note: `Showing the ${count} newest; the repository has more ${state} issues.` }
                  : {}),
              },
            };
          },
        );
      },
    }),

    defineTool({
      name: 'create_pull_request',
      description:
        "Open a pull request in a GitHub repository as the user, from an existing branch (head) into base (default: the repository's default branch).",
      input: createPullInput,
      readOnly: false,
      externalWrite: true,
      describeWrite: (input) => {
        const ref = repoRef(input);
        const into = input.base === undefined ? '' : ` into ${input.base}`;
        return `Open pull request "${input.title}" in ${ref.owner}/${ref.repo} from ${input.head}${into}`;
      },
      run: (input, context) => {
        const ref = repoRef(input);
        return guarded(
          accessOf(context),
          { action: `open a pull request in ${ref.owner}/${ref.repo}`, notFound: repoNotFound(ref) },
          async (octokit) => {
            const base =
              input.base ??
              (await octokit.rest.repos.get({ ...ref, ...requestOptions(context) })).data.default_branch;
            const { data } = await octokit.rest.pulls.create({
              ...ref,
              title: input.title,
              head: input.head,
              base,
              ...(input.body !== undefined ? { body: input.body } : {}),
              ...(input.draft !== undefined ? { draft: input.draft } : {}),
              ...WRITE_OPTIONS,
            });
            return {
              ok: true,
              summary: `Opened pull request #${data.number} in ${ref.owner}/${ref.repo}`,
              content: {
                number: data.number,
                title: data.title,
                state: data.state,
                draft: data.draft ?? false,
                head: data.head.ref,
                base: data.base.ref,
                html_url: data.html_url,
              },
            };
          },
        );
      },
    }),

    defineTool({
      name: 'get_pull_request',
      description:
        'Get one pull request of a GitHub repository: title, description, state, author, branches and head commit, size of the change.',
      input: getPullInput,
      readOnly: true,
      untrustedOutput: true,
      run: (input, context) => {
        const ref = repoRef(input);
        return guarded(
          accessOf(context),
          {
            action: `read pull request #${input.pull_number} of ${ref.owner}/${ref.repo}`,
            notFound: pullNotFound(ref, input.pull_number),
          },
          async (octokit) => {
            const pull = await fetchPullRequest(octokit, { ...ref, pullNumber: input.pull_number }, context);
            const body = truncate(pull.body ?? '', BODY_MAX);
            const state = pull.merged ? 'merged' : pull.state;
            return {
              ok: true,
              summary: `Pull request #${pull.number} (${state}): ${clip(pull.title, 80)}`,
              content: {
                ...pull,
                body: pull.body === null ? null : body.text,
                ...(body.truncated ? { body_truncated: true } : {}),
              },
            };
          },
        );
      },
    }),

    defineTool({
      name: 'list_pull_request_files',
      description:
        "List the files a pull request changes, with additions/deletions and each file's diff (patch), trimmed to keep the answer small; says when files or patches were cut.",
      input: listPullFilesInput,
      readOnly: true,
      untrustedOutput: true,
      run: (input, context) => {
        const ref = repoRef(input);
        return guarded(
          accessOf(context),
          {
            action: `list the files of pull request #${input.pull_number} of ${ref.owner}/${ref.repo}`,
            notFound: pullNotFound(ref, input.pull_number),
          },
          async (octokit) => {
            const includePatch = input.include_patch ?? true;
            const { files, truncated } = await listAllPullRequestFiles(
              octokit,
              { ...ref, pullNumber: input.pull_number },
              { maxFiles: input.max_files ?? FILES_DEFAULT, signal: context.signal },
            );
            let budget = PATCH_BUDGET;
            let patchesCut = 0;
            const shown = files.map((file) => {
              const { patch, ...rest } = file;
              if (!includePatch) return rest;
              if (patch === undefined)
                return { ...rest, patch: null, patch_note: 'no textual diff (binary or too large)' };
              if (budget <= 0) {
                patchesCut += 1;
                return { ...rest, patch: null, patch_note: 'omitted: the answer size budget was used up' };
              }
              const cut = truncate(patch, Math.min(PATCH_MAX_PER_FILE, budget));
              budget -= cut.text.length;
              if (cut.truncated) patchesCut += 1;
              return { ...rest, patch: cut.text, ...(cut.truncated ? { patch_truncated: true } : {}) };
            });
            const additions = files.reduce((sum, file) => sum + file.additions, 0);
            const deletions = files.reduce((sum, file) => sum + file.deletions, 0);
            const notes = [
              ...(truncated
                ? [`Only the first ${files.length} files are listed; the pull request changes more.`]
                : []),
              ...(patchesCut > 0
                ? [`${patchesCut} patch(es) were trimmed or omitted to keep this answer small.`]
                : []),
            ];
            return {
              ok: true,
              summary: `${files.length}${truncated ? '+' : ''} file${files.length === 1 ? '' : 's'} changed (+${additions} −${deletions})`,
              content: {
                pull_request: input.pull_number,
                files: shown,
                count: files.length,
                more_files: truncated,
                ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
              },
            };
          },
        );
      },
    }),
  ];
}

function labelNames(labels: ReadonlyArray<string | { name?: string | null }>): string[] {
  return labels.flatMap((label) => (typeof label === 'string' ? [label] : label.name ? [label.name] : []));
}
