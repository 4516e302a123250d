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
import {
  createOnEventHandler,
  MAX_WAIT_MS,
  RESERVED_MS,
  waitBudgetMs,
} from '../../lambdas/oauth-provider/handler';

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

/** A clock whose sleeps only move time on, so waits of minutes take no real time. */
let now: number;
let sleeps: number[];
const fakeClock = {
  now: () => now,
  sleep: async (ms: number) => {
    sleeps.push(ms);
    now += ms;
  },
};
/** The wait budget the tests give each event (the real handler derives it from the Lambda's remaining time). */
const WAIT_BUDGET_MS = 120_000;

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

/** GetOauth2CredentialProvider's answer in a given state. */
const described = (status: string, failureReason?: string) => ({
  ...providerResponse,
  credentialProviderVendor: 'GithubOauth2' as const,
  clientSecretArn: { secretArn: SECRET_ARN },
  oauth2ProviderConfigOutput: undefined,
  createdTime: new Date(0),
  lastUpdatedTime: new Date(0),
  status: status as 'READY',
  failureReason,
});
const notFound = () => new ResourceNotFoundException({ message: 'not found', ...metadata });
const getCalls = () => agentCore.commandCalls(GetOauth2CredentialProviderCommand).length;

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
  now = 1_000_000;
  sleeps = [];
  const capture = (...args: unknown[]) => void logged.push(args);
  onEvent = createOnEventHandler(
    createProviderClients({
      region: 'ap-southeast-2',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
    { info: capture, warn: capture, error: capture },
    { clock: fakeClock, maxWaitMs: WAIT_BUDGET_MS },
  );
  // By default AgentCore has finished whatever was asked: the provider is READY.
  agentCore.on(GetOauth2CredentialProviderCommand).resolves(described('READY'));
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
      Data: {
        ProviderName: 'github-provider',
        ProviderArn: PROVIDER_ARN,
        CallbackUrl: CALLBACK_URL,
        Adopted: 'false',
      },
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
    expect(sent).toHaveLength(2); // Create, then the READY check
    for (const input of sent) {
      expect(input).not.toContain(CLIENT_SECRET);
      expect(input).not.toMatch(/"clientSecret"\s*:/);
    }
    expect(JSON.stringify(logged)).not.toContain(CLIENT_SECRET);
  });

  it('adopts a provider that already exists under the name by updating it, when told to', async () => {
    agentCore
      .on(CreateOauth2CredentialProviderCommand)
      .rejects(new ConflictException({ message: 'Credential provider already exists', ...metadata }));
    agentCore.on(UpdateOauth2CredentialProviderCommand).resolves(providerResponse);

    const result = await onEvent(createEvent({ AdoptExisting: 'true' }));

    expect(result).toMatchObject({
      PhysicalResourceId: 'adopted:github-provider',
      Data: { ProviderName: 'github-provider', Adopted: 'true' },
    });
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
    agentCore.on(UpdateOauth2CredentialProviderCommand).resolves(providerResponse);

    expect(await onEvent(createEvent({ AdoptExisting: 'true' }))).toMatchObject({
      Data: { Adopted: 'true' },
    });
  });

  it('reports a validation error as such when no provider of that name exists', async () => {
    agentCore.on(CreateOauth2CredentialProviderCommand).rejects(
      new ValidationException({
        message: 'Invalid clientId',
        reason: 'FieldValidationFailed',
        ...metadata,
      }),
    );
    agentCore.on(GetOauth2CredentialProviderCommand).rejects(notFound());

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
      Data: { ProviderName: 'github-provider', ProviderArn: PROVIDER_ARN },
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
    agentCore.on(UpdateOauth2CredentialProviderCommand).rejects(notFound());
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

    const result = await onEvent(updateEvent('github-provider'));

    expect(result).toMatchObject({ Data: { CallbackUrl: CALLBACK_URL } });
  });
});

describe('Delete', () => {
  it('deletes the provider named by the physical id', async () => {
    agentCore.on(DeleteOauth2CredentialProviderCommand).resolves({});
    agentCore.on(GetOauth2CredentialProviderCommand).rejects(notFound());

    const result = await onEvent(deleteEvent('github-provider'));

    expect(result).toEqual({ PhysicalResourceId: 'github-provider' });
    expect(agentCore).toHaveReceivedCommandExactlyOnceWith(DeleteOauth2CredentialProviderCommand, {
      name: 'github-provider',
    });
  });

  it('succeeds when the provider is already gone', async () => {
    agentCore.on(DeleteOauth2CredentialProviderCommand).rejects(notFound());

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
    agentCore.on(GetOauth2CredentialProviderCommand).rejects(notFound());

    await onEvent(deleteEvent('github-provider'));

    expect(secrets.calls()).toHaveLength(0);
  });
});

describe('waiting for AgentCore to finish', () => {
  it('creates, waits through CREATING, and succeeds once the provider is READY', async () => {
    agentCore.on(CreateOauth2CredentialProviderCommand).resolves({ ...providerResponse, status: 'CREATING' });
    agentCore
      .on(GetOauth2CredentialProviderCommand)
      .resolvesOnce(described('CREATING'))
      .resolvesOnce(described('CREATING'))
      .resolves(described('READY'));

    const result = await onEvent(createEvent());

    expect(result).toMatchObject({
      PhysicalResourceId: 'github-provider',
      Data: { ProviderArn: PROVIDER_ARN },
    });
    expect(getCalls()).toBe(3);
    expect(sleeps).toEqual([1_000, 2_000]);
  });

  it("fails a create with AgentCore's failureReason and deletes the failed provider", async () => {
    agentCore.on(CreateOauth2CredentialProviderCommand).resolves({ ...providerResponse, status: 'CREATING' });
    agentCore
      .on(GetOauth2CredentialProviderCommand)
      .resolvesOnce(described('CREATING'))
      .resolves(described('CREATE_FAILED', 'Unable to read client secret from the referenced secret'));
    agentCore.on(DeleteOauth2CredentialProviderCommand).resolves({});

    const reason = await failureReason(createEvent());

    expect(reason).toBe(
      'ProviderFailure: AgentCore reports credential provider "github-provider" as CREATE_FAILED: Unable to read ' +
        'client secret from the referenced secret. The new provider "github-provider" is being deleted again.',
    );
    expect(agentCore).toHaveReceivedCommandWith(DeleteOauth2CredentialProviderCommand, {
      name: 'github-provider',
    });
  });

  it('says how to clean up by hand when deleting a failed create fails too', async () => {
    agentCore.on(CreateOauth2CredentialProviderCommand).resolves(providerResponse);
    agentCore.on(GetOauth2CredentialProviderCommand).resolves(described('CREATE_FAILED', 'boom'));
    agentCore
      .on(DeleteOauth2CredentialProviderCommand)
      .rejects(new ConflictException({ message: 'busy', ...metadata }));

    const reason = await failureReason(createEvent());

    expect(reason).toContain('delete-oauth2-credential-provider --name github-provider');
  });

  it("fails an update with AgentCore's failureReason and leaves the provider alone", async () => {
    agentCore.on(UpdateOauth2CredentialProviderCommand).resolves({ ...providerResponse, status: 'UPDATING' });
    agentCore
      .on(GetOauth2CredentialProviderCommand)
      .resolvesOnce(described('UPDATING'))
      .resolves(described('UPDATE_FAILED', 'Invalid client id'));

    const reason = await failureReason(updateEvent('github-provider'));

    expect(reason).toBe(
      'ProviderFailure: AgentCore reports credential provider "github-provider" as UPDATE_FAILED: Invalid client id',
    );
    expect(agentCore).not.toHaveReceivedCommand(DeleteOauth2CredentialProviderCommand);
  });

  it('gives up at the deadline with backoff capped at 15 s, and says what it last saw', async () => {
    agentCore.on(CreateOauth2CredentialProviderCommand).resolves(providerResponse);
    agentCore.on(GetOauth2CredentialProviderCommand).resolves(described('CREATING'));
    agentCore.on(DeleteOauth2CredentialProviderCommand).resolves({});

    const reason = await failureReason(createEvent());

    expect(reason).toMatch(
      /^ProviderFailure: Credential provider "github-provider" was still CREATING after 120 s; check it with aws bedrock-agentcore-control get-oauth2-credential-provider --name github-provider/,
    );
    expect(sleeps.slice(0, 6)).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(WAIT_BUDGET_MS);
  });

  it('waits for a deleted provider to be gone before reporting the delete', async () => {
    agentCore.on(DeleteOauth2CredentialProviderCommand).resolves({});
    agentCore
      .on(GetOauth2CredentialProviderCommand)
      .resolvesOnce(described('DELETING'))
      .resolvesOnce(described('DELETING'))
      .rejects(notFound());

    await expect(onEvent(deleteEvent('github-provider'))).resolves.toEqual({
      PhysicalResourceId: 'github-provider',
    });
    expect(getCalls()).toBe(3);
  });

  it("fails a delete with AgentCore's failureReason on DELETE_FAILED", async () => {
    agentCore.on(DeleteOauth2CredentialProviderCommand).resolves({});
    agentCore.on(GetOauth2CredentialProviderCommand).resolves(described('DELETE_FAILED', 'Vault is locked'));

    const reason = await failureReason(deleteEvent('github-provider'));

    expect(reason).toBe(
      'ProviderFailure: AgentCore could not delete credential provider "github-provider" (DELETE_FAILED): Vault is locked',
    );
  });

  it('fails a delete that is still DELETING at the deadline', async () => {
    agentCore.on(DeleteOauth2CredentialProviderCommand).resolves({});
    agentCore.on(GetOauth2CredentialProviderCommand).resolves(described('DELETING'));

    const reason = await failureReason(deleteEvent('github-provider'));

    expect(reason).toMatch(/was still DELETING 120 s after it was deleted/);
  });

  it('deploys right after a destroy: waits for the old provider of the same name to go, then creates', async () => {
    agentCore
      .on(CreateOauth2CredentialProviderCommand)
      .rejectsOnce(new ConflictException({ message: 'already exists', ...metadata }))
      .resolves(providerResponse);
    agentCore
      .on(GetOauth2CredentialProviderCommand)
      .resolvesOnce(described('DELETING'))
      .resolvesOnce(described('DELETING'))
      .rejectsOnce(notFound())
      .resolves(described('READY'));

    const result = await onEvent(createEvent());

    expect(result).toMatchObject({ PhysicalResourceId: 'github-provider', Data: { Adopted: 'false' } });
    expect(agentCore).toHaveReceivedCommandTimes(CreateOauth2CredentialProviderCommand, 2);
    expect(agentCore).not.toHaveReceivedCommand(UpdateOauth2CredentialProviderCommand);
  });

  it("takes its wait budget from the Lambda's remaining time, keeping time back for the calls after it", () => {
    const remaining = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

    expect(waitBudgetMs(remaining(600_000), MAX_WAIT_MS)).toBe(MAX_WAIT_MS);
    expect(waitBudgetMs(remaining(300_000), MAX_WAIT_MS)).toBe(300_000 - RESERVED_MS);
    expect(waitBudgetMs(remaining(30_000), MAX_WAIT_MS)).toBe(0);
  });
});

describe('adoption of an existing provider', () => {
  const taken = () =>
    agentCore
      .on(CreateOauth2CredentialProviderCommand)
      .rejects(new ConflictException({ message: 'Credential provider already exists', ...metadata }));

  it('fails by default, saying how to adopt or rename, and changes nothing', async () => {
    taken();

    const reason = await failureReason(createEvent());

    expect(reason).toMatch(/^ProviderFailure: Credential provider "github-provider" already exists/);
    expect(reason).toContain('-c adoptExistingProvider=true');
    expect(reason).toContain('-c providerName=<another name>');
    expect(agentCore).not.toHaveReceivedCommand(UpdateOauth2CredentialProviderCommand);
    expect(agentCore).not.toHaveReceivedCommand(DeleteOauth2CredentialProviderCommand);
  });

  it("never takes over another stack's provider on a rename either", async () => {
    taken();

    const reason = await failureReason(
      updateEvent('github-provider', { ProviderName: 'other-stacks-provider' }),
    );

    expect(reason).toContain('"other-stacks-provider" already exists');
    expect(agentCore).not.toHaveReceivedCommand(UpdateOauth2CredentialProviderCommand);
  });

  it('keeps an adopted provider when the stack is deleted or rolled back', async () => {
    await onEvent(deleteEvent('adopted:github-provider'));

    expect(agentCore).not.toHaveReceivedCommand(DeleteOauth2CredentialProviderCommand);
  });

  it('deletes an adopted provider when the operator asked for it', async () => {
    agentCore.on(DeleteOauth2CredentialProviderCommand).resolves({});
    agentCore.on(GetOauth2CredentialProviderCommand).rejects(notFound());

    await onEvent(deleteEvent('adopted:github-provider', { DeleteAdoptedOnDelete: 'true' }));

    expect(agentCore).toHaveReceivedCommandExactlyOnceWith(DeleteOauth2CredentialProviderCommand, {
      name: 'github-provider',
    });
  });

  it('keeps even an adopted provider when RetainOnDelete is set', async () => {
    await onEvent(
      deleteEvent('adopted:github-provider', { DeleteAdoptedOnDelete: 'true', RetainOnDelete: 'true' }),
    );

    expect(agentCore).not.toHaveReceivedCommand(DeleteOauth2CredentialProviderCommand);
  });

  it('stays adopted across an in-place update', async () => {
    agentCore.on(UpdateOauth2CredentialProviderCommand).resolves(providerResponse);

    const result = await onEvent(
      updateEvent('adopted:github-provider', { ClientId: 'Ov23liRotatedClient2' }),
    );

    expect(result).toMatchObject({
      PhysicalResourceId: 'adopted:github-provider',
      Data: { Adopted: 'true' },
    });
  });

  it('keeps the adopted physical id when it re-creates a provider deleted outside the stack', async () => {
    agentCore.on(UpdateOauth2CredentialProviderCommand).rejects(notFound());
    agentCore.on(CreateOauth2CredentialProviderCommand).resolves(providerResponse);

    const result = await onEvent(updateEvent('adopted:github-provider'));

    expect(result).toMatchObject({ PhysicalResourceId: 'adopted:github-provider' });
  });

  it('moves from an adopted provider to a new name by creating the new one (the old one is then kept)', async () => {
    agentCore
      .on(CreateOauth2CredentialProviderCommand)
      .resolves({ ...providerResponse, name: 'github-renamed' });

    const result = await onEvent(updateEvent('adopted:github-provider', { ProviderName: 'github-renamed' }));

    expect(result).toMatchObject({ PhysicalResourceId: 'github-renamed', Data: { Adopted: 'false' } });
  });
});
