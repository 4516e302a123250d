import type { GitHubAccess } from '../github/access';
import { GitHubAuthError, isGitHubRequestError } from '../github/errors';
import { describeGitHubError } from '../github/format';
import { fetchPullRequest, listAllPullRequestFiles } from '../github/pulls';
import { GitHubValidationError } from './errors';
import type { ReviewGitHub } from './ports';

/**
 * The review workflow's GitHub port over one turn's {@link GitHubAccess}: the PR reads the tools use, the single
 * `pulls.createReview` call, and the look-up of a review by its marker. A 422 becomes {@link GitHubValidationError}
 * (GitHub created nothing), so the workflow can retry with what GitHub accepts. `signal` (the turn's time budget)
 * stops the reads, never a post already under way: a post cut off half-way may still have been created.
 */
export function createReviewGitHub(access: GitHubAccess, signal?: AbortSignal): ReviewGitHub {
  let viewer: Promise<string> | undefined;
  return {
    async getPullRequest(ref) {
      const pull = await access.withOctokit((octokit) =>
        fetchPullRequest(octokit, { owner: ref.owner, repo: ref.repo, pullNumber: ref.number }, { signal }),
      );
      return {
        number: pull.number,
        title: pull.title,
        body: pull.body ?? '',
        state: pull.state,
        headSha: pull.head.sha,
        baseSha: pull.base.sha,
        htmlUrl: pull.html_url,
        draft: pull.draft,
      };
    },

    async listFiles(ref, options) {
      const listing = await access.withOctokit((octokit) =>
        listAllPullRequestFiles(
          octokit,
          { owner: ref.owner, repo: ref.repo, pullNumber: ref.number },
          { maxFiles: options.maxFiles, signal },
        ),
      );
      return {
        truncated: listing.truncated,
        files: listing.files.map(({ previous_filename: previousFilename, ...file }) => ({
          ...file,
          ...(previousFilename === undefined ? {} : { previousFilename }),
        })),
      };
    },

    async createReview(ref, review) {
      try {
        const { data } = await access.withOctokit((octokit) =>
          octokit.rest.pulls.createReview({
            owner: ref.owner,
            repo: ref.repo,
            pull_number: ref.number,
            commit_id: review.commitId,
            body: review.body,
            event: review.event,
            comments: review.comments,
            // Never resent by the retry plugin: a 5xx or a timeout may come after GitHub created the review. No
            // turn signal either: once sent, the post runs to its answer (the function keeps a reserve for it).
            request: { retries: 0 },
          }),
        );
        return { id: data.id, htmlUrl: data.html_url };
      } catch (error) {
        if (isGitHubRequestError(error) && error.status === 422) {
          const body = error.response?.data as { message?: unknown; errors?: unknown } | undefined;
          const errors = Array.isArray(body?.errors) ? body.errors.map((item) => describeItem(item)) : [];
          throw new GitHubValidationError(String(body?.message ?? 'Unprocessable Entity'), errors);
        }
        throw error;
      }
    },

    async findReview(ref, marker) {
      return access.withOctokit(async (octokit) => {
        // Reviews are listed oldest first and a PR rarely has more than a page of them: read them all.
        const pages = octokit.paginate.iterator(octokit.rest.pulls.listReviews, {
          owner: ref.owner,
          repo: ref.repo,
          pull_number: ref.number,
          per_page: 100,
          request: { signal },
        });
        for await (const page of pages) {
          const review = page.data.find((item) => item.body?.includes(marker));
          if (review) return { id: review.id, htmlUrl: review.html_url };
        }
        return undefined;
      });
    },

    viewerLogin() {
      // Once per turn: the token (and so the account) does not change within one.
      viewer ??= access
        .withOctokit((octokit) => octokit.rest.users.getAuthenticated({ request: { signal } }))
        .then(({ data }) => data.login);
      viewer.catch(() => {
        viewer = undefined;
      });
      return viewer;
    },

    async listReviews(ref) {
      return access.withOctokit(async (octokit) => {
        const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
          owner: ref.owner,
          repo: ref.repo,
          pull_number: ref.number,
          per_page: 100,
          request: { signal },
        });
        return reviews.map((review) => ({
          id: review.id,
          author: review.user?.login,
          body: review.body ?? '',
          commitId: review.commit_id ?? undefined,
        }));
      });
    },

    async compareCommits(ref, base, head) {
      try {
        const { data } = await access.withOctokit((octokit) =>
          octokit.rest.repos.compareCommits({
            owner: ref.owner,
            repo: ref.repo,
            base,
            head,
            request: { signal },
          }),
        );
        const files = (data.files ?? []).map(({ previous_filename: previousFilename, ...file }) => ({
          filename: file.filename,
          status: file.status,
          additions: file.additions,
          deletions: file.deletions,
          changes: file.changes,
          ...(file.patch === undefined ? {} : { patch: file.patch }),
          ...(previousFilename === undefined ? {} : { previousFilename }),
        }));
        return {
          status: data.status,
          aheadBy: data.ahead_by,
          behindBy: data.behind_by,
          files,
          filesTruncated: files.length >= COMPARE_FILE_LIMIT,
        };
      } catch (error) {
        // GitHub does not know one of the commits (a head dropped by a force push): a fact, not a failure.
        if (isGitHubRequestError(error) && error.status === 404) return undefined;
        throw error;
      }
    },

    async readRepoFile(repo, path, options) {
      try {
        const { data } = await access.withOctokit((octokit) =>
          octokit.rest.repos.getContent({
            owner: repo.owner,
            repo: repo.repo,
            path,
            ref: options.ref,
            request: { signal },
          }),
        );
        // A folder (an array), a symlink or a submodule at that path is not a rules file.
        if (Array.isArray(data) || data.type !== 'file') return { kind: 'missing' };
        if (data.size > options.maxBytes) return { kind: 'too_large', bytes: data.size };
        // GitHub sends files up to 1 MB inline, base64-encoded; `maxBytes` is far below that.
        const text = 'content' in data && typeof data.content === 'string' ? data.content : '';
        return { kind: 'file', text: Buffer.from(text, 'base64').toString('utf8') };
      } catch (error) {
        if (isGitHubRequestError(error) && error.status === 404) return { kind: 'missing' };
        throw error;
      }
    },
  };
}

/** GitHub lists at most this many files in a comparison. */
const COMPARE_FILE_LIMIT = 300;

/**
 * A readable sentence for a GitHub failure during planning (404, missing scope, rate limit), for the model; undefined
 * for anything that is not a GitHub answer (the tool then reports it as a failure of its own).
 */
export function describeReviewGitHubError(error: unknown): string | undefined {
  if (error instanceof GitHubAuthError) return error.message;
  if (!isGitHubRequestError(error)) return undefined;
  return describeGitHubError(error, {
    action: 'read the pull request',
    notFound: 'the pull request or its repository was not found, or your account has no access to it',
  });
}

/** GitHub's `errors` entries are strings for reviews, objects (`{resource, field, code, message}`) elsewhere. */
function describeItem(item: unknown): string {
  if (typeof item === 'string') return item;
  if (typeof item === 'object' && item !== null) {
    const { message, field, code } = item as Record<string, unknown>;
    return String(message ?? [field, code].filter(Boolean).join(' '));
  }
  return String(item);
}
