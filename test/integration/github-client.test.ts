import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOctokit, USER_AGENT } from '../../lambdas/github/client';
import { DependencyTimeoutError, isDependencyTimeout } from '../../lambdas/timeouts';
import packageJson from '../../package.json' with { type: 'json' };
import {
  fastOctokitOptions,
  type GitHubStandin,
  SAMPLE_TOKEN,
  startGitHubStandin,
} from '../support/github-standin';

let github: GitHubStandin;

beforeEach(async () => {
  github = await startGitHubStandin();
});

afterEach(async () => {
  vi.restoreAllMocks();
  github.assertNoViolations();
  await github.close();
});

const widgets = { owner: 'sample-dev', repo: 'widgets' };
const callsTo = (operationId: string) => github.requests.filter((r) => r.operationId === operationId).length;

describe('createOctokit', () => {
  it('names the product and its version in the User-Agent', async () => {
    const octokit = createOctokit({ token: SAMPLE_TOKEN, baseUrl: github.url });

    await octokit.rest.users.getAuthenticated();

    expect(USER_AGENT).toBe(`github-coding-agent/${packageJson.version}`);
    expect(String(github.requests[0]?.headers['user-agent'])).toMatch(/^github-coding-agent\/\d+\.\d+\.\d+ /);
  });

  it('works against a GitHub Enterprise Server base URL (…/api/v3, trailing slash tolerated)', async () => {
    const ghes = await startGitHubStandin({ pathPrefix: '/api/v3' });
    try {
      const octokit = createOctokit({ token: SAMPLE_TOKEN, baseUrl: `${ghes.url}/` });

      const { data } = await octokit.rest.repos.get(widgets);

      expect(data.full_name).toBe('sample-dev/widgets');
      ghes.assertNoViolations();
    } finally {
      await ghes.close();
    }
  });

  it('retries a secondary rate limit (403 with retry-after) and succeeds', async () => {
    github.inject('pulls/get', { type: 'secondary_rate_limit', status: 403, retryAfterSeconds: 3 });
    const octokit = createOctokit({ token: SAMPLE_TOKEN, baseUrl: github.url, ...fastOctokitOptions() });

    const { status } = await octokit.rest.pulls.get({ ...widgets, pull_number: 4 });

    expect(status).toBe(200);
    expect(callsTo('pulls/get')).toBe(2);
  });

  it('retries rate-limited writes too, without double retries from the retry plugin', async () => {
    github.inject(
      'issues/create',
      { type: 'secondary_rate_limit', status: 429 },
      { times: Number.POSITIVE_INFINITY },
    );
    const octokit = createOctokit({ token: SAMPLE_TOKEN, baseUrl: github.url, ...fastOctokitOptions() });

    await expect(octokit.rest.issues.create({ ...widgets, title: 'x' })).rejects.toMatchObject({
      status: 429,
    });
    expect(callsTo('issues/create')).toBe(3);
  });

  it('tells onRateLimit of each rate limit and whether it is waited out (for the metrics)', async () => {
    github.inject(
      'issues/create',
      { type: 'secondary_rate_limit', status: 429 },
      { times: Number.POSITIVE_INFINITY },
    );
    const hits: unknown[] = [];
    const octokit = createOctokit({
      token: SAMPLE_TOKEN,
      baseUrl: github.url,
      onRateLimit: (hit) => hits.push(hit),
      ...fastOctokitOptions(),
    });

    await expect(octokit.rest.issues.create({ ...widgets, title: 'x' })).rejects.toMatchObject({
      status: 429,
    });

    expect(hits).toEqual([
      { kind: 'secondary', retrying: true },
      { kind: 'secondary', retrying: true },
      { kind: 'secondary', retrying: false },
    ]);
  });

  it('does not retry when maxRetries is 0', async () => {
    github.inject('repos/get', { type: 'rate_limit' });
    const octokit = createOctokit({
      token: SAMPLE_TOKEN,
      baseUrl: github.url,
      maxRetries: 0,
      ...fastOctokitOptions(),
    });

    await expect(octokit.rest.repos.get(widgets)).rejects.toMatchObject({ status: 403 });
    expect(callsTo('repos/get')).toBe(1);
  });

  it('does not write to the console when no logger is given, even for failed requests', async () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const octokit = createOctokit({ token: SAMPLE_TOKEN, baseUrl: github.url });

    await octokit.rest.repos.get({ owner: 'sample-dev', repo: 'missing' }).catch(() => undefined);

    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('gives up on a request that takes longer than requestTimeoutMs with a DependencyTimeoutError, sent once', async () => {
    let requests = 0;
    const silent = createServer(() => {
      requests += 1; // never answers
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      // Default retries: a timed-out request must still not be sent again.
      const octokit = createOctokit({
        token: SAMPLE_TOKEN,
        baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        requestTimeoutMs: 100,
      });

      const failure = await octokit.rest.users.getAuthenticated().catch((e: unknown) => e);

      expect(failure).toBeInstanceOf(DependencyTimeoutError);
      expect(isDependencyTimeout(failure)).toBe(true);
      expect((failure as Error).message).toBe('GitHub did not answer within 0.1 s');
      expect(requests).toBe(1);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
