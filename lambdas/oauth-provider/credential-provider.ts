import {
  type BedrockAgentCoreControlClient,
  CreateOauth2CredentialProviderCommand,
  DeleteOauth2CredentialProviderCommand,
  GetOauth2CredentialProviderCommand,
  type Oauth2ProviderConfigInput,
  type Status,
  UpdateOauth2CredentialProviderCommand,
} from '@aws-sdk/client-bedrock-agentcore-control';
import { errorMessage, errorName, ProviderFailure } from './errors';

/** What the stack asks AgentCore for: a GitHub provider whose client secret is a reference, never a value. */
export interface ProviderSpec {
  name: string;
  clientId: string;
  /** The operator's secret (full ARN) and the JSON key inside it. */
  secretArn: string;
  jsonKey: string;
}

/** The provider's attributes the stack outputs. */
export interface ProviderInfo {
  arn: string;
  callbackUrl: string;
}

/**
 * What `GetOauth2CredentialProvider` says about a provider now. Creation, update and deletion are asynchronous:
 * `status` moves through CREATING/UPDATING/DELETING to READY (or `*_FAILED`, with `failureReason`). A response
 * without `status` comes from an API version that predates it and is treated as READY.
 */
export interface ProviderState extends Partial<ProviderInfo> {
  status?: Status;
  failureReason?: string;
}

/** The AgentCore Identity control-plane calls the custom resource makes. */
export interface CredentialProviderApi {
  /** Creates the provider; `'exists'` when one of that name is already there (the caller decides whether to adopt it). */
  create(spec: ProviderSpec): Promise<ProviderInfo | 'exists'>;
  /** Updates the provider; `'missing'` when there is none of that name. */
  update(spec: ProviderSpec): Promise<ProviderInfo | 'missing'>;
  /** Starts deleting the provider; `'missing'` when there was none. Deletion completes asynchronously. */
  remove(name: string): Promise<'deleting' | 'missing'>;
  /** The provider's current state; `undefined` when there is none of that name. */
  describe(name: string): Promise<ProviderState | undefined>;
}

/** The GitHub vendor config with the client secret by reference (`EXTERNAL`). */
export function githubConfigInput(spec: ProviderSpec): Oauth2ProviderConfigInput {
  return {
    githubOauth2ProviderConfig: {
      clientId: spec.clientId,
      clientSecretSource: 'EXTERNAL',
      clientSecretConfig: { secretId: spec.secretArn, jsonKey: spec.jsonKey },
    },
  };
}

/**
 * The bedrock-agentcore-control adapter behind {@link CredentialProviderApi}. Throttling is retried by the client's
 * own retry strategy (lambdas/oauth-provider/clients.ts); what remains is turned into a {@link ProviderFailure}
 * that names the provider and what to check.
 */
export function createCredentialProviderApi(
  client: Pick<BedrockAgentCoreControlClient, 'send'>,
): CredentialProviderApi {
  const get = async (name: string): Promise<ProviderState | undefined> => {
    try {
      const found = await client.send(new GetOauth2CredentialProviderCommand({ name }));
      return {
        arn: found.credentialProviderArn,
        callbackUrl: found.callbackUrl,
        status: found.status,
        failureReason: found.failureReason,
      };
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw describeAgentCoreError(error, 'GetOauth2CredentialProvider', name);
    }
  };

  // Some responses may omit a field; the provider's own description has both.
  const complete = async (name: string, partial: Partial<ProviderInfo>): Promise<ProviderInfo> => {
    const info: Partial<ProviderInfo> =
      partial.arn && partial.callbackUrl ? partial : { ...(await get(name)), ...stripEmpty(partial) };
    if (!info.arn || !info.callbackUrl) {
      throw new ProviderFailure(
        `AgentCore returned no ${info.arn ? 'callback URL' : 'ARN'} for credential provider "${name}"`,
      );
    }
    return { arn: info.arn, callbackUrl: info.callbackUrl };
  };

  return {
    async create(spec) {
      try {
        const created = await client.send(
          new CreateOauth2CredentialProviderCommand({
            name: spec.name,
            credentialProviderVendor: 'GithubOauth2',
            oauth2ProviderConfigInput: githubConfigInput(spec),
          }),
        );
        return complete(spec.name, { arn: created.credentialProviderArn, callbackUrl: created.callbackUrl });
      } catch (error) {
        // The exact exception for a taken name is not documented (ConflictException, or a ValidationException
        // saying "already exists"): ask AgentCore whether the provider is there instead of trusting the message.
        const name = errorName(error);
        if ((name === 'ConflictException' || name === 'ValidationException') && (await get(spec.name))) {
          return 'exists';
        }
        throw describeAgentCoreError(error, 'CreateOauth2CredentialProvider', spec.name);
      }
    },

    async update(spec) {
      try {
        const updated = await client.send(
          new UpdateOauth2CredentialProviderCommand({
            name: spec.name,
            credentialProviderVendor: 'GithubOauth2',
            oauth2ProviderConfigInput: githubConfigInput(spec),
          }),
        );
        return complete(spec.name, { arn: updated.credentialProviderArn, callbackUrl: updated.callbackUrl });
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') return 'missing';
        throw describeAgentCoreError(error, 'UpdateOauth2CredentialProvider', spec.name);
      }
    },

    async remove(name) {
      try {
        await client.send(new DeleteOauth2CredentialProviderCommand({ name }));
        return 'deleting';
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') return 'missing';
        // A second Delete while the first is still running: the provider is on its way out either way.
        if (errorName(error) === 'ConflictException' && (await get(name))?.status === 'DELETING') {
          return 'deleting';
        }
        throw describeAgentCoreError(error, 'DeleteOauth2CredentialProvider', name);
      }
    },

    describe: get,
  };
}

function stripEmpty(info: Partial<ProviderInfo>): Partial<ProviderInfo> {
  return Object.fromEntries(Object.entries(info).filter(([, value]) => value)) as Partial<ProviderInfo>;
}

/** Says which call failed for which provider, with a hint for the failures an operator can fix. */
export function describeAgentCoreError(
  error: unknown,
  operation: string,
  providerName: string,
): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  const name = errorName(error) ?? 'Error';
  const base = `${operation} for credential provider "${providerName}" failed (${name}: ${errorMessage(error)})`;
  const hints: Record<string, string> = {
    AccessDeniedException:
      "; the custom resource's role needs bedrock-agentcore:*Oauth2CredentialProvider on the token vault and this provider, and read access to the client secret",
    ThrottlingException: '; AgentCore kept throttling after the retries, deploy again in a minute',
    ServiceQuotaExceededException:
      '; delete unused credential providers or raise the AgentCore Identity quota',
    ResourceLimitExceededException:
      '; delete unused credential providers or raise the AgentCore Identity quota',
    ValidationException: '; check the GitHub client ID and the secret reference',
    DecryptionFailure: "; AgentCore could not decrypt the client secret: allow it the secret's KMS key",
  };
  return new ProviderFailure(base + (hints[name] ?? ''), { cause: error });
}
