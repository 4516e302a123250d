import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { describe, expect, it } from 'vitest';
import { createTokenPortFromConfig, type IdentityConfig } from '../../lambdas/identity';
import { startAgentCoreStandin } from '../support/agentcore-standin';

const BASE: IdentityConfig = {
  AWS_REGION: 'ap-southeast-2',
  IDENTITY_PROVIDER: 'agentcore',
  WORKLOAD_IDENTITY_NAME: 'github-coding-agent',
  OAUTH_PROVIDER_NAME: 'github-provider',
  OAUTH_SCOPES: ['repo', 'read:user'],
  OAUTH_RETURN_URLS: ['http://localhost:8976/oauth/callback'],
};

describe('token port from config', () => {
  it('serves GITHUB_TOKEN when IDENTITY_PROVIDER is static', async () => {
    const port = createTokenPortFromConfig({
      ...BASE,
      IDENTITY_PROVIDER: 'static',
      GITHUB_TOKEN: 'ghp_local',
    });

    expect(await port.getToken({ userId: 'me' })).toEqual({ kind: 'token', token: 'ghp_local' });
  });

  it('asks AgentCore through the given client when IDENTITY_PROVIDER is agentcore', async () => {
    const standin = await startAgentCoreStandin();
    const client = new BedrockAgentCoreClient({
      endpoint: standin.url,
      region: 'ap-southeast-2',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const port = createTokenPortFromConfig(BASE, { agentCoreClient: client });

    const result = await port.getToken({ userId: 'me' }).finally(async () => {
      client.destroy();
      await standin.close();
    });

    expect(result.kind).toBe('consent');
    expect(standin.requests.map((r) => r.operation)).toEqual([
      'GetWorkloadAccessTokenForUserId',
      'GetResourceOauth2Token',
    ]);
  });

  it('needs GITHUB_OAUTH_CLIENT_ID for the device flow', () => {
    expect(() => createTokenPortFromConfig({ ...BASE, IDENTITY_PROVIDER: 'device' })).toThrow(
      /GITHUB_OAUTH_CLIENT_ID/,
    );
  });
});
