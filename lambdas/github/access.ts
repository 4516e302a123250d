import { ConsentRequiredError } from '../agent/tool';
import type { GitHubTokenPort } from '../identity/port';
import type { Logger } from '../log';
import type { GitHubClient } from './client';
import { GitHubAuthError, isGitHubRequestError } from './errors';

/** One user's GitHub for one turn: a token fetched on first use and kept only in this closure. */
export interface GitHubAccess {
  /**
   * Runs `fn` with an Octokit for the user. When GitHub answers 401 the token is renewed once per turn
   * (`forceAuthentication`) and `fn` runs again.
   * @throws ConsentRequiredError when the user must authorize in a browser first (the turn ends there)
   * @throws GitHubAuthError when GitHub answers 401 again after the renewal
   * @throws whatever `fn` throws otherwise (Octokit's RequestError for GitHub's other answers)
   */
  withOctokit<T>(fn: (octokit: GitHubClient) => Promise<T>): Promise<T>;
}

/** What {@link createGitHubAccess} needs; built per turn by the chat handler. */
export interface GitHubAccessOptions {
  tokenPort: GitHubTokenPort;
  /** The authenticated user (from the IAM request context). */
  userId: string;
  /** The client's loopback return URL for a consent, when it sent one. */
  returnUrl?: string;
  /** OAuth scopes to ask for on top of the configured ones (managing webhooks needs `admin:repo_hook`). */
  scopes?: string[];
  /** Builds an Octokit for a token (createOctokit with the configured base URL and logger). */
  /** Builds an Octokit for a token (createOctokit with the configured base URL and logger; may load it first). */
  octokitFactory: (token: string) => GitHubClient | Promise<GitHubClient>;
  /** Logs ids and outcomes, never the token. */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

interface Session {
  octokit: GitHubClient;
}

/**
 * Per-turn GitHub access for one user. Nothing is fetched until a tool needs GitHub; concurrent tools share one
 * token request (and so one consent). The token lives only inside the Octokit kept in this closure: it is never
 * returned, logged or put in an error.
 */
export function createGitHubAccess(options: GitHubAccessOptions): GitHubAccess {
  const { tokenPort, userId, returnUrl, scopes, octokitFactory, logger } = options;
  let current: Promise<Session> | undefined;
  let forced: Promise<Session> | undefined;

  const obtain = async (forceAuthentication: boolean): Promise<Session> => {
    const result = await tokenPort.getToken({
      userId,
      returnUrl,
      ...(scopes ? { scopes } : {}),
      ...(forceAuthentication ? { forceAuthentication: true } : {}),
    });
    if (result.kind === 'consent') {
      throw new ConsentRequiredError(
        result.authorizationUrl,
        result.sessionUri,
        result.state,
        result.userCode,
      );
    }
    return { octokit: await octokitFactory(result.token) };
  };

  const session = (): Promise<Session> => {
    if (current === undefined) {
      const pending = obtain(false);
      current = pending;
      // A consent stays cached (every tool in this turn reports the same one); a transient failure does not.
      pending.catch((error: unknown) => {
        if (!(error instanceof ConsentRequiredError) && current === pending) current = undefined;
      });
    }
    return current;
  };

  // GitHub said 401 to `failed`: renew once per turn; a 401 on the renewed token is final.
  const reauthorize = async (failed: Session): Promise<Session> => {
    if (forced === undefined) {
      logger?.info('GitHub rejected the token; asking for a fresh authorization', { userId });
      forced = obtain(true);
      current = forced;
      return forced;
    }
    const renewed = await forced;
    if (renewed === failed) throw authFailed();
    return renewed;
  };

  return {
    async withOctokit<T>(fn: (octokit: GitHubClient) => Promise<T>): Promise<T> {
      const first = await session();
      try {
        return await fn(first.octokit);
      } catch (error) {
        if (!isUnauthorized(error)) throw error;
        const renewed = await reauthorize(first);
        try {
          return await fn(renewed.octokit);
        } catch (again) {
          if (!isUnauthorized(again)) throw again;
          logger?.warn('GitHub rejected the renewed token too', { userId });
          throw authFailed();
        }
      }
    },
  };
}

function isUnauthorized(error: unknown): boolean {
  return isGitHubRequestError(error) && error.status === 401;
}

function authFailed(): GitHubAuthError {
  return new GitHubAuthError(
    'GitHub rejected the credentials (401 Bad credentials) even after a fresh authorization. ' +
      'Check that the GitHub OAuth app is still authorized for this account and that GITHUB_API_URL points at the right GitHub.',
  );
}
