import {
  BedrockAgentCoreControlClient,
  GetOauth2CredentialProviderCommand,
  GetWorkloadIdentityCommand,
} from '@aws-sdk/client-bedrock-agentcore-control';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDoctorPorts } from '../../bin/doctor/adapters';
import { type DoctorIo, runDoctorCli } from '../../bin/doctor/main';
import type { CheckResult } from '../../bin/doctor/result';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import {
  type AwsQueryStandin,
  type AwsQueryStandinOptions,
  startAwsQueryStandin,
} from '../support/aws-query-standin';

/**
 * `npm run doctor` end to end (bin/doctor/main.ts `runDoctorCli`, in-process): the real adapters against the local
 * server (the chat function behind its function-URL stand-in, with the Bedrock stand-in as its model and as doctor's
 * probe target), the AWS Query stand-in for STS/CloudFormation/IAM, and SDK mocks for Secrets Manager and the
 * AgentCore control plane, which have no stand-in. The stack's ChatUrl is a real-looking function URL that the
 * injected fetch routes to the local server, so the SigV4 signing path runs.
 */

const FUNCTION_URL = 'https://abcdefghij0123456789klmnopqrstuv.lambda-url.ap-southeast-2.on.aws/';
const CLIENT_ID = 'Ov23liAbCdEfGhIjKlMn';
const CALLBACK = 'https://bedrock-agentcore.ap-southeast-2.amazonaws.com/identities/oauth2/callback/3f5e7a9b';
const POLICY_ARN = 'arn:aws:iam::111122223333:policy/GitHubCodingAgent-ChatInvokePolicy';
const FUNCTION_ARN = 'arn:aws:lambda:ap-southeast-2:111122223333:function:GitHubCodingAgent-Chat';
const OUTPUTS = {
  ChatUrl: FUNCTION_URL,
  GitHubCallbackUrl: CALLBACK,
  OAuthProviderArn:
    'arn:aws:bedrock-agentcore:ap-southeast-2:111122223333:token-vault/default/oauth2credentialprovider/github-provider',
  WorkloadIdentityName: 'github-coding-agent',
  SessionsTableName: 'sessions',
  PlansTableName: 'plans',
  ChatInvokePolicyArn: POLICY_ARN,
};
const SCOPED_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'lambda:InvokeFunctionUrl',
      Resource: FUNCTION_ARN,
      Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
    },
    {
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: FUNCTION_ARN,
      Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
    },
  ],
};
const SECRET_VALUE = 'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed';

const secrets = mockClient(SecretsManagerClient);
const control = mockClient(BedrockAgentCoreControlClient);
let healthyServer: LocalServer;
let query: AwsQueryStandin;
const standins: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  healthyServer = await startLocalServer({ offline: true, logLevel: 'SILENT' });
  query = await startAwsQueryStandin({
    stacks: { GitHubCodingAgent: { status: 'UPDATE_COMPLETE', outputs: OUTPUTS } },
    policies: { [POLICY_ARN]: SCOPED_POLICY },
  });
});

afterEach(async () => {
  secrets.reset();
  control.reset();
  for (const standin of standins.splice(0)) await standin.close();
});

afterAll(async () => {
  secrets.restore();
  control.restore();
  await query.close();
  await healthyServer.close();
});

/** A healthy account and deployment, as the SDK mocks answer. */
function mockHealthyAws(): void {
  secrets
    .on(GetSecretValueCommand)
    .resolves({ SecretString: JSON.stringify({ clientSecret: SECRET_VALUE }) });
  control.on(GetOauth2CredentialProviderCommand).resolves({
    name: 'github-provider',
    status: 'READY',
    callbackUrl: CALLBACK,
    credentialProviderVendor: 'GithubOauth2',
    oauth2ProviderConfigOutput: {
      githubOauth2ProviderConfig: { clientId: CLIENT_ID, oauthDiscovery: undefined },
    },
    credentialProviderArn: OUTPUTS.OAuthProviderArn,
    clientSecretArn: undefined,
    createdTime: undefined,
    lastUpdatedTime: undefined,
  });
  control.on(GetWorkloadIdentityCommand).resolves({
    name: 'github-coding-agent',
    workloadIdentityArn: 'arn',
    allowedResourceOauth2ReturnUrls: ['http://localhost:8976/oauth/callback'],
    createdTime: undefined,
    lastUpdatedTime: undefined,
  });
}

interface DoctorRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Authorization headers of the requests that reached the function URL. */
  functionUrlAuthorizations: Array<string | undefined>;
}

/** Runs doctor in-process as `npm run doctor -- <argv>` would, against `server` and the Query stand-in `aws`. */
async function doctor(argv: string[], server: LocalServer, aws: AwsQueryStandin = query): Promise<DoctorRun> {
  let stdout = '';
  let stderr = '';
  const functionUrlAuthorizations: Array<string | undefined> = [];
  // The stack's function URL is served by the local server; everything else goes where it says.
  const routed: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(FUNCTION_URL)) return fetch(input, init);
    const headers = (init?.headers ?? {}) as Record<string, string>;
    functionUrlAuthorizations.push(headers.authorization);
    return fetch(new URL(url.slice(FUNCTION_URL.length), `${server.url}/`), init);
  };
  const io: DoctorIo = {
    argv,
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: '/nowhere',
    readCdkJson: async () => ({ context: { githubClientId: CLIENT_ID } }),
    createPorts: (settings) =>
      createDoctorPorts({
        region: settings.region,
        credentials: { accessKeyId: 'AKIDOPERATOR', secretAccessKey: 'operator-secret' },
        env: { AWS_ENDPOINT_URL: aws.url, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: server.bedrock?.url },
        fetch: routed,
      }),
  };
  const code = await runDoctorCli(io);
  return { code, stdout, stderr, functionUrlAuthorizations };
}

const statuses = (results: CheckResult[]) =>
  Object.fromEntries(results.map((check) => [check.id, check.status]));

describe('npm run doctor, end to end against the stand-ins', () => {
  it('passes every check of a healthy deployment and exits 0', async () => {
    mockHealthyAws();

    const run = await doctor(['--phase', 'all'], healthyServer);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'Doctor: stack GitHubCodingAgent in ap-southeast-2, all checks (--phase all)',
    );
    expect(run.stdout).toMatch(/✔ One chat turn +session \S+: \d+ events ending in done/);
    expect(run.stdout).toContain(`✔ Callback URL                     ${CALLBACK}`);
    expect(run.stdout).toContain('11 passed, 0 failed, 0 warnings, 1 skipped');
    expect(run.stdout).not.toContain(SECRET_VALUE);
  });

  it('signs the health check and the chat turn for the function URL with SigV4 (service lambda)', async () => {
    mockHealthyAws();

    const run = await doctor(['--phase', 'after'], healthyServer);

    expect(run.functionUrlAuthorizations).toHaveLength(2);
    for (const authorization of run.functionUrlAuthorizations) {
      expect(authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDOPERATOR\/\d{8}\/ap-southeast-2\/lambda\/aws4_request/,
      );
    }
  });

  it('chooses the after phase by itself when it finds the stack outputs (credentials checked first)', async () => {
    mockHealthyAws();

    const run = await doctor([], healthyServer);

    expect(run.stdout).toContain('after checks (stack outputs found in CloudFormation)');
    expect(run.stdout).toContain('✔ AWS credentials and Region');
    expect(run.stdout).not.toContain('Bedrock model');
  });

  it('prints one JSON document with each check id, status, detail, fix and doc anchor', async () => {
    mockHealthyAws();

    const run = await doctor(['--phase', 'all', '--json'], healthyServer);
    const report = JSON.parse(run.stdout) as { ok: boolean; phase: string; checks: CheckResult[] };

    expect(report.ok).toBe(true);
    expect(report.phase).toBe('all');
    expect(report.checks.map((check) => check.id)).toEqual([
      'credentials',
      'bedrock-model',
      'client-secret',
      'github-client-id',
      'stack-outputs',
      'oauth-provider',
      'callback-url',
      'github-callback',
      'workload-return-urls',
      'health',
      'chat-turn',
      'invoke-policy',
    ]);
    expect(report.checks.find((check) => check.id === 'github-callback')).toMatchObject({
      status: 'skip',
      fix: expect.stringContaining(`client_id=${CLIENT_ID}`),
      doc: 'docs/troubleshooting.md#doctor-check-github-callback',
    });
  });

  it('checks the local server of npm run dev without AWS: health and a chat turn, unsigned', async () => {
    const before = query.requests.length;

    const run = await doctor(['--url', healthyServer.url], healthyServer);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✔ GET /health');
    expect(run.stdout).toContain('(local server, unsigned)');
    expect(run.stdout).toMatch(/✔ One chat turn/);
    expect(query.requests.length).toBe(before);
  });

  it('fails a broken deployment with a fix and a troubleshooting anchor for each ✘, and exits 1', async () => {
    // The model refuses the account twice: doctor's probe, then the chat function's own call.
    const refusal = {
      kind: 'http_error',
      status: 404,
      type: 'ResourceNotFoundException',
      message:
        'Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model.',
    } as const;
    const broken = await startLocalServer({ offline: true, logLevel: 'SILENT', script: [refusal, refusal] });
    standins.push(broken);
    const aws = await startAwsQueryStandin({
      stacks: { GitHubCodingAgent: { status: 'UPDATE_COMPLETE', outputs: OUTPUTS } },
      policies: {
        [POLICY_ARN]: { Statement: [SCOPED_POLICY.Statement[0]] },
      } satisfies AwsQueryStandinOptions['policies'],
    });
    standins.push(aws);
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ client_secret: SECRET_VALUE }) });
    control.on(GetOauth2CredentialProviderCommand).resolves({
      name: 'github-provider',
      status: 'CREATE_FAILED',
      failureReason: 'Unable to read the client secret: the secret has no key clientSecret',
      credentialProviderVendor: 'GithubOauth2',
      credentialProviderArn: OUTPUTS.OAuthProviderArn,
      clientSecretArn: undefined,
      oauth2ProviderConfigOutput: undefined,
      createdTime: undefined,
      lastUpdatedTime: undefined,
    });
    control.on(GetWorkloadIdentityCommand).resolves({
      name: 'github-coding-agent',
      workloadIdentityArn: 'arn',
      allowedResourceOauth2ReturnUrls: ['http://localhost:9999/oauth/callback'],
      createdTime: undefined,
      lastUpdatedTime: undefined,
    });

    const run = await doctor(['--phase', 'all', '--json'], broken, aws);
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: CheckResult[] };

    expect(run.code).toBe(1);
    expect(report.ok).toBe(false);
    expect(statuses(report.checks)).toEqual({
      credentials: 'pass',
      'bedrock-model': 'fail',
      'client-secret': 'fail',
      'github-client-id': 'pass',
      'stack-outputs': 'pass',
      'oauth-provider': 'fail',
      'callback-url': 'pass',
      'github-callback': 'skip',
      'workload-return-urls': 'fail',
      health: 'pass',
      'chat-turn': 'fail',
      'invoke-policy': 'fail',
    });
    for (const check of report.checks.filter((c) => c.status === 'fail')) {
      expect(check.fix, check.id).toBeTruthy();
      expect(check.doc).toBe(`docs/troubleshooting.md#doctor-check-${check.id}`);
    }
    expect(report.checks.find((check) => check.id === 'chat-turn')?.detail).toContain('model_validation');
    expect(run.stdout).not.toContain(SECRET_VALUE);
  });
});
