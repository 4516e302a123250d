import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConsentRequiredError, type Tool, type ToolContext } from '../../lambdas/agent/tool';
import { createGitHubAccess, type GitHubAccess } from '../../lambdas/github/access';
import { createOctokit } from '../../lambdas/github/client';
import { GitHubAuthError } from '../../lambdas/github/errors';
import { createGitHubTools } from '../../lambdas/github/tools';
import { createAgentCoreTokenPort } from '../../lambdas/identity/agentcore';
import type { GitHubTokenPort } from '../../lambdas/identity/port';
import { createStaticTokenPort } from '../../lambdas/identity/static-token';
import { createLogger, type Logger } from '../../lambdas/log';
import { type AgentCoreStandin, startAgentCoreStandin } from '../support/agentcore-standin';
import { fastOctokitOptions, type GitHubStandin, startGitHubStandin } from '../support/github-standin';

const USER = 'arn:aws:iam::123456789012:user/alice';
const RETURN_URL = 'http://localhost:8976/oauth/callback';
const tokenFor = (grant: number) => `gho_agentcore_alice_grant_${grant}_abcdef0123456789`;
const context: ToolContext = { userId: USER, sessionId: 'session-1', emit: () => {} };

let agentcore: AgentCoreStandin;
let github: GitHubStandin;
let client: BedrockAgentCoreClient;
let port: GitHubTokenPort;
let logger: Logger;

beforeEach(async () => {
  agentcore = await startAgentCoreStandin({ githubToken: (_user, grant) => tokenFor(grant) });
  github = await startGitHubStandin({ tokens: { [tokenFor(1)]: 'sample-dev', [tokenFor(2)]: 'sample-dev' } });
  client = new BedrockAgentCoreClient({
    endpoint: agentcore.url,
    region: 'ap-southeast-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  useLogger('SILENT');
});

/** Logger for the token port and Octokit; the log-capture test turns it up to DEBUG. */
function useLogger(level: 'SILENT' | 'DEBUG'): void {
  logger = createLogger(level, 'github-access-test');
  port = createAgentCoreTokenPort({
    client,
    workloadName: 'github-coding-agent',
    providerName: 'github-provider',
    scopes: ['repo', 'read:user'],
    allowedReturnUrls: [RETURN_URL],
    logger,
  });
}

afterEach(async () => {
  vi.restoreAllMocks();
  github.assertNoViolations();
  client.destroy();
  await Promise.all([agentcore.close(), github.close()]);
});

/** One chat turn's GitHub access, as the chat handler builds it. */
function turn(tokenPort: GitHubTokenPort = port): GitHubAccess {
  return createGitHubAccess({
    tokenPort,
    userId: USER,
    returnUrl: RETURN_URL,
    logger,
    octokitFactory: (token) => createOctokit({ token, baseUrl: github.url, logger, ...fastOctokitOptions() }),
  });
}

function tool(access: GitHubAccess, name: string): Tool {
  const found = createGitHubTools(() => access).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

const listRepos = (access: GitHubAccess) => {
  const list = tool(access, 'list_github_repos');
  return list.run(list.input.parse({}), context);
};

async function consent(error: unknown): Promise<void> {
  if (!(error instanceof ConsentRequiredError)) throw error;
  agentcore.simulateConsent(error.sessionUri);
  await port.completeConsent(USER, error.sessionUri);
}

const tokenRequests = () => agentcore.requests.filter((r) => r.operation === 'GetResourceOauth2Token');

describe('GitHub access through AgentCore Identity', () => {
  it('asks for consent on first use, without calling GitHub', async () => {
    const attempt = listRepos(turn());

    await expect(attempt).rejects.toBeInstanceOf(ConsentRequiredError);
    await expect(attempt).rejects.toMatchObject({
      authorizationUrl: expect.stringMatching(new RegExp(`^${agentcore.url}/consent\\?`)),
      sessionUri: expect.stringMatching(/^urn:ietf:params:oauth:request_uri:/),
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(github.requests).toHaveLength(0);
  });

  it('fetches no token until a tool needs GitHub', () => {
    turn();

    expect(agentcore.requests).toHaveLength(0);
  });

  it('lists the repositories once the user has consented', async () => {
    await consent(await listRepos(turn()).catch((error: unknown) => error));

    const output = await listRepos(turn());

    expect(output.ok).toBe(true);
    expect(output.summary).toBe('Listed 3 repositories');
    expect(github.requests[0]?.headers.authorization).toBe(`token ${tokenFor(1)}`);
  });

  it('asks for the token once per turn, even for tools running in parallel', async () => {
    await consent(await listRepos(turn()).catch((error: unknown) => error));
    const before = tokenRequests().length;
    const access = turn();

    await Promise.all([listRepos(access), listRepos(access), listRepos(access)]);

    expect(tokenRequests().length - before).toBe(1);
  });

  it('starts one consent for parallel tools that all need it', async () => {
    const access = turn();

    const results = await Promise.allSettled([listRepos(access), listRepos(access)]);

    const sessions = results.map((result) =>
      result.status === 'rejected' ? result.reason.sessionUri : undefined,
    );
    expect(sessions[0]).toBeDefined();
    expect(sessions[1]).toBe(sessions[0]);
    expect(agentcore.pendingSessions()).toHaveLength(1);
  });

  it('asks for a fresh consent once when GitHub says the token was revoked', async () => {
    await consent(await listRepos(turn()).catch((error: unknown) => error));
    github.revokeToken(tokenFor(1));

    const attempt = listRepos(turn());

    await expect(attempt).rejects.toBeInstanceOf(ConsentRequiredError);
    expect(tokenRequests().at(-1)?.body.forceAuthentication).toBe(true);
    expect(github.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('works with the new token after the forced re-consent', async () => {
    await consent(await listRepos(turn()).catch((error: unknown) => error));
    github.revokeToken(tokenFor(1));
    await consent(await listRepos(turn()).catch((error: unknown) => error));

    const output = await listRepos(turn());

    expect(output.ok).toBe(true);
    expect(github.requests.at(-1)?.headers.authorization).toBe(`token ${tokenFor(2)}`);
  });

  it('retries the call once with a renewed token when the port hands one out', async () => {
    const tokens = [tokenFor(1), tokenFor(2)];
    github.revokeToken(tokenFor(1));
    const rotating: GitHubTokenPort = {
      getToken: async () => ({ kind: 'token', token: tokens.shift() ?? 'none' }),
      completeConsent: async () => {},
    };

    const output = await listRepos(turn(rotating));

    expect(output.ok).toBe(true);
    expect(github.requests.map((r) => r.status)).toEqual([401, 200]);
  });

  it('gives a clear failed result when GitHub rejects the renewed token too', async () => {
    github.addToken('gho_static_revoked', 'sample-dev');
    github.revokeToken('gho_static_revoked');

    const output = await listRepos(turn(createStaticTokenPort({ token: 'gho_static_revoked' })));

    expect(output.ok).toBe(false);
    expect(output.summary).toBe('Failed: GitHub authorization failed');
    expect(String((output.content as { error: string }).error)).toMatch(
      /401 Bad credentials\) even after a fresh authorization/,
    );
    expect(github.requests).toHaveLength(2);
  });

  it('raises GitHubAuthError from withOctokit when the renewed token is rejected', async () => {
    github.addToken('gho_static_revoked', 'sample-dev');
    github.revokeToken('gho_static_revoked');
    const access = turn(createStaticTokenPort({ token: 'gho_static_revoked' }));

    const attempt = access.withOctokit((octokit) => octokit.rest.users.getAuthenticated());

    await expect(attempt).rejects.toBeInstanceOf(GitHubAuthError);
  });

  it('never writes a token to the logs, errors or tool results of a whole session', async () => {
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    useLogger('DEBUG');
    const outputs: unknown[] = [];

    const first = await listRepos(turn()).catch((error: unknown) => error);
    outputs.push(first);
    await consent(first);
    outputs.push(await listRepos(turn()));
    github.inject('repos/get', { type: 'rate_limit', resetInSeconds: 1 });
    const info = tool(turn(), 'get_repo_info');
    outputs.push(await info.run(info.input.parse({ repo: 'sample-dev/nope' }), context));
    outputs.push(await info.run(info.input.parse({ repo: 'sample-dev/widgets' }), context));
    github.revokeToken(tokenFor(1));
    const second = await listRepos(turn()).catch((error: unknown) => error);
    outputs.push(second);
    await consent(second);
    outputs.push(await listRepos(turn()));

    vi.restoreAllMocks();
    const everything = [
      ...written,
      ...outputs.map((output) => JSON.stringify(output)),
      ...outputs.map(String),
    ].join('\n');
    expect(written.join('')).toContain('GitHub consent required');
    expect(written.join('')).toContain('GitHub rate limit hit');
    expect(everything).not.toContain(tokenFor(1));
    expect(everything).not.toContain(tokenFor(2));
  });
});
