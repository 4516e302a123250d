import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { errorMessage, errorName, ProviderFailure } from './errors';

/** Checks that the operator's secret is usable by AgentCore before the provider is pointed at it. */
export interface SecretReferenceChecker {
  /**
   * Confirms `secretId` exists and holds a JSON object with a non-empty string under `jsonKey`.
   * @returns the secret's full ARN (what the provider references)
   * @throws ProviderFailure saying what to fix; never containing the secret's value
   */
  verify(secretId: string, jsonKey: string): Promise<{ secretArn: string }>;
}

/** The shapes a secret can be in, judged without keeping its value. */
type SecretShape = 'usable' | 'not-json-object' | 'missing-key' | 'empty-key';

/**
 * Judges the secret string and lets it go: only the verdict leaves this function. A JSON parse error is never
 * surfaced because V8's message quotes the start of the input, i.e. the secret.
 */
function judge(secretString: string, jsonKey: string): SecretShape {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    return 'not-json-object';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not-json-object';
  if (!Object.hasOwn(parsed, jsonKey)) return 'missing-key';
  const value = (parsed as Record<string, unknown>)[jsonKey];
  return typeof value === 'string' && value.trim().length > 0 ? 'usable' : 'empty-key';
}

/**
 * The Secrets Manager adapter behind {@link SecretReferenceChecker}. It reads the secret value because "has the JSON
 * key" cannot be checked any other way, and the role needs `GetSecretValue` anyway (AgentCore reads the referenced
 * secret with the caller's credentials). The value is parsed, judged and dropped; it is never logged or returned.
 */
export function createSecretReferenceChecker(
  client: Pick<SecretsManagerClient, 'send'>,
): SecretReferenceChecker {
  return {
    async verify(secretId, jsonKey) {
      const example = `'{"${jsonKey}":"<the OAuth App client secret>"}'`;
      let response: GetSecretValueCommandOutput;
      try {
        response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      } catch (error) {
        throw describeSecretError(error, secretId, example);
      }
      if (response.SecretString === undefined) {
        throw new ProviderFailure(
          `Secret "${secretId}" holds binary data; store the client secret as JSON text: ${example}`,
        );
      }
      const shape = judge(response.SecretString, jsonKey);
      if (shape === 'not-json-object') {
        throw new ProviderFailure(
          `Secret "${secretId}" is not a JSON object; store the client secret as ${example} (aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string ${example})`,
        );
      }
      if (shape === 'missing-key') {
        throw new ProviderFailure(
          `Secret "${secretId}" has no key "${jsonKey}"; store the client secret as ${example}, or deploy with -c githubSecretJsonKey=<your key>`,
        );
      }
      if (shape === 'empty-key') {
        throw new ProviderFailure(
          `Secret "${secretId}" has an empty "${jsonKey}"; put the GitHub OAuth App's client secret there`,
        );
      }
      return { secretArn: response.ARN ?? secretId };
    },
  };
}

function describeSecretError(error: unknown, secretId: string, example: string): ProviderFailure {
  const name = errorName(error);
  const detail = `${name ?? 'Error'}: ${errorMessage(error)}`;
  if (name === 'ResourceNotFoundException') {
    return new ProviderFailure(
      `Secret "${secretId}" was not found in this account and Region; create it with ` +
        `aws secretsmanager create-secret --name ${secretId} --secret-string ${example} (see docs/oauth_setup.md)`,
      { cause: error },
    );
  }
  if (name === 'AccessDeniedException') {
    return new ProviderFailure(
      `Not allowed to read secret "${secretId}" (${detail}); if it is encrypted with a customer managed KMS key, ` +
        "allow kms:Decrypt to the stack's roles",
      { cause: error },
    );
  }
  if (name === 'DecryptionFailure') {
    return new ProviderFailure(`Secret "${secretId}" could not be decrypted (${detail})`, { cause: error });
  }
  return new ProviderFailure(`Could not read secret "${secretId}" (${detail})`, { cause: error });
}
