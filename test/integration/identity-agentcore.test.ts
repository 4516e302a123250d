import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentCoreTokenPort } from '../../lambdas/identity/agentcore';
import { IdentityError } from '../../lambdas/identity/errors';
import { ConsentForbiddenError, type GitHubTokenPort, type TokenResult } from '../../lambdas/identity/port';
import { type AgentCoreStandin, startAgentCoreStandin } from '../support/agentcore-standin';

const RETURN_URL = 'http://localhost:8976/oauth/callback';
const OTHER_ALLOWED = 'http://localhost:9999/oauth/callback';
const GITHUB_TOKEN = 'gho_identity_test_token_abcdef';

let standin: AgentCoreStandin;
let client: BedrockAgentCoreClient;
let port: GitHubTokenPort;

beforeEach(async () => {
  standin = await startAgentCoreStandin({
    allowedReturnUrls: [RETURN_URL, OTHER_ALLOWED],
    githubToken: (userId, grant) => `${GITHUB_TOKEN}_${userId}_${grant}`,
  });
  client = new BedrockAgentCoreClient({
    endpoint: standin.url,
    region: 'ap-southeast-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  port = createAgentCoreTokenPort({
    client,
    workloadName: 'github-coding-agent',
    providerName: 'github-provider',
    scopes: ['repo', 'read:user'],
    allowedReturnUrls: [RETURN_URL, OTHER_ALLOWED],
  });
});

afterEach(async () => {
  client.destroy();
  await standin.close();
});

function expectConsent(result: TokenResult): Extract<TokenResult, { kind: 'consent' }> {
  if (result.kind !== 'consent') throw new Error(`expected a consent, got ${result.kind}`);
  return result;
}

async function consentAndComplete(userId: string): Promise<void> {
  const consent = expectConsent(await port.getToken({ userId }));
  standin.simulateConsent(consent.sessionUri);
  await port.completeConsent(userId, consent.sessionUri);
}

describe('AgentCore token port against the AgentCore stand-in', () => {
  it('returns a consent with the authorization URL, session URI and the customState it sent', async () => {
    const result = expectConsent(await port.getToken({ userId: 'alice' }));

    const tokenRequest = standin.requests.find((r) => r.operation === 'GetResourceOauth2Token');
    expect(result.authorizationUrl).toMatch(new RegExp(`^${standin.url}/consent\\?`));
    expect(result.sessionUri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(result.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenRequest?.body.customState).toBe(result.state);
  });

  it('asks for the configured scopes plus the extra ones a request needs, each once', async () => {
    await port.getToken({ userId: 'alice', scopes: ['admin:repo_hook', 'repo'], forceAuthentication: true });

    const tokenRequest = standin.requests.find((r) => r.operation === 'GetResourceOauth2Token');
    expect(tokenRequest?.body.scopes).toEqual(['repo', 'read:user', 'admin:repo_hook']);
    expect(standin.pendingSessions()[0]?.scopes).toEqual(['repo', 'read:user', 'admin:repo_hook']);
  });

  it('binds the token of a completed consent with the scopes it asked for', async () => {
    const consent = expectConsent(await port.getToken({ userId: 'alice', scopes: ['admin:repo_hook'] }));
    standin.simulateConsent(consent.sessionUri);
    await port.completeConsent('alice', consent.sessionUri);

    expect(standin.bindings()).toEqual([
      expect.objectContaining({ userId: 'alice', scopes: ['repo', 'read:user', 'admin:repo_hook'] }),
    ]);
  });

  it('sends a different random customState on every call', async () => {
    const first = expectConsent(await port.getToken({ userId: 'alice' }));
    const second = expectConsent(await port.getToken({ userId: 'alice' }));

    expect(first.state).not.toBe(second.state);
  });

  it('sends exactly the workload, user, provider, scopes, flow and return URL', async () => {
    await port.getToken({ userId: 'arn:aws:iam::123456789012:user/alice' });

    const [workload, token] = standin.requests;
    expect(workload?.path).toBe('/identities/GetWorkloadAccessTokenForUserId');
    expect(workload?.body).toEqual({
      workloadName: 'github-coding-agent',
      userId: 'arn:aws:iam::123456789012:user/alice',
    });
    expect(token?.path).toBe('/identities/oauth2/token');
    expect(token?.body).toEqual({
      workloadIdentityToken: expect.stringMatching(/^standin-wat\./),
      resourceCredentialProviderName: 'github-provider',
      scopes: ['repo', 'read:user'],
      oauth2Flow: 'USER_FEDERATION',
      resourceOauth2ReturnUrl: RETURN_URL,
      customState: expect.any(String),
      forceAuthentication: false,
    });
    expect(token?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\//);
  });

  it('redirects the browser to the return URL with session_id and state', async () => {
    const consent = expectConsent(await port.getToken({ userId: 'alice' }));

    const response = await fetch(consent.authorizationUrl, { redirect: 'manual' });

    const location = new URL(response.headers.get('location') ?? '');
    expect(response.status).toBe(302);
    expect(`${location.origin}${location.pathname}`).toBe(RETURN_URL);
    expect(location.searchParams.get('session_id')).toBe(consent.sessionUri);
    expect(location.searchParams.get('state')).toBe(consent.state);
  });

  it('returns the token after consent and completion by the same user', async () => {
    await consentAndComplete('alice');

    const result = await port.getToken({ userId: 'alice' });

    expect(result).toEqual({ kind: 'token', token: `${GITHUB_TOKEN}_alice_1` });
  });

  it('completes with the same user id that minted the workload token', async () => {
    await consentAndComplete('alice');

    const complete = standin.requests.find((r) => r.operation === 'CompleteResourceTokenAuth');
    expect(complete?.body).toEqual({ userIdentifier: { userId: 'alice' }, sessionUri: expect.any(String) });
  });

  it("refuses user B completing user A's session, and A can still complete it", async () => {
    const consent = expectConsent(await port.getToken({ userId: 'alice' }));
    standin.simulateConsent(consent.sessionUri);

    await expect(port.completeConsent('bob', consent.sessionUri)).rejects.toBeInstanceOf(
      ConsentForbiddenError,
    );
    await port.completeConsent('alice', consent.sessionUri);

    expect(standin.tokenFor('bob')).toBeUndefined();
    expect(await port.getToken({ userId: 'alice' })).toEqual({
      kind: 'token',
      token: `${GITHUB_TOKEN}_alice_1`,
    });
  });

  it('refuses completing an unknown session', async () => {
    await expect(
      port.completeConsent('alice', 'urn:ietf:params:oauth:request_uri:nope'),
    ).rejects.toBeInstanceOf(ConsentForbiddenError);
  });

  it('reports completing before the browser step as a failed consent, not a forbidden one', async () => {
    const consent = expectConsent(await port.getToken({ userId: 'alice' }));

    const attempt = port.completeConsent('alice', consent.sessionUri);

    await expect(attempt).rejects.toMatchObject({ name: 'IdentityError', code: 'consent_failed' });
  });

  it('asks for a new consent when forceAuthentication is true, even with a stored token', async () => {
    await consentAndComplete('alice');

    const result = await port.getToken({ userId: 'alice', forceAuthentication: true });

    expect(result.kind).toBe('consent');
    expect(standin.requests.at(-1)?.body.forceAuthentication).toBe(true);
  });

  it('uses an allowed return URL the request names', async () => {
    await port.getToken({ userId: 'alice', returnUrl: OTHER_ALLOWED });

    expect(standin.requests.at(-1)?.body.resourceOauth2ReturnUrl).toBe(OTHER_ALLOWED);
  });

  it('rejects a return URL that is not on the allowed list without calling AgentCore', async () => {
    const attempt = port.getToken({ userId: 'alice', returnUrl: 'https://evil.example/cb' });

    await expect(attempt).rejects.toMatchObject({ name: 'IdentityError', code: 'return_url_not_allowed' });
    expect(standin.requests).toHaveLength(0);
  });

  it('explains a return URL AgentCore has not registered', async () => {
    const misconfigured = createAgentCoreTokenPort({
      client,
      workloadName: 'github-coding-agent',
      providerName: 'github-provider',
      scopes: ['repo'],
      allowedReturnUrls: ['http://localhost:1234/unregistered'],
    });

    const attempt = misconfigured.getToken({ userId: 'alice' });

    await expect(attempt).rejects.toMatchObject({
      code: 'return_url_not_registered',
      message: expect.stringContaining('register the return URL in the workload identity'),
    });
  });

  it('names OAUTH_PROVIDER_NAME when the provider does not exist', async () => {
    const misnamed = createAgentCoreTokenPort({
      client,
      workloadName: 'github-coding-agent',
      providerName: 'gitbub-provider',
      scopes: ['repo'],
      allowedReturnUrls: [RETURN_URL],
    });

    const attempt = misnamed.getToken({ userId: 'alice' });

    await expect(attempt).rejects.toSatisfy(
      (error) =>
        error instanceof IdentityError &&
        error.code === 'provider_not_found' &&
        error.message.includes('OAUTH_PROVIDER_NAME'),
    );
  });

  it('names WORKLOAD_IDENTITY_NAME when the workload identity does not exist', async () => {
    const misnamed = createAgentCoreTokenPort({
      client,
      workloadName: 'no-such-workload',
      providerName: 'github-provider',
      scopes: ['repo'],
      allowedReturnUrls: [RETURN_URL],
    });

    await expect(misnamed.getToken({ userId: 'alice' })).rejects.toMatchObject({
      code: 'workload_not_found',
    });
  });

  it('reports an IAM denial of the token request as identity_misconfigured without AWS text', async () => {
    standin.failNext('GetResourceOauth2Token', {
      status: 403,
      type: 'AccessDeniedException',
      message:
        'User: arn:aws:sts::210987654321:assumed-role/ChatRole/fn is not authorized to perform: bedrock-agentcore:GetResourceOauth2Token',
    });

    const failure = await port.getToken({ userId: 'alice' }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'IdentityError', code: 'identity_misconfigured' });
    expect((failure as Error).message).not.toMatch(/arn:|210987654321/);
  });

  it('keeps consent_forbidden for the invalid-session denial only', async () => {
    await port.getToken({ userId: 'alice' });
    standin.failNext('CompleteResourceTokenAuth', {
      status: 403,
      type: 'AccessDeniedException',
      message: 'User is not authorized to perform: secretsmanager:GetSecretValue',
    });
    const consent = standin.pendingSessions()[0]?.sessionUri ?? '';

    const denied = port.completeConsent('alice', consent);

    await expect(denied).rejects.toMatchObject({ name: 'IdentityError', code: 'identity_misconfigured' });
    await expect(port.completeConsent('bob', consent)).rejects.toBeInstanceOf(ConsentForbiddenError);
  });

  it('refuses a default return URL that is not on the allowed list at construction', () => {
    const build = () =>
      createAgentCoreTokenPort({
        client,
        workloadName: 'w',
        providerName: 'p',
        scopes: [],
        allowedReturnUrls: [RETURN_URL],
        defaultReturnUrl: 'http://localhost:1/x',
      });

    expect(build).toThrow(/must be one of the allowed return URLs/);
  });
});
