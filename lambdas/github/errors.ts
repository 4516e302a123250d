/**
 * The parts of Octokit's `RequestError` we read. Matched by shape (`name === 'HttpError'`) rather than by class so
 * this module needs no import of `@octokit/request-error`, which is not a direct dependency.
 */
export interface GitHubRequestError extends Error {
  name: 'HttpError';
  status: number;
  response?: { status: number; headers: Record<string, string | number | undefined>; data: unknown };
}

/** True for an error Octokit raised for an HTTP answer (or a network failure, as status 500 without a response). */
export function isGitHubRequestError(error: unknown): error is GitHubRequestError {
  return (
    error instanceof Error &&
    error.name === 'HttpError' &&
    typeof (error as { status?: unknown }).status === 'number'
  );
}

/**
 * GitHub still rejected the credentials (401) after one forced re-authorization. The message names no token.
 * Tools report it as a failed tool result (`ok: false`) with this message; the turn goes on.
 */
export class GitHubAuthError extends Error {
  readonly code = 'github_auth_failed';
  // No `cause`: the underlying error carries request details that have no business in a log line.
  constructor(message: string) {
    super(message);
    this.name = 'GitHubAuthError';
  }
}
