import type { GitHubAccess } from '../github/access';
import { type GitHubRequestError, isGitHubRequestError } from '../github/errors';
import type { RepoName } from './command-parse';

/** The GitHub calls a subscription makes, for one user (their token) in one turn. */
export interface RepoHooksPort {
  /** Whether the user can see the repository, administers it, and which OAuth scopes their token has. */
  repoAccess(ref: RepoName): Promise<RepoAccess>;
  /** The hook, or undefined when it no longer exists. */
  getHook(ref: RepoName, hookId: number): Promise<{ url: string; events: string[] } | undefined>;
  /** Creates a repository webhook; `exists` when GitHub refuses a hook with the same URL and events (422). */
  createHook(ref: RepoName, hook: NewHook): Promise<{ kind: 'created'; id: number } | { kind: 'exists' }>;
  /** Deletes a hook; `gone` when GitHub answers 404 (already deleted, or no longer visible to the user). */
  deleteHook(ref: RepoName, hookId: number): Promise<'deleted' | 'gone'>;
}

export type RepoAccess =
  | { kind: 'not_found' }
  | {
      kind: 'ok';
      /** The repository's name as GitHub spells it (`owner/name`). */
      fullName: string;
      admin: boolean;
      /** From `X-OAuth-Scopes`; undefined when GitHub sent none (fine-grained or GitHub App tokens). */
      scopes?: string[];
    };

export interface NewHook {
  url: string;
  /** The stack's webhook secret: sent to GitHub only, never logged or returned. */
  secret: string;
  events: string[];
}

/** GitHub refused because the token lacks an OAuth scope (404/403 with `X-Accepted-OAuth-Scopes` it does not hold). */
export class MissingScopeError extends Error {
  constructor(
    readonly accepted: string[],
    readonly granted: string[],
  ) {
    super(`The GitHub token lacks a scope this needs (one of: ${accepted.join(', ')})`);
    this.name = 'MissingScopeError';
  }
}

/**
 * The {@link RepoHooksPort} over the user's per-turn GitHub access (so 401s renew the token once, and a needed consent
 * surfaces as ConsentRequiredError). Octokit errors other than the ones named here pass through.
 */
export function createRepoHooks(access: GitHubAccess): RepoHooksPort {
  return {
    async repoAccess(ref) {
      try {
        const response = await access.withOctokit((octokit) =>
          octokit.rest.repos.get({ owner: ref.owner, repo: ref.repo }),
        );
        const scopes = response.headers['x-oauth-scopes'];
        return {
          kind: 'ok',
          fullName: response.data.full_name,
          admin: response.data.permissions?.admin === true,
          ...(typeof scopes === 'string' ? { scopes: scopeList(scopes) } : {}),
        };
      } catch (error) {
        if (isGitHubRequestError(error) && error.status === 404) return { kind: 'not_found' };
        throw error;
      }
    },

    async getHook(ref, hookId) {
      try {
        const { data } = await access.withOctokit((octokit) =>
          octokit.rest.repos.getWebhook({ ...ref, hook_id: hookId }),
        );
        return { url: data.config.url ?? '', events: data.events };
      } catch (error) {
        throwIfScopeMissing(error);
        if (isGitHubRequestError(error) && error.status === 404) return undefined;
        throw error;
      }
    },

    async createHook(ref, hook) {
      try {
        const { data } = await access.withOctokit((octokit) =>
          octokit.rest.repos.createWebhook({
            ...ref,
            name: 'web',
            active: true,
            events: hook.events,
            config: { url: hook.url, content_type: 'json', secret: hook.secret, insecure_ssl: '0' },
          }),
        );
        return { kind: 'created', id: data.id };
      } catch (error) {
        throwIfScopeMissing(error);
        if (isGitHubRequestError(error) && error.status === 422 && isDuplicateHook(error))
          return { kind: 'exists' };
        throw error;
      }
    },

    async deleteHook(ref, hookId) {
      try {
        await access.withOctokit((octokit) => octokit.rest.repos.deleteWebhook({ ...ref, hook_id: hookId }));
        return 'deleted';
      } catch (error) {
        throwIfScopeMissing(error);
        if (isGitHubRequestError(error) && error.status === 404) return 'gone';
        throw error;
      }
    },
  };
}

/** `X-OAuth-Scopes: repo, read:user` → ['repo', 'read:user']. */
export function scopeList(header: string): string[] {
  return header
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope.length > 0);
}

/**
 * GitHub answers a call the token's scopes do not allow with 404 (or 403) and says which scopes it accepts; a token
 * that reports its scopes and holds none of them lacks one. Without the headers nothing can be concluded.
 */
function throwIfScopeMissing(error: unknown): void {
  if (!isGitHubRequestError(error) || (error.status !== 404 && error.status !== 403)) return;
  const headers = error.response?.headers ?? {};
  const accepted = headerValue(headers, 'x-accepted-oauth-scopes');
  const granted = headerValue(headers, 'x-oauth-scopes');
  if (accepted === undefined || granted === undefined) return;
  const acceptedList = scopeList(accepted);
  const grantedList = scopeList(granted);
  if (acceptedList.length === 0 || acceptedList.some((scope) => grantedList.includes(scope))) return;
  throw new MissingScopeError(acceptedList, grantedList);
}

function headerValue(headers: Record<string, string | number | undefined>, name: string): string | undefined {
  const value = headers[name];
  return value === undefined ? undefined : String(value);
}

/** GitHub's 422 for a second hook with the same config and overlapping events. */
function isDuplicateHook(error: GitHubRequestError): boolean {
  const data = error.response?.data;
  return JSON.stringify(data ?? '')
    .toLowerCase()
    .includes('hook already exists');
}
