import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../bin/doctor/args';
import { checkClientId } from '../../bin/doctor/checks/client-id';
import { checkCredentials } from '../../bin/doctor/checks/credentials';
import { attachFix } from '../../bin/doctor/checks/endpoint';
import { checkModel } from '../../bin/doctor/checks/model';
import { analyseInvokePolicy, checkInvokePolicy } from '../../bin/doctor/checks/policy';
import { checkCallbackUrl, checkGitHubCallback, checkProvider } from '../../bin/doctor/checks/provider';
import { checkClientSecret } from '../../bin/doctor/checks/secret';
import { checkStackOutputs } from '../../bin/doctor/checks/stack';
import { checkWorkloadReturnUrls } from '../../bin/doctor/checks/workload';
import { lookUpOutputs, providerNameFromArn } from '../../bin/doctor/outputs';
import { CHECK_IDS, docAnchor } from '../../bin/doctor/result';
import { resolveSettings } from '../../bin/doctor/settings';

/** An SDK-style error: what the adapters let through. */
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });
const rejecting = (error: Error) => () => Promise.reject(error);

const REGION = 'ap-southeast-2';
const CALLBACK = 'https://bedrock-agentcore.ap-southeast-2.amazonaws.com/identities/oauth2/callback/0f1e2d3c';
const SECRET_REF = { name: 'github-coding-agent/oauth', jsonKey: 'clientSecret', region: REGION };
const SECRET_VALUE = '0123456789abcdef0123456789abcdef01234567';
const OUTPUTS = {
  ChatUrl: 'https://abc.lambda-url.ap-southeast-2.on.aws/',
  GitHubCallbackUrl: CALLBACK,
  OAuthProviderArn:
    'arn:aws:bedrock-agentcore:ap-southeast-2:111122223333:token-vault/default/oauth2credentialprovider/github-provider',
  WorkloadIdentityName: 'github-coding-agent',
  ChatInvokePolicyArn: 'arn:aws:iam::111122223333:policy/Chat-InvokePolicy',
};

describe('doctor check: credentials', () => {
  it('passes with the caller and the Region it came from', async () => {
    const identity = { account: '111122223333', arn: 'arn:aws:iam::111122223333:user/alice' };

    const { finding } = await checkCredentials(
      { callerIdentity: async () => identity },
      { region: REGION, regionSource: 'context' },
    );

    expect(finding).toEqual({
      status: 'pass',
      detail: `${identity.arn} (account 111122223333) in ${REGION} (Region from context)`,
    });
  });

  it('fails on expired credentials with the credentials fix', async () => {
    const { finding } = await checkCredentials(
      {
        callerIdentity: rejecting(
          awsError('ExpiredToken', 'The security token included in the request is expired'),
        ),
      },
      { region: REGION, regionSource: 'default' },
    );

    expect(finding.status).toBe('fail');
    expect(finding.detail).toContain('expired');
    expect(finding.fix).toContain('aws sso login');
  });

  it('fails on an unreachable Regional endpoint, naming the Region', async () => {
    const unreachable = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }),
    });

    const { finding } = await checkCredentials(
      { callerIdentity: rejecting(unreachable) },
      { region: 'ap-southeast-9', regionSource: '--region' },
    );

    expect(finding.status).toBe('fail');
    expect(finding.detail).toContain('in ap-southeast-9');
    expect(finding.fix).toContain('Region is right and enabled');
  });
});

describe('doctor check: bedrock-model', () => {
  const MODEL = 'au.anthropic.claude-sonnet-4-6';
  const probeFailing = (name: string, message: string) => ({
    probeModel: rejecting(awsError(name, message)),
  });

  it('passes when the model answers', async () => {
    expect(await checkModel({ probeModel: async () => undefined }, MODEL, REGION)).toEqual({
      status: 'pass',
      detail: `${MODEL} answered in ${REGION}`,
    });
  });

  it('fails with the use-case form when Anthropic use case details are missing', async () => {
    const finding = await checkModel(
      probeFailing(
        'ResourceNotFoundException',
        'Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model.',
      ),
      MODEL,
      REGION,
    );

    expect(finding.status).toBe('fail');
    expect(finding.fix).toContain('first-time-use form');
  });

  it('fails with the Marketplace permissions when the subscription cannot be created', async () => {
    const finding = await checkModel(
      probeFailing(
        'AccessDeniedException',
        'Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model.',
      ),
      MODEL,
      REGION,
    );

    expect(finding.status).toBe('fail');
    expect(finding.fix).toContain('aws-marketplace:Subscribe');
  });

  it("warns when only doctor's own principal may not invoke the model", async () => {
    const finding = await checkModel(
      probeFailing(
        'AccessDeniedException',
        'User: arn:aws:iam::111122223333:user/ro is not authorized to perform: bedrock:InvokeModel on resource: x',
      ),
      MODEL,
      REGION,
    );

    expect(finding.status).toBe('warn');
  });

  it('fails a geographic profile used outside its geography with the model-id fix', async () => {
    const finding = await checkModel(
      probeFailing('ValidationException', 'The provided model identifier is invalid.'),
      'us.anthropic.claude-sonnet-4-6',
      REGION,
    );

    expect(finding.status).toBe('fail');
    expect(finding.fix).toContain('geographic profile');
  });

  it('fails a base model id that needs an inference profile', async () => {
    const finding = await checkModel(
      probeFailing(
        'ValidationException',
        "Invocation of model ID anthropic.claude-sonnet-4-6 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
      ),
      'anthropic.claude-sonnet-4-6',
      REGION,
    );

    expect(finding.fix).toContain('inference profile');
  });

  it('warns when the model is throttled (reachable, but busy)', async () => {
    const finding = await checkModel(probeFailing('ThrottlingException', 'Too many requests'), MODEL, REGION);

    expect(finding.status).toBe('warn');
  });
});

describe('doctor check: client-secret', () => {
  const secret = (text: string | undefined, binary = false) => ({
    secretValue: async () => ({ text, binary }),
  });

  it('passes when the JSON key holds a value, without printing it', async () => {
    const finding = await checkClientSecret(
      secret(JSON.stringify({ clientSecret: SECRET_VALUE })),
      SECRET_REF,
    );

    expect(finding.status).toBe('pass');
    expect(JSON.stringify(finding)).not.toContain(SECRET_VALUE);
  });

  it('fails on a missing key, naming the keys but never the values', async () => {
    const finding = await checkClientSecret(
      secret(JSON.stringify({ client_secret: SECRET_VALUE })),
      SECRET_REF,
    );

    expect(finding.status).toBe('fail');
    expect(finding.detail).toContain('its keys: client_secret');
    expect(JSON.stringify(finding)).not.toContain(SECRET_VALUE);
  });

  it('fails on a plain-text secret without echoing it', async () => {
    const finding = await checkClientSecret(secret(SECRET_VALUE), SECRET_REF);

    expect(finding.status).toBe('fail');
    expect(JSON.stringify(finding)).not.toContain(SECRET_VALUE);
  });

  it('fails on an empty value', async () => {
    expect((await checkClientSecret(secret('{"clientSecret":" "}'), SECRET_REF)).status).toBe('fail');
  });

  it('fails on a binary-only secret', async () => {
    expect((await checkClientSecret(secret(undefined, true), SECRET_REF)).detail).toContain('binary');
  });

  it('fails on a missing secret with the create command for its Region', async () => {
    const finding = await checkClientSecret(
      {
        secretValue: rejecting(
          awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret."),
        ),
      },
      SECRET_REF,
    );

    expect(finding.status).toBe('fail');
    expect(finding.fix).toContain(
      `aws secretsmanager create-secret --region ${REGION} --name github-coding-agent/oauth`,
    );
  });

  it('warns when the caller may not read the secret (inconclusive, not broken)', async () => {
    const finding = await checkClientSecret(
      {
        secretValue: rejecting(
          awsError('AccessDeniedException', 'not authorized to perform: secretsmanager:GetSecretValue'),
        ),
      },
      SECRET_REF,
    );

    expect(finding.status).toBe('warn');
  });
});

describe('doctor check: github-client-id', () => {
  it.each([
    ['Ov23liAbCdEfGhIjKlMn', 'pass'],
    ['0123456789abcdef0123', 'pass'],
    ['Iv1.0123456789abcdef', 'warn'],
    ['not-a-client-id', 'fail'],
  ])('%s is %s', (clientId, status) => {
    expect(checkClientId(clientId).status).toBe(status);
  });

  it('is skipped without a client id in the context', () => {
    expect(checkClientId(undefined).status).toBe('skip');
  });

  it('recognises a pasted client secret and never echoes it', () => {
    const finding = checkClientId(SECRET_VALUE);

    expect(finding.status).toBe('fail');
    expect(JSON.stringify(finding)).not.toContain(SECRET_VALUE);
  });
});

describe('doctor check: stack-outputs', () => {
  const found = (status: string, outputs: Record<string, string> = OUTPUTS, statusReason?: string) =>
    ({ kind: 'found', source: 'cloudformation', outputs, status, statusReason }) as const;

  it('passes a complete stack with every output', () => {
    expect(checkStackOutputs(found('UPDATE_COMPLETE'), 'GitHubCodingAgent', REGION).status).toBe('pass');
  });

  it('fails a stack that lacks an output', () => {
    const { ChatInvokePolicyArn: _dropped, ...older } = OUTPUTS;

    const finding = checkStackOutputs(found('CREATE_COMPLETE', older), 'GitHubCodingAgent', REGION);

    expect(finding).toMatchObject({ status: 'fail', detail: expect.stringContaining('ChatInvokePolicyArn') });
  });

  it('fails a rolled-back stack with its reason and the events command', () => {
    const finding = checkStackOutputs(
      found(
        'ROLLBACK_COMPLETE',
        OUTPUTS,
        'The following resource(s) failed to create: [GitHubOAuthProvider]',
      ),
      'GitHubCodingAgent',
      REGION,
    );

    expect(finding.detail).toContain('GitHubOAuthProvider');
    expect(finding.fix).toContain('describe-stack-events --stack-name GitHubCodingAgent');
  });

  it('warns while CloudFormation is still working', () => {
    expect(checkStackOutputs(found('UPDATE_IN_PROGRESS'), 'GitHubCodingAgent', REGION).status).toBe('warn');
  });

  it('fails when there is no stack, saying how to point doctor at one', () => {
    const finding = checkStackOutputs({ kind: 'missing', reason: 'No stack X' }, 'X', REGION);

    expect(finding.fix).toContain('--outputs-file');
  });

  it('is skipped for a local server', () => {
    expect(checkStackOutputs({ kind: 'local', url: 'http://127.0.0.1:8787' }, 'X', REGION).status).toBe(
      'skip',
    );
  });
});

describe('doctor: outputs lookup', () => {
  const file = (text: string) => ({
    readFile: async () => text,
    describeStack: () => Promise.reject(new Error('not called')),
  });

  it('reads the named stack from a cdk deploy --outputs-file document', async () => {
    const lookup = await lookUpOutputs(file(JSON.stringify({ Other: {}, Mine: OUTPUTS })), {
      stackName: 'Mine',
      region: REGION,
      outputsFile: 'outputs.json',
    });

    expect(lookup).toEqual({ kind: 'found', source: 'file', file: 'outputs.json', outputs: OUTPUTS });
  });

  it('asks for --stack when the file has several stacks and none of that name', async () => {
    const lookup = await lookUpOutputs(file(JSON.stringify({ A: {}, B: {} })), {
      stackName: 'Mine',
      region: REGION,
      outputsFile: 'outputs.json',
    });

    expect(lookup).toMatchObject({ kind: 'missing', reason: expect.stringContaining('pass --stack') });
  });

  it('takes the provider name from its ARN', () => {
    expect(providerNameFromArn(OUTPUTS.OAuthProviderArn)).toBe('github-provider');
  });
});

describe('doctor check: oauth-provider', () => {
  const provider = (status: string | undefined, failureReason?: string) => ({
    oauthProvider: async (name: string) => ({ name, status, failureReason, callbackUrl: CALLBACK }),
  });

  it('passes a READY provider and hands it on', async () => {
    const checked = await checkProvider(provider('READY'), 'github-provider', REGION);

    expect(checked.finding.status).toBe('pass');
    expect(checked.provider?.callbackUrl).toBe(CALLBACK);
  });

  it("fails a CREATE_FAILED provider with AgentCore's failure reason", async () => {
    const checked = await checkProvider(
      provider('CREATE_FAILED', 'Unable to retrieve client secret from Secrets Manager'),
      'github-provider',
      REGION,
    );

    expect(checked.finding).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('CREATE_FAILED: Unable to retrieve client secret'),
    });
  });

  it('warns while the provider is still being created', async () => {
    expect((await checkProvider(provider('CREATING'), 'github-provider', REGION)).finding.status).toBe(
      'warn',
    );
  });

  it('fails when the provider does not exist', async () => {
    const checked = await checkProvider({ oauthProvider: async () => undefined }, 'github-provider', REGION);

    expect(checked.finding.status).toBe('fail');
  });
});

describe('doctor check: callback-url and github-callback', () => {
  it('shows the callback URL to register', () => {
    expect(checkCallbackUrl(CALLBACK, { name: 'p', callbackUrl: CALLBACK })).toEqual({
      status: 'pass',
      detail: CALLBACK,
    });
  });

  it("fails when the output and the provider's callback URL differ", () => {
    const finding = checkCallbackUrl(CALLBACK, { name: 'p', callbackUrl: `${CALLBACK}-new` });

    expect(finding.status).toBe('fail');
  });

  it('prints the exact manual check, with the authorize URL for this client id and callback', () => {
    const finding = checkGitHubCallback(CALLBACK, 'Ov23liAbCdEfGhIjKlMn');

    expect(finding.status).toBe('skip');
    expect(finding.fix).toContain(`"Authorization callback URL" must be exactly ${CALLBACK}`);
    expect(finding.fix).toContain(
      `https://github.com/login/oauth/authorize?client_id=Ov23liAbCdEfGhIjKlMn&redirect_uri=${encodeURIComponent(CALLBACK)}`,
    );
  });
});

describe('doctor check: workload-return-urls', () => {
  const identity = (returnUrls: string[]) => ({
    workloadIdentity: async (name: string) => ({ name, returnUrls }),
  });

  it('passes when every context return URL is allowed', async () => {
    const finding = await checkWorkloadReturnUrls(
      identity(['http://localhost:8976/oauth/callback']),
      'github-coding-agent',
      ['http://localhost:8976/oauth/callback'],
      REGION,
    );

    expect(finding.status).toBe('pass');
  });

  it('fails naming the return URL the identity does not allow', async () => {
    const finding = await checkWorkloadReturnUrls(
      identity(['http://localhost:9999/oauth/callback']),
      'github-coding-agent',
      ['http://localhost:8976/oauth/callback'],
      REGION,
    );

    expect(finding).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('does not allow http://localhost:8976/oauth/callback'),
    });
  });
});

describe('doctor check: invoke-policy', () => {
  const ARN = OUTPUTS.ChatInvokePolicyArn;
  const FN = 'arn:aws:lambda:ap-southeast-2:111122223333:function:chat';
  const scoped = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: FN,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: FN,
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
    ],
  };
  const policy = (document: unknown) => ({ policyDocument: async () => JSON.stringify(document) });

  it('passes both actions with their conditions', async () => {
    expect((await checkInvokePolicy(policy(scoped), ARN, REGION)).status).toBe('pass');
  });

  it('warns when the actions carry no conditions', async () => {
    const broad = {
      Statement: {
        Effect: 'Allow',
        Action: ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction'],
        Resource: FN,
      },
    };

    const finding = await checkInvokePolicy(policy(broad), ARN, REGION);

    expect(finding.status).toBe('warn');
    expect(finding.detail).toContain('lambda:InvokeFunction without lambda:InvokedViaFunctionUrl');
  });

  it('fails when lambda:InvokeFunction is not allowed at all', async () => {
    const urlOnly = { Statement: [scoped.Statement[0]] };

    const finding = await checkInvokePolicy(policy(urlOnly), ARN, REGION);

    expect(finding).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('lambda:InvokeFunction'),
    });
  });

  it('fails when the policy does not exist', async () => {
    const finding = await checkInvokePolicy(
      { policyDocument: rejecting(awsError('NoSuchEntity', 'Policy does not exist')) },
      ARN,
      REGION,
    );

    expect(finding.status).toBe('fail');
  });

  it('reads action names case-insensitively and trailing wildcards', () => {
    const grants = analyseInvokePolicy(
      JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'Lambda:Invoke*' }] }),
    );

    expect(grants['lambda:InvokeFunction']).toEqual({ allowed: true, conditioned: false });
  });
});

describe('doctor: the fix for a refused invoke', () => {
  const policyArn = OUTPUTS.ChatInvokePolicyArn;

  it('names the user for an IAM user', () => {
    expect(attachFix({ callerArn: 'arn:aws:iam::1:user/team/alice', invokePolicyArn: policyArn })).toContain(
      `aws iam attach-user-policy --user-name alice --policy-arn ${policyArn}`,
    );
  });

  it('names the role for an assumed role', () => {
    expect(
      attachFix({ callerArn: 'arn:aws:sts::1:assumed-role/Dev/alice', invokePolicyArn: policyArn }),
    ).toContain('aws iam attach-role-policy --role-name Dev');
  });

  it('points at the permission set for an IAM Identity Center role', () => {
    expect(attachFix({ callerArn: 'arn:aws:sts::1:assumed-role/AWSReservedSSO_Dev_0123/alice' })).toContain(
      'permission set',
    );
  });
});

describe('doctor: command line and settings', () => {
  it('leaves the phase to doctor and collects -c pairs', () => {
    expect(parseDoctorArgs(['-c', 'githubClientId=Ov23liAbCdEfGhIjKlMn', '--json'])).toEqual({
      kind: 'run',
      options: {
        phase: undefined,
        json: true,
        stack: undefined,
        outputsFile: undefined,
        region: undefined,
        profile: undefined,
        url: undefined,
        context: { githubClientId: 'Ov23liAbCdEfGhIjKlMn' },
      },
    });
  });

  it('refuses an unknown phase', () => {
    expect(parseDoctorArgs(['--phase', 'during'])).toMatchObject({ kind: 'error' });
  });

  it('takes -c over cdk.json and --region over both', () => {
    const options = parseDoctorArgs(['-c', 'region=eu-west-1', '-c', 'modelId=global.anthropic.x']);
    if (options.kind !== 'run') throw new Error('expected options');

    const settings = resolveSettings(
      { context: { region: 'us-east-1', stackName: 'Agent' } },
      options.options,
    );

    expect(settings).toMatchObject({ region: 'eu-west-1', regionSource: 'context', stackName: 'Agent' });
    expect(settings.context.modelId).toBe('global.anthropic.x');
  });
});

describe('doctor: troubleshooting anchors', () => {
  it('has a "Doctor check `<id>`" section in docs/troubleshooting.md for every check', () => {
    const guide = readFileSync('docs/troubleshooting.md', 'utf8');
    const anchors = [...guide.matchAll(/^#{2,4} (.+)$/gm)].map(([, heading]) =>
      (heading ?? '')
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );

    const missing = CHECK_IDS.filter((id) => !anchors.includes(docAnchor(id).split('#')[1] ?? ''));

    expect(missing).toEqual([]);
  });
});
