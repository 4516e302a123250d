import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import type { Config } from '../config';
import type { Logger } from '../log';
import { createAgentCoreTokenPort } from './agentcore';
import { createDeviceFlowTokenPort } from './device-flow';
import type { GitHubTokenPort } from './port';
import { createStaticTokenPort } from './static-token';

export { createAgentCoreTokenPort } from './agentcore';
export { createDeviceFlowTokenPort } from './device-flow';
export { IdentityError, type IdentityErrorCode } from './errors';
export { ConsentForbiddenError, type GitHubTokenPort, type TokenRequest, type TokenResult } from './port';
export { createStaticTokenPort } from './static-token';

/** The config fields the identity layer reads. */
export type IdentityConfig = Pick<
  Config,
  | 'AWS_REGION'
  | 'IDENTITY_PROVIDER'
  | 'WORKLOAD_IDENTITY_NAME'
  | 'OAUTH_PROVIDER_NAME'
  | 'OAUTH_SCOPES'
  | 'OAUTH_RETURN_URLS'
  | 'GITHUB_TOKEN'
  | 'GITHUB_OAUTH_CLIENT_ID'
>;

/** Optional collaborators; anything absent is built from the config. */
export interface IdentityDeps {
  /** AgentCore data-plane client; by default one for AWS_REGION (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE is honoured). */
  agentCoreClient?: Pick<BedrockAgentCoreClient, 'send'>;
  /** GitHub's OAuth base for the device flow (default https://github.com; the stand-in in tests). */
  oauthBase?: string;
  fetch?: typeof fetch;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
}

/**
 * Builds the GitHub token port IDENTITY_PROVIDER names: `agentcore` (AWS), `static` (GITHUB_TOKEN) or `device`
 * (GitHub device flow with GITHUB_OAUTH_CLIENT_ID). Call once at cold start / server start.
 * @throws Error when the chosen provider's settings are missing (loadConfig already checks these)
 */
export function createTokenPortFromConfig(config: IdentityConfig, deps: IdentityDeps = {}): GitHubTokenPort {
  switch (config.IDENTITY_PROVIDER) {
    case 'static':
      if (!config.GITHUB_TOKEN)
        throw new Error('GITHUB_TOKEN is required when IDENTITY_PROVIDER is "static"');
      return createStaticTokenPort({ token: config.GITHUB_TOKEN });
    case 'device':
      if (!config.GITHUB_OAUTH_CLIENT_ID) {
        throw new Error('GITHUB_OAUTH_CLIENT_ID is required when IDENTITY_PROVIDER is "device"');
      }
      return createDeviceFlowTokenPort({
        clientId: config.GITHUB_OAUTH_CLIENT_ID,
        scopes: config.OAUTH_SCOPES,
        oauthBase: deps.oauthBase,
        fetch: deps.fetch,
        logger: deps.logger,
      });
    case 'agentcore':
      return createAgentCoreTokenPort({
        client: deps.agentCoreClient ?? new BedrockAgentCoreClient({ region: config.AWS_REGION }),
        workloadName: config.WORKLOAD_IDENTITY_NAME,
        providerName: config.OAUTH_PROVIDER_NAME,
        scopes: config.OAUTH_SCOPES,
        allowedReturnUrls: config.OAUTH_RETURN_URLS,
        logger: deps.logger,
      });
  }
}
