import 'aws-sdk-client-mock-vitest/extend';
import {
  BedrockAgentCoreControlClient,
  ConflictException,
  CreateOauth2CredentialProviderCommand,
  DeleteOauth2CredentialProviderCommand,
  GetOauth2CredentialProviderCommand,
  ResourceNotFoundException,
  UpdateOauth2CredentialProviderCommand,
  ValidationException,
} from '@aws-sdk/client-bedrock-agentcore-control';
import {
  GetSecretValueCommand,
  ResourceNotFoundException as SecretNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createProviderClients } from '../../lambdas/oauth-provider/clients';
import { ProviderFailure } from '../../lambdas/oauth-provider/errors';
import { createOnEventHandler } from '../../lambdas/oauth-provider/handler';

const CLIENT_SECRET = 'gh-client-secret-value-4f1e2d3c';
const SECRET_NAME = 'github-coding-agent/oauth';
const SECRET_ARN = `arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:${SECRET_NAME}-AbCdEf`;
const PROVIDER_ARN =
  'arn:aws:bedrock-agentcore:ap-southeast-2:123456789012:token-vault/default/oauth2credentialprovider/github-provider';
const CALLBACK_URL =
  'https://bedrock-agentcore.ap-southeast-2.amazonaws.com/identities/oauth2/callback/abc-123';

const agentCore = mockClient(BedrockAgentCoreControlClient);
const secrets = mockClient(SecretsManagerClient);

/** Everything the handler logged, to check no secret ever reaches the logs. */
let logged: unknown[];
let onEvent: (event: CloudFormationCustomResourceEvent) => Promise<unknown>;

const properties = (overrides: Record<string, string> = {}) => ({
  ServiceToken: 'arn:aws:lambda:ap-southeast-2:123456789012:function:framework-onEvent',
  ProviderName: 'github-provider',
  ClientId: 'Ov23liTestClientId01',
  SecretId: SECRET_NAME,
  SecretJsonKey: 'clientSecret',
  RetainOnDelete: 'false',
  ...overrides,
});

const base = {
  ServiceToken: 'arn:aws:lambda:ap-southeast-2:123456789012:function:framework-onEvent',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/',
  StackId: 'arn:aws:cloudformation:ap-southeast-2:123456789012:stack/GitHubCodingAgent/1',
  RequestId: 'b1a7c0de-0000-4000-8000-000000000001',
  LogicalResourceId: 'GitHubOAuthProviderResource',
  ResourceType: 'Custom::GitHubOAuth2CredentialProvider',
};

const createEvent = (overrides: Record<string, string> = {}): CloudFormationCustomResourceCreateEvent => ({
  ...base,
  RequestType: 'Create',
  ResourceProperties: properties(overrides),
});

const updateEvent = (
  physicalId: string,
  overrides: Record<string, string> = {},
): CloudFormationCustomResourceUpdateEvent => ({
  ...base,
  RequestType: 'Update',
  PhysicalResourceId: physicalId,
  ResourceProperties: properties(overrides),
  OldResourceProperties: properties(),
});

const deleteEvent = (
  physicalId: string,
  overrides: Record<string, string> = {},
): CloudFormationCustomResourceDeleteEvent => ({
  ...base,
  RequestType: 'Delete',
  PhysicalResourceId: physicalId,
  ResourceProperties: properties(overrides),
});

const providerResponse = {
  credentialProviderArn: PROVIDER_ARN,
  callbackUrl: CALLBACK_URL,
  name: 'github-provider',
};
const metadata = { $metadata: {} };

/** The failure CloudFormation would show: the Provider framework reports the thrown error's stack. */
async function failureReason(event: CloudFormationCustomResourceEvent): Promise<string> {
  const error = await onEvent(event).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof Error)) throw new Error('expected the event to fail');
  return error.stack ?? error.message;
}

beforeEach(() => {
  agentCore.reset();
  secrets.reset();
  logged = [];
  const capture = (...args: unknown[]) => void logged.push(args);
  onEvent = createOnEventHandler(
    createProviderClients({
      region: 'ap-southeast-2',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
    { info: capture, warn: capture, error: capture },
  );
  secrets.on(GetSecretValueCommand).resolves({
    ARN: SECRET_ARN,
    Name: SECRET_NAME,
    SecretString: JSON.stringify({ clientSecret: CLIENT_SECRET }),
  });
});

afterAll(() => {
  agentCore.restore();
  secrets.restore();
});

describe('Create', () => {
  it('creates a GitHub provider that references the secret and returns its ARN and callback URL', async () => {
    agentCore.on(CreateOauth2CredentialProviderCommand).resolves(providerResponse);

    const result = await onEvent(createEvent());

    expect(result).toEqual({
      PhysicalResourceId: 'github-provider',
      Data: { ProviderArn: PROVIDER_ARN, CallbackUrl: CALLBACK_URL, Adopted: 'false' },
    });
    expect(agentCore).toHaveReceivedCommandExactlyOnceWith(CreateOauth2CredentialProviderCommand, {
      name: 'github-provider',
      credentialProviderVendor: 'GithubOauth2',
      oauth2ProviderConfigInput: {
        githubOauth2ProviderConfig: {
          clientId: 'Ov23liTestClientId01',
          clientSecretSource: 'EXTERNAL',
          clientSecretConfig: { secretId: SECRET_ARN, jsonKey: 'clientSecret' },
        },
      },
    });
  });

  it('never sends or logs the client secret value', async () => {
    agentCore.on(CreateOauth2CredentialProviderCommand).resolves(providerResponse);

    await onEvent(createEvent());

    const sent = agentCore.calls().map((call) => JSON.stringify(call.args[0].input));
    expect(sent).toHaveLength(1);
    for (const input of sent) {
      expect(input).not.toContain(CLIENT_SECRET);
      expect(input).not.toMatch(/"clientSecret"\s*:/);
    }
    expect(JSON.stringify(logged)).not.toContain(CLIENT_SECRET);
  });

  it('adopts a provider that already exists under the name by updating it', async () => {
    agentCore
      .on(CreateOauth2CredentialProviderCommand)
      .rejects(new ConflictException({ message: 'Credential provider already exists', ...metadata }));
    agentCore.on(GetOauth2CredentialProviderCommand).resolves(providerResponse);
    agentCore.on(UpdateOauth2CredentialProviderCommand).resolves(providerResponse);

    const result = await onEvent(createEvent());

    expect(result).toMatchObject({ PhysicalResourceId: 'github-provider', Data: { Adopted: 'true' } });
    expect(agentCore).toHaveReceivedCommandWith(UpdateOauth2CredentialProviderCommand, {
      name: 'github-provider',
      credentialProviderVendor: 'GithubOauth2',
    });
    expect(agentCore).not.toHaveReceivedCommand(DeleteOauth2CredentialProviderCommand);
  });

  it('also adopts when the conflict comes back as a ValidationException', async () => {
    agentCore.on(CreateOauth2CredentialProviderCommand).rejects(
      new ValidationException({
        message: 'Provider github-provider already exists',
        reason: 'FieldValidationFailed',
        ...metadata,
      }),
    );
    agentCore.on(GetOauth2CredentialProviderCommand).resolves(providerResponse);
    agentCore.on(UpdateOauth2CredentialProviderCommand).resolves(providerResponse);

    expect(await onEvent(createEvent())).toMatchObject({ Data: { Adopted: 'true' } });
  });

  it('reports a validation error as such when no provider of that name exists', async () => {
    agentCore.on(CreateOauth2CredentialProviderCommand).rejects(
      new ValidationException({
        message: 'Invalid clientId',
        reason: 'FieldValidationFailed',
        ...metadata,
      }),
    );
    agentCore
      .on(GetOauth2CredentialProviderCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', ...metadata }));

    const reason = await failureReason(createEvent());

    expect(reason).toBe(
      'ProviderFailure: CreateOauth2CredentialProvider for credential provider "github-provider" failed ' +
        '(ValidationException: Invalid clientId); check the GitHub client ID and the secret reference',
    );
    expect(agentCore).not.toHaveReceivedCommand(UpdateOauth2CredentialProviderCommand);
  });

  it('fails with a clear reason when the secret does not exist, before calling AgentCore', async () => {
    secrets.on(GetSecretValueCommand).rejects(
      new SecretNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        ...metadata,
      }),
    );

    const reason = await failureReason(createEvent());

    expect(reason).toMatch(/^ProviderFailure: Secret "github-coding-agent\/oauth" was not found/);
    expect(reason).toContain('aws secretsmanager create-secret --name github-coding-agent/oauth');
    expect(agentCore.calls()).toHaveLength(0);
  });

  it('fails with "has no key" when the secret lacks the JSON key', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ ARN: SECRET_ARN, SecretString: JSON.stringify({ client_secret: CLIENT_SECRET }) });

    const reason = await failureReason(createEvent());

    expect(reason).toMatch(/^ProviderFailure: Secret "github-coding-agent\/oauth" has no key "clientSecret"/);
    expect(reason).not.toContain(CLIENT_SECRET);
    expect(agentCore.calls()).toHaveLength(0);
  });

  it('never quotes a secret that is not JSON in its failure', async () => {
    secrets.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, SecretString: CLIENT_SECRET });

    const reason = await failureReason(createEvent());

    expect(reason).toMatch(/^ProviderFailure: Secret "github-coding-agent\/oauth" is not a JSON object/);
    expect(reason).not.toContain(CLIENT_SECRET);
    expect(JSON.stringify(logged)).not.toContain(CLIENT_SECRET);
  });

  it('names each invalid property', async () => {
    const reason = await failureReason(
      createEvent({ ClientId: 'REPLACE ME', ProviderName: 'github provider' }),
    );

    expect(reason).toBe(
      "ProviderFailure: Invalid GitHub OAuth provider properties: ProviderName must be 1-128 letters, digits, '-' or '_'; " +
        "ClientId must be the GitHub OAuth App's client ID (e.g. Ov23li...)",
    );
  });

  it('reports a failure whose stack is one readable sentence', async () => {
    secrets.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, SecretString: '{}' });

    const error = await onEvent(createEvent()).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(ProviderFailure);
    expect((error as Error).stack).not.toContain('\n');
  });
});

describe('Update', () => {
  it('updates the provider in place when its name is unchanged', async () => {
    agentCore.on(UpdateOauth2CredentialProviderCommand).resolves(providerResponse);

    const result = await onEvent(updateEvent('github-provider', { ClientId: 'Ov23liRotatedClient2' }));

    expect(result).toMatchObject({
      PhysicalResourceId: 'github-provider',
      Data: { ProviderArn: PROVIDER_ARN },
    });
    expect(agentCore).toHaveReceivedCommandExactlyOnceWith(UpdateOauth2CredentialProviderCommand, {
      name: 'github-provider',
      credentialProviderVendor: 'GithubOauth2',
      oauth2ProviderConfigInput: {
        githubOauth2ProviderConfig: {
          clientId: 'Ov23liRotatedClient2',
          clientSecretSource: 'EXTERNAL',
          clientSecretConfig: { secretId: SECRET_ARN, jsonKey: 'clientSecret' },
        },
      },
    });
    expect(agentCore).not.toHaveReceivedCommand(CreateOauth2CredentialProviderCommand);
  });

  it('recreates the provider when it was deleted outside the stack', async () => {
    agentCore
      .on(UpdateOauth2CredentialProviderCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', ...metadata }));
    agentCore.on(CreateOauth2CredentialProviderCommand).resolves(providerResponse);

    const result = await onEvent(updateEvent('github-provider'));

    expect(result).toMatchObject({ PhysicalResourceId: 'github-provider', Data: { Adopted: 'false' } });
    expect(agentCore).toHaveReceivedCommandTimes(CreateOauth2CredentialProviderCommand, 1);
  });

  it('creates the provider under a new name and returns it as the new physical id', async () => {
    agentCore
      .on(CreateOauth2CredentialProviderCommand)
      .resolves({ ...providerResponse, name: 'github-renamed' });

    const result = await onEvent(updateEvent('github-provider', { ProviderName: 'github-renamed' }));

    expect(result).toMatchObject({ PhysicalResourceId: 'github-renamed' });
    expect(agentCore).toHaveReceivedCommandWith(CreateOauth2CredentialProviderCommand, {
      name: 'github-renamed',
    });
    expect(agentCore).not.toHaveReceivedCommand(DeleteOauth2CredentialProviderCommand);
  });

  it('fills a callback URL the update response left out from the provider description', async () => {
    agentCore
      .on(UpdateOauth2CredentialProviderCommand)
      .resolves({ credentialProviderArn: PROVIDER_ARN, name: 'github-provider' });
    agentCore.on(GetOauth2CredentialProviderCommand).resolves(providerResponse);

    const result = await onEvent(updateEvent('github-provider'));

    expect(result).toMatchObject({ Data: { CallbackUrl: CALLBACK_URL } });
  });
});

describe('Delete', () => {
  it('deletes the provider named by the physical id', async () => {
    agentCore.on(DeleteOauth2CredentialProviderCommand).resolves({});

    const result = await onEvent(deleteEvent('github-provider'));

    expect(result).toEqual({ PhysicalResourceId: 'github-provider' });
    expect(agentCore).toHaveReceivedCommandExactlyOnceWith(DeleteOauth2CredentialProviderCommand, {
      name: 'github-provider',
    });
  });

  it('succeeds when the provider is already gone', async () => {
    agentCore
      .on(DeleteOauth2CredentialProviderCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', ...metadata }));

    await expect(onEvent(deleteEvent('github-provider'))).resolves.toEqual({
      PhysicalResourceId: 'github-provider',
    });
  });

  it('leaves the provider in place when RetainOnDelete is set', async () => {
    await onEvent(deleteEvent('github-provider', { RetainOnDelete: 'true' }));

    expect(agentCore.calls()).toHaveLength(0);
  });

  it('does nothing for a physical id that is not a provider name', async () => {
    await onEvent(deleteEvent('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED'));

    expect(agentCore.calls()).toHaveLength(0);
  });

  it('does not need the secret to delete', async () => {
    agentCore.on(DeleteOauth2CredentialProviderCommand).resolves({});

    await onEvent(deleteEvent('github-provider'));

    expect(secrets.calls()).toHaveLength(0);
  });
});
