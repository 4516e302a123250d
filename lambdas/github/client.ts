import { retry } from '@octokit/plugin-retry';
import { type ThrottlingOptions, throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import packageJson from '../../package.json' with { type: 'json' };
import type { Logger } from '../log';
import { trimTrailing } from '../text';
import { DependencyTimeoutError } from '../timeouts';

/** The Octokit every GitHub call goes through: REST methods, pagination, retries and rate-limit throttling. */
export type GitHubClient = Octokit;

/** `github-coding-agent/<version>`: GitHub asks API clients to name themselves in the User-Agent. */
export const USER_AGENT = `${packageJson.name}/${packageJson.version}`;

const ThrottledOctokit = Octokit.plugin(retry, throttling);

/** Options for {@link createOctokit}; everything but the token has a production default. */
export interface CreateOctokitOptions {
  /** The user's GitHub token. It only ever goes into the `authorization` header. */
  token: string;
  /** REST API root: GITHUB_API_URL (`https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server). */
  baseUrl?: string;
  userAgent?: string;
  /** Where Octokit's own messages go: request lines at debug, warnings at warn. Silent when absent. */
  logger?: Pick<Logger, 'debug' | 'warn'>;
  /** Retries for a rate-limited (403/429) or failed (5xx) request before giving up; default 2. */
  maxRetries?: number;
  /** A rate limit that resets further away than this is not waited for (the turn would time out); default 60 s. */
  maxRetryAfterSeconds?: number;
  /** Milliseconds per second of `Retry-After` / reset wait and per back-off step; default 1000. Tests use 1. */
  retryAfterBaseValue?: number;
  /**
   * Throttling overrides. Writes are spaced 1 s apart per `id` by default (GitHub's advice); tests pass fast
   * Bottleneck groups for `write` and `notifications`, or every write waits.
   */
  throttle?: Pick<Partial<ThrottlingOptions>, 'id' | 'write' | 'notifications' | 'search'>;
  /** Each HTTP request is aborted after this long (a {@link DependencyTimeoutError}, not retried); default 15 s. */
  requestTimeoutMs?: number;
  /** Aborts every request when the turn is cancelled. */
  signal?: AbortSignal;
  /** The fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** Told of every rate limit GitHub answers with, and whether the request is retried after the wait (metrics). */
  onRateLimit?: (hit: { kind: 'primary' | 'secondary'; retrying: boolean }) => void;
}

/**
 * Builds an Octokit for one user's token with GitHub's recommended rate-limit handling: primary limits
 * (`x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset`) and secondary limits (`retry-after`) are retried up to
 * `maxRetries` times when the wait is short, then the request fails with GitHub's 403/429 error, which the tools turn
 * into a clear message. Server errors (5xx) are retried with back-off; 4xx other than rate limits are not.
 *
 * Octokit logs through `logger` with message strings only: its debug hook passes the request options (headers
 * included) as a second argument, which is dropped here so a token can never reach the logs.
 */
export function createOctokit(options: CreateOctokitOptions): GitHubClient {
  const maxRetries = options.maxRetries ?? 2;
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 60;
  const retryAfterBaseValue = options.retryAfterBaseValue ?? 1000;
  const logger = options.logger;

  const shouldRetry =
    (kind: 'primary' | 'secondary') =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      const retrying = retryCount < maxRetries && retryAfter <= maxRetryAfterSeconds;
      logger?.warn('GitHub rate limit hit', {
        kind,
        method: request.method,
        route: request.url,
        retryAfterSeconds: retryAfter,
        retryCount,
        retrying,
      });
      options.onRateLimit?.({ kind, retrying });
      return retrying;
    };

  return new ThrottledOctokit({
    auth: options.token,
    baseUrl: trimTrailing(options.baseUrl ?? 'https://api.github.com', '/'),
    userAgent: options.userAgent ?? USER_AGENT,
    log: {
      debug: (message: string) => logger?.debug(`octokit: ${message}`),
      info: (message: string) => logger?.debug(`octokit: ${message}`),
      // Octokit logs every failed request as an error; the tools report those themselves.
      error: (message: string) => logger?.debug(`octokit: ${message}`),
      warn: (message: string) => logger?.warn(`octokit: ${message}`),
    },
    request: {
      fetch: withTimeout(options.fetch ?? fetch, options.requestTimeoutMs ?? 15_000),
      signal: options.signal,
    },
    retry: {
      retries: maxRetries,
      retryAfterBaseValue,
      // 429 is left to the throttling plugin, which honours Retry-After; retrying it here too would multiply waits.
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: {
      ...options.throttle,
      retryAfterBaseValue,
      onRateLimit: shouldRetry('primary'),
      onSecondaryRateLimit: shouldRetry('secondary'),
    },
  });
}

/**
 * Wraps fetch so each request also aborts after `timeoutMs`, alongside any signal the caller passed. Our own timeout
 * becomes a {@link DependencyTimeoutError} named `AbortError`: that is the one failure Octokit passes through unwrapped,
 * so its retry plugin does not send the request again to a GitHub that is not answering (three waits instead of one).
 */
function withTimeout(fetchImpl: typeof fetch, timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await fetchImpl(input, { ...init, signal });
    } catch (error) {
      if (!timeout.aborted || init?.signal?.aborted) throw error;
      const timedOut = new DependencyTimeoutError('GitHub', timeoutMs, { cause: error });
      timedOut.name = 'AbortError';
      throw timedOut;
    }
  };
}
