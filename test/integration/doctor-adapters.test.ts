import {
  BedrockAgentCoreControlClient,
  GetOauth2CredentialProviderCommand,
  GetWorkloadIdentityCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-bedrock-agentcore-control';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDoctorPorts } from '../../bin/doctor/adapters';
import { checkCredentials } from '../../bin/doctor/checks/credentials';
import { checkModel } from '../../bin/doctor/checks/model';
import type { DoctorPorts } from '../../bin/doctor/ports';
import {
  type AwsQueryStandin,
  type AwsQueryStandinOptions,
  startAwsQueryStandin,
} from '../support/aws-query-standin';
import { type BedrockStandin, startBedrockStandin } from '../support/bedrock-standin';

const REGION = 'ap-southeast-2';
const CREDENTIALS = { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'standin-secret' };
const POLICY_ARN = 'arn:aws:iam::111122223333:policy/Chat-InvokePolicy';
const POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*', Condition: { Bool: { a: 'b' } } },
  ],
};

let query: AwsQueryStandin;
let bedrock: BedrockStandin;

beforeAll(async () => {
  query = await startAwsQueryStandin({
    stacks: {
      GitHubCodingAgent: {
        status: 'UPDATE_COMPLETE',
        outputs: { ChatUrl: 'https://abc.lambda-url.ap-southeast-2.on.aws/', WorkloadIdentityName: 'a&b' },
      },
    },
    policies: { [POLICY_ARN]: POLICY },
  });
  bedrock = await startBedrockStandin();
});

afterAll(async () => {
  await query.close();
  await bedrock.close();
});

const opened: DoctorPorts[] = [];
afterEach(() => {
  for (const port of opened.splice(0)) port.close();
});

/** Real adapters pointed at the stand-ins (or at a stand-in of their own, answering with `faults`). */
async function ports(
  own?: AwsQueryStandinOptions,
): Promise<{ standin: AwsQueryStandin; ports: DoctorPorts }> {
  const standin = own ? await startAwsQueryStandin(own) : query;
  const real = createDoctorPorts({
    region: REGION,
    credentials: CREDENTIALS,
    env: { AWS_ENDPOINT_URL: standin.url, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url },
  });
  opened.push(real);
  return { standin, ports: real };
}

describe('doctor adapters: AWS Query calls (STS, CloudFormation, IAM) against the stand-in', () => {
  it('reads the caller identity, signed for STS in the stack Region', async () => {
    const { ports: real } = await ports();

    const identity = await real.callerIdentity();

    expect(identity).toEqual({ account: '111122223333', arn: 'arn:aws:iam::111122223333:user/operator' });
    expect(query.requests.at(-1)).toMatchObject({
      action: 'GetCallerIdentity',
      signedFor: { region: REGION, service: 'sts' },
    });
  });

  it('reads the stack status and outputs, entities decoded', async () => {
    const { ports: real } = await ports();

    const stack = await real.describeStack('GitHubCodingAgent');

    expect(stack).toEqual({
      status: 'UPDATE_COMPLETE',
      statusReason: undefined,
      outputs: { ChatUrl: 'https://abc.lambda-url.ap-southeast-2.on.aws/', WorkloadIdentityName: 'a&b' },
    });
  });

  it('answers undefined for a stack that does not exist', async () => {
    const { ports: real } = await ports();

    expect(await real.describeStack('Nope')).toBeUndefined();
  });

  it("reads the policy's default version document, signed for IAM's us-east-1", async () => {
    const { ports: real } = await ports();

    const document = await real.policyDocument(POLICY_ARN);

    expect(JSON.parse(document)).toEqual(POLICY);
    expect(query.requests.at(-1)).toMatchObject({
      action: 'GetPolicyVersion',
      params: { PolicyArn: POLICY_ARN, VersionId: 'v1' },
      signedFor: { region: 'us-east-1', service: 'iam' },
    });
  });

  it("turns STS's ExpiredToken answer into the credentials finding", async () => {
    const { standin, ports: real } = await ports({
      faults: {
        GetCallerIdentity: {
          status: 403,
          code: 'ExpiredToken',
          message: 'The security token included in the request is expired',
        },
      },
    });

    const { finding } = await checkCredentials(real, { region: REGION, regionSource: 'context' });
    await standin.close();

    expect(finding).toMatchObject({ status: 'fail', detail: expect.stringContaining('expired') });
  });
});

describe('doctor adapters: the Bedrock probe against the Bedrock stand-in', () => {
  it('sends one Converse request with maxTokens 1 and passes on an answer', async () => {
    const { ports: real } = await ports();
    bedrock.enqueue({ kind: 'reply', text: 'O' });

    const finding = await checkModel(real, 'au.anthropic.claude-sonnet-4-6', REGION);

    expect(finding.status).toBe('pass');
    expect(bedrock.requests.at(-1)).toMatchObject({
      operation: 'Converse',
      modelId: 'au.anthropic.claude-sonnet-4-6',
      body: { inferenceConfig: { maxTokens: 1 } },
    });
  });

  it("maps Bedrock's use-case error, as the SDK raises it, to the use-case form", async () => {
    const { ports: real } = await ports();
    bedrock.enqueue({
      kind: 'http_error',
      status: 404,
      type: 'ResourceNotFoundException',
      message:
        'Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model.',
    });

    const finding = await checkModel(real, 'au.anthropic.claude-sonnet-4-6', REGION);

    expect(finding).toMatchObject({ status: 'fail', fix: expect.stringContaining('first-time-use form') });
  });
});

describe('doctor adapters: Secrets Manager and the AgentCore control plane (SDK mocks)', () => {
  const secrets = mockClient(SecretsManagerClient);
  const control = mockClient(BedrockAgentCoreControlClient);
  afterEach(() => {
    secrets.reset();
    control.reset();
  });
  afterAll(() => {
    secrets.restore();
    control.restore();
  });

  it('reads the secret string and says whether there is a binary value', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: 'github-coding-agent/oauth' })
      .resolves({ SecretString: '{}' });
    const { ports: real } = await ports();

    expect(await real.secretValue('github-coding-agent/oauth')).toEqual({ text: '{}', binary: false });
  });

  it("maps the provider's status, failure reason, callback URL and client id", async () => {
    control.on(GetOauth2CredentialProviderCommand, { name: 'github-provider' }).resolves({
      name: 'github-provider',
      status: 'UPDATE_FAILED',
      failureReason: 'Secret not found',
      callbackUrl: 'https://bedrock-agentcore.ap-southeast-2.amazonaws.com/identities/oauth2/callback/x',
      credentialProviderVendor: 'GithubOauth2',
      oauth2ProviderConfigOutput: {
        githubOauth2ProviderConfig: { clientId: 'Ov23liAbCdEfGhIjKlMn', oauthDiscovery: undefined },
      },
      credentialProviderArn: 'arn',
      clientSecretArn: undefined,
      createdTime: undefined,
      lastUpdatedTime: undefined,
    });
    const { ports: real } = await ports();

    expect(await real.oauthProvider('github-provider')).toEqual({
      name: 'github-provider',
      status: 'UPDATE_FAILED',
      failureReason: 'Secret not found',
      callbackUrl: 'https://bedrock-agentcore.ap-southeast-2.amazonaws.com/identities/oauth2/callback/x',
      vendor: 'GithubOauth2',
      clientId: 'Ov23liAbCdEfGhIjKlMn',
    });
  });

  it('answers undefined for a provider or workload identity that does not exist', async () => {
    const notFound = new ResourceNotFoundException({ message: 'not found', $metadata: {} });
    control.on(GetOauth2CredentialProviderCommand).rejects(notFound);
    control.on(GetWorkloadIdentityCommand).rejects(notFound);
    const { ports: real } = await ports();

    expect(await real.oauthProvider('gone')).toBeUndefined();
    expect(await real.workloadIdentity('gone')).toBeUndefined();
  });
});
