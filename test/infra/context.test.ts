import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContextError, DEFAULT_MODEL_ID, parseContext, readContext } from '../../lib/context';
import { ModelAccessError, modelAccess } from '../../lib/model-access';
import { policyStatements, resourcesOf, type Synthesized, synth } from './synth';

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    parseContext(raw);
  } catch (error) {
    if (error instanceof ContextError) return error.problems;
    throw error;
  }
  return [];
}

describe('parseContext', () => {
  it('fills the documented defaults', () => {
    expect(parseContext({})).toEqual({
      stackName: 'GitHubCodingAgent',
      region: 'ap-southeast-2',
      modelId: DEFAULT_MODEL_ID,
      modelDestinationRegions: [],
      githubClientId: undefined,
      githubSecretName: 'github-coding-agent/oauth',
      githubSecretJsonKey: 'clientSecret',
      providerName: 'github-provider',
      workloadIdentityName: 'github-coding-agent',
      oauthScopes: ['repo', 'read:user'],
      returnUrls: ['http://localhost:8976/oauth/callback'],
      corsOrigins: [],
      reviewPathPrefixes: ['agent-tasks/'],
      chatTimeoutSeconds: 300,
      chatMemoryMb: 1024,
      logLevel: 'INFO',
      retainProviderOnDelete: false,
      adoptExistingProvider: false,
      deleteAdoptedProvider: false,
      skipRegionChecks: false,
      deploymentStrategy: 'canary',
      chatReservedConcurrency: undefined,
      alarmEmail: undefined,
      errorRateAlarmPercent: 1,
      firstTokenAlarmMs: 2000,
      oauthSuccessAlarmPercent: 90,
      throttleAlarms: true,
      dailyCostBudgetUsd: 50,
      userTurnsPerHour: 60,
      autoReview: true,
    });
  });

  it('reads `-c key=a,b` strings and cdk.json arrays alike', () => {
    const fromCli = parseContext({
      returnUrls: 'http://localhost:1/cb, http://localhost:2/cb',
      chatMemoryMb: '2048',
    });
    const fromJson = parseContext({
      returnUrls: ['http://localhost:1/cb', 'http://localhost:2/cb'],
      chatMemoryMb: 2048,
    });

    expect(fromCli).toEqual(fromJson);
    expect(fromCli.returnUrls).toEqual(['http://localhost:1/cb', 'http://localhost:2/cb']);
  });

  it('reads an empty review prefix list as "review every path"', () => {
    expect(parseContext({ reviewPathPrefixes: '' }).reviewPathPrefixes).toEqual([]);
  });

  it('names every invalid key with what it got', () => {
    const problems = problemsOf({
      region: 'Sydney',
      chatTimeoutSeconds: '901',
      providerName: 'github provider',
      returnUrls: 'javascript:alert(1)',
    });

    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'chatTimeoutSeconds',
      'providerName',
      'region',
      'returnUrls.0',
    ]);
    expect(problems.find((problem) => problem.startsWith('chatTimeoutSeconds'))).toBe(
      'chatTimeoutSeconds: must be at most 900 seconds (got "901")',
    );
  });

  it('accepts a wildcard CORS origin and rejects a non-URL one', () => {
    expect(parseContext({ corsOrigins: '*' }).corsOrigins).toEqual(['*']);
    expect(problemsOf({ corsOrigins: 'example.com' })[0]).toMatch(
      /^corsOrigins\.0: must be an origin URL or \*/,
    );
  });

  it('names a bad deployment strategy, concurrency, e-mail or alarm threshold', () => {
    const problems = problemsOf({
      deploymentStrategy: 'blue-green',
      chatReservedConcurrency: '0',
      alarmEmail: 'ops',
      errorRateAlarmPercent: '-1',
      firstTokenAlarmMs: 'fast',
    });

    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'alarmEmail',
      'chatReservedConcurrency',
      'deploymentStrategy',
      'errorRateAlarmPercent',
      'firstTokenAlarmMs',
    ]);
    expect(problems.find((problem) => problem.startsWith('deploymentStrategy'))).toBe(
      'deploymentStrategy: must be one of canary, linear, all-at-once (got "blue-green")',
    );
  });

  it('accepts 0 turns per hour (no bound) and names a negative or fractional one', () => {
    expect(parseContext({ userTurnsPerHour: '0' }).userTurnsPerHour).toBe(0);
    expect(problemsOf({ userTurnsPerHour: '-1' })[0]).toBe(
      'userTurnsPerHour: must be at least 0 turns per hour (got "-1")',
    );
    expect(problemsOf({ userTurnsPerHour: '2.5' })[0]).toMatch(/^userTurnsPerHour: must be a whole number/);
  });

  it('turns an alarm off with 0 and throttle alarms off with false', () => {
    expect(parseContext({ firstTokenAlarmMs: '0', throttleAlarms: 'false' })).toMatchObject({
      firstTokenAlarmMs: 0,
      throttleAlarms: false,
    });
  });

  it('takes retainProviderOnDelete as a boolean or its text', () => {
    expect(parseContext({ retainProviderOnDelete: 'true' }).retainProviderOnDelete).toBe(true);
    expect(parseContext({ retainProviderOnDelete: true }).retainProviderOnDelete).toBe(true);
    expect(problemsOf({ retainProviderOnDelete: 'yes' })).toHaveLength(1);
  });
});

describe('workloadIdentityName', () => {
  it('accepts what CloudFormation accepts: 3-255 of letters, digits, ".", "-" and "_"', () => {
    expect(parseContext({ workloadIdentityName: 'agent.v2_prod-1' }).workloadIdentityName).toBe(
      'agent.v2_prod-1',
    );
    expect(parseContext({ workloadIdentityName: 'a'.repeat(255) }).workloadIdentityName).toHaveLength(255);
  });

  it('rejects a name CloudFormation would reject, at synth', () => {
    expect(problemsOf({ workloadIdentityName: 'ab' })[0]).toMatch(
      /^workloadIdentityName: must be at least 3/,
    );
    expect(problemsOf({ workloadIdentityName: 'a'.repeat(256) })[0]).toMatch(/must be at most 255/);
    expect(problemsOf({ workloadIdentityName: 'my agent' })[0]).toMatch(/may contain only letters/);
    expect(problemsOf({ workloadIdentityName: 'agent/prod' })).toHaveLength(1);
  });
});

describe('Region and model fit', () => {
  it('accepts the default AU profile in Sydney and a global profile anywhere commercial', () => {
    expect(problemsOf({})).toEqual([]);
    expect(problemsOf({ region: 'eu-west-1', modelId: 'global.anthropic.claude-sonnet-4-6' })).toEqual([]);
  });

  it('rejects a geographic profile used outside its geography, naming the way out', () => {
    const problems = problemsOf({ region: 'eu-central-1', modelId: 'au.anthropic.claude-sonnet-4-6' });

    expect(problems).toEqual([
      expect.stringMatching(
        /^modelId: au\.anthropic\.claude-sonnet-4-6 is a "au\." inference profile, which cannot be called from eu-central-1/,
      ),
    ]);
    expect(problems[0]).toContain('global.anthropic.claude-sonnet-4-6');
  });

  it.each([
    ['us.anthropic.claude-sonnet-4-6', 'ap-southeast-2'],
    ['eu.anthropic.claude-sonnet-4-6', 'us-east-1'],
    ['jp.anthropic.claude-sonnet-4-6', 'ap-southeast-2'],
    ['apac.anthropic.claude-sonnet-4-6', 'eu-west-1'],
    ['us-gov.anthropic.claude-sonnet-4-6', 'us-east-1'],
    ['global.anthropic.claude-sonnet-4-6', 'us-gov-west-1'],
  ])('rejects %s from %s', (modelId, region) => {
    expect(problemsOf({ modelId, region, modelDestinationRegions: region })).toEqual([
      expect.stringMatching(/^modelId: /),
    ]);
  });

  it('rejects a Region without AgentCore Identity', () => {
    const problems = problemsOf({ region: 'ap-southeast-4', modelId: 'au.anthropic.claude-sonnet-4-6' });

    expect(problems).toEqual([
      expect.stringMatching(/^region: AgentCore Identity is not available in ap-southeast-4/),
    ]);
  });

  it('lets the operator skip the Region checks for a Region AWS added later', () => {
    expect(
      problemsOf({
        region: 'ap-southeast-4',
        modelId: 'au.anthropic.claude-sonnet-4-6',
        skipRegionChecks: 'true',
      }),
    ).toEqual([]);
  });

  it('reports a geographic profile whose destinations are unknown as a context problem, not a stack trace', () => {
    expect(problemsOf({ modelId: 'apac.anthropic.claude-sonnet-4-20250514-v1:0' })).toEqual([
      expect.stringMatching(/^modelDestinationRegions: .*-c modelDestinationRegions=/),
    ]);
  });
});

describe('unknown context keys', () => {
  const read = (context: Record<string, unknown>) => {
    try {
      readContext((key) => context[key], Object.keys(context));
    } catch (error) {
      if (error instanceof ContextError) return error.problems;
      throw error;
    }
    return [];
  };

  it('rejects a typo and suggests the key it meant', () => {
    expect(read({ githubClientid: 'Ov23liTestClientId01' })).toEqual([
      'githubClientid: is not a context key of this app (did you mean githubClientId?); the keys are listed in docs/deployment.md',
    ]);
  });

  it("ignores CDK's own keys (feature flags and aws:cdk: switches)", () => {
    expect(
      read({
        '@aws-cdk/core:checkSecretUsage': true,
        'aws:cdk:bundling-stacks': [],
        'acknowledged-issue-numbers': [1],
      }),
    ).toEqual([]);
  });

  it('reports an unknown key together with the invalid values', () => {
    expect(read({ provderName: 'x', region: 'Sydney' }).map((problem) => problem.split(':')[0])).toEqual([
      'provderName',
      'region',
    ]);
  });
});

describe('modelAccess', () => {
  const where = { region: 'ap-southeast-2', account: '123456789012', partition: 'aws' };

  it('grants an AU profile plus the model in Sydney, Melbourne and Auckland', () => {
    expect(modelAccess({ ...where, modelId: 'au.anthropic.claude-sonnet-4-6' })).toEqual({
      baseModelId: 'anthropic.claude-sonnet-4-6',
      inferenceProfileArn:
        'arn:aws:bedrock:ap-southeast-2:123456789012:inference-profile/au.anthropic.claude-sonnet-4-6',
      foundationModelArns: [
        'arn:aws:bedrock:ap-southeast-2::foundation-model/anthropic.claude-sonnet-4-6',
        'arn:aws:bedrock:ap-southeast-4::foundation-model/anthropic.claude-sonnet-4-6',
        'arn:aws:bedrock:ap-southeast-6::foundation-model/anthropic.claude-sonnet-4-6',
      ],
    });
  });

  it('grants a global profile the Region-less foundation-model ARN', () => {
    const access = modelAccess({ ...where, modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0' });

    expect(access.foundationModelArns).toEqual([
      'arn:aws:bedrock:ap-southeast-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
    ]);
  });

  it('grants an in-Region model id only that model, with no profile', () => {
    expect(modelAccess({ ...where, modelId: 'anthropic.claude-3-haiku-20240307-v1:0' })).toEqual({
      baseModelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      foundationModelArns: [
        'arn:aws:bedrock:ap-southeast-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      ],
    });
  });

  it('refuses a geography it does not know unless its destination Regions are given', () => {
    const modelId = 'apac.anthropic.claude-sonnet-4-20250514-v1:0';

    expect(() => modelAccess({ ...where, modelId })).toThrow(ModelAccessError);
    expect(() => modelAccess({ ...where, modelId })).toThrow(/-c modelDestinationRegions=/);
    expect(
      modelAccess({ ...where, modelId, destinationRegions: ['ap-northeast-1'] }).foundationModelArns,
    ).toEqual([
      'arn:aws:bedrock:ap-southeast-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
      'arn:aws:bedrock:ap-northeast-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
    ]);
  });
});

describe('the stack under non-default context', () => {
  let built: Synthesized;

  beforeAll(() => {
    built = synth({
      stackName: 'AgentStaging',
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      providerName: 'github-staging',
      workloadIdentityName: 'agent-staging',
      returnUrls: 'http://localhost:8976/oauth/callback,https://chat.example.com/oauth/callback',
      corsOrigins: 'https://chat.example.com',
      reviewPathPrefixes: 'src/,docs/',
      chatTimeoutSeconds: '900',
      chatMemoryMb: '2048',
      logLevel: 'DEBUG',
      retainProviderOnDelete: 'true',
      adoptExistingProvider: 'true',
      deleteAdoptedProvider: 'true',
      githubSecretName: 'staging/github',
      githubSecretJsonKey: 'secret',
      deploymentStrategy: 'all-at-once',
      chatReservedConcurrency: '20',
      alarmEmail: 'ops@example.com',
      firstTokenAlarmMs: '0',
      throttleAlarms: 'false',
      dailyCostBudgetUsd: '5',
      autoReview: 'false',
      userTurnsPerHour: '0',
    });
  });

  it('names the stack from context', () => {
    expect(built.stack.stackName).toBe('AgentStaging');
  });

  it('leaves GitHubClientId without a default, so cdk deploy asks for it before creating anything', () => {
    built.template.hasParameter('GitHubClientId', { Type: 'String', Default: Match.absent() });
  });

  it('applies CORS, timeout, memory and log level to the chat function', () => {
    built.template.hasResourceProperties('AWS::Lambda::Url', {
      Cors: {
        AllowOrigins: ['https://chat.example.com'],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: Match.arrayWith(['authorization', 'x-amz-date', 'x-amz-security-token']),
      },
    });
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      MemorySize: 2048,
      Environment: {
        Variables: Match.objectLike({
          LOG_LEVEL: 'DEBUG',
          REVIEW_PATH_PREFIXES: 'src/,docs/',
          OAUTH_RETURN_URLS: 'http://localhost:8976/oauth/callback,https://chat.example.com/oauth/callback',
        }),
      },
    });
  });

  it('registers every return URL in the workload identity', () => {
    built.template.hasResourceProperties('AWS::BedrockAgentCore::WorkloadIdentity', {
      Name: 'agent-staging',
      AllowedResourceOauth2ReturnUrls: [
        'http://localhost:8976/oauth/callback',
        'https://chat.example.com/oauth/callback',
      ],
    });
  });

  it('passes the provider name, secret and retain flag to the custom resource', () => {
    built.template.hasResourceProperties('Custom::GitHubOAuth2CredentialProvider', {
      ProviderName: 'github-staging',
      SecretId: 'staging/github',
      SecretJsonKey: 'secret',
      RetainOnDelete: 'true',
      AdoptExisting: 'true',
      DeleteAdoptedOnDelete: 'true',
    });
  });

  it('follows the names into IAM: this provider, this identity, this secret, this model', () => {
    const resources = policyStatements(built.template).flatMap(resourcesOf);

    expect(resources).toEqual(
      expect.arrayContaining([
        'arn:aws:bedrock-agentcore:ap-southeast-2:123456789012:token-vault/default/oauth2credentialprovider/github-staging',
        'arn:aws:bedrock-agentcore:ap-southeast-2:123456789012:workload-identity-directory/default/workload-identity/agent-staging',
        'arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:staging/github-??????',
        'arn:aws:bedrock:ap-southeast-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      ]),
    );
    expect(resources.join('\n')).not.toMatch(/github-provider|inference-profile/);
  });

  it('shifts traffic all at once, rolling back on the error alarms only (the latency alarm is off)', () => {
    const alarms = built.template.findResources('AWS::CloudWatch::Alarm');
    const [group] = Object.values(built.template.findResources('AWS::CodeDeploy::DeploymentGroup'));
    const rollback = (
      (group?.Properties.AlarmConfiguration.Alarms ?? []) as Array<{ Name: { Ref: string } }>
    ).map((alarm) => alarm.Name.Ref);

    built.template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
    });
    expect(rollback.map((id) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'AlarmsErrorRate',
      'AlarmsFunctionErrorRate',
    ]);
    expect(
      Object.keys(alarms)
        .map((id) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['AlarmsDailyCost', 'AlarmsErrorRate', 'AlarmsFunctionErrorRate', 'AlarmsOAuthSuccess']);
  });

  it('passes the per-user turn bound to the chat function (0: none)', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('streaming chat'),
      Environment: { Variables: Match.objectLike({ USER_TURNS_PER_HOUR: '0' }) },
    });
  });

  it('reserves the configured concurrency for the chat function', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('streaming chat'),
      ReservedConcurrentExecutions: 20,
    });
  });

  it('sends every alarm to an SSL-only SNS topic with the e-mail subscribed', () => {
    const topic = Object.keys(built.template.findResources('AWS::SNS::Topic'));

    expect(topic).toHaveLength(1);
    built.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topic[0] },
    });
    built.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    for (const alarm of Object.values(built.template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic[0] }]);
    }
  });

  it('alarms on the configured daily cost budget', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EstimatedCostUsd',
      Threshold: 5,
      Period: 86_400,
    });
  });

  it('passes cdk-nag with the topic acknowledged for what it carries', () => {
    expect(built.nagSummaries.map((summary) => [summary.failed, summary.acknowledged])).toEqual([[0, 7]]);
  });
});
