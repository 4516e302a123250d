import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambdas/config';
import { DEFAULT_MODEL_ID } from '../../lib/context';
import { OAUTH_PROVIDER_RESOURCE_TYPE } from '../../lib/github-oauth-provider';
import { actionsOf, policyStatements, resourcesOf, type Synthesized, synth } from './synth';

const ACCOUNT = '123456789012';
const REGION = 'ap-southeast-2';
const CLIENT_ID = 'Ov23liTestClientId01';

let built: Synthesized;

beforeAll(() => {
  // The one full synth: esbuild bundles both functions and the CloudFormation schema validation runs. Generous
  // bound: on a busy 2-core machine this alone takes tens of seconds. The chat stack alone: the auto-review
  // resources (on by default) have their own assertions in test/infra/auto-review.test.ts.
  built = synth({ githubClientId: CLIENT_ID, autoReview: false }, { bundle: true, validate: true });
}, 180_000);

const logicalIdOf = (type: string): string => {
  const ids = Object.keys(built.template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0] as string;
};

const chatFunction = () =>
  Object.values(
    built.template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('streaming chat') },
    }),
  )[0] as { Properties: Record<string, unknown> & { Environment: { Variables: Record<string, unknown> } } };

describe('CodingAgentStack resources', () => {
  it('contains exactly the resources of the design', () => {
    const counts: Record<string, number> = {};
    for (const resource of Object.values(
      built.template.toJSON().Resources as Record<string, { Type: string }>,
    )) {
      counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
    }

    expect(counts).toEqual({
      'AWS::DynamoDB::Table': 2,
      'AWS::BedrockAgentCore::WorkloadIdentity': 1,
      [OAUTH_PROVIDER_RESOURCE_TYPE]: 1,
      'AWS::Lambda::Function': 3, // chat, provider handler, Provider framework
      'AWS::Lambda::Version': 1,
      'AWS::Lambda::Alias': 1,
      'AWS::Lambda::Url': 1,
      'AWS::Logs::LogGroup': 3,
      'AWS::IAM::Role': 4, // the three functions, CodeDeploy
      'AWS::IAM::Policy': 3,
      'AWS::IAM::ManagedPolicy': 1,
      'AWS::CodeDeploy::Application': 1,
      'AWS::CodeDeploy::DeploymentGroup': 1,
      'AWS::CloudWatch::Alarm': 7,
      'AWS::CloudWatch::Dashboard': 1,
    });
  });

  it('makes both tables on-demand with pk/sk, TTL on expires_at, PITR and AWS-managed encryption, retained', () => {
    const tables = built.template.findResources('AWS::DynamoDB::Table');

    expect(Object.keys(tables)).toHaveLength(2);
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    }
  });

  it('serves the live alias through an AWS_IAM function URL in RESPONSE_STREAM mode without CORS', () => {
    built.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      InvokeMode: 'RESPONSE_STREAM',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatFunction'), 'Arn'] },
      Qualifier: 'live',
      Cors: Match.absent(),
    });
  });

  it('runs every function we wrote on Node 24 on ARM64', () => {
    const ours = built.template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'index.handler' },
    });

    expect(Object.keys(ours)).toHaveLength(2);
    for (const fn of Object.values(ours)) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
  });

  it('gives the chat function the default timeout and memory', () => {
    expect(chatFunction().Properties).toMatchObject({ Timeout: 300, MemorySize: 1024 });
  });

  it("sets the chat function's environment to what lambdas/config.ts accepts", () => {
    const variables = chatFunction().Properties.Environment.Variables;
    // Tokens (table names, the provider's Ref...) become plausible literals; AWS_REGION comes from Lambda.
    const env = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : `resolved-${name}`,
      ]),
    );

    const config = loadConfig({ ...env, AWS_REGION: REGION });

    expect(variables).not.toHaveProperty('AWS_REGION');
    expect(config).toMatchObject({
      MODEL_ID: DEFAULT_MODEL_ID,
      IDENTITY_PROVIDER: 'agentcore',
      OAUTH_SCOPES: ['repo', 'read:user'],
      OAUTH_RETURN_URLS: ['http://localhost:8976/oauth/callback'],
      REVIEW_PATH_PREFIXES: ['agent-tasks/'],
      LOG_LEVEL: 'INFO',
    });
    expect(variables).toMatchObject({
      SESSIONS_TABLE: { Ref: expect.stringMatching(/^TablesSessions/) },
      PLANS_TABLE: { Ref: expect.stringMatching(/^TablesPlans/) },
      WORKLOAD_IDENTITY_NAME: { Ref: logicalIdOf('AWS::BedrockAgentCore::WorkloadIdentity') },
      OAUTH_PROVIDER_NAME: { 'Fn::GetAtt': [logicalIdOf(OAUTH_PROVIDER_RESOURCE_TYPE), 'ProviderName'] },
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(config).toMatchObject({
      METRICS: 'emf',
      METRICS_NAMESPACE: 'GitHubCodingAgent',
      METRICS_SERVICE: 'GitHubCodingAgent',
      USER_TURNS_PER_HOUR: 60,
    });
  });

  it('leaves the chat function without reserved concurrency unless asked', () => {
    expect(chatFunction().Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it("creates the workload identity with the terminal client's loopback return URL", () => {
    built.template.hasResourceProperties('AWS::BedrockAgentCore::WorkloadIdentity', {
      Name: 'github-coding-agent',
      AllowedResourceOauth2ReturnUrls: ['http://localhost:8976/oauth/callback'],
    });
  });
});

describe('GitHub OAuth provider custom resource', () => {
  it('passes the provider name, client id parameter and secret reference, never a secret value', () => {
    built.template.hasResourceProperties(OAUTH_PROVIDER_RESOURCE_TYPE, {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('frameworkonEvent'), 'Arn'] },
      ProviderName: 'github-provider',
      ClientId: { Ref: 'GitHubClientId' },
      SecretId: 'github-coding-agent/oauth',
      SecretJsonKey: 'clientSecret',
      RetainOnDelete: 'false',
      AdoptExisting: 'false',
      DeleteAdoptedOnDelete: 'false',
    });
    const [resource] = Object.values(built.template.findResources(OAUTH_PROVIDER_RESOURCE_TYPE));
    expect(Object.keys(resource?.Properties ?? {}).sort()).toEqual(
      [
        'AdoptExisting',
        'ClientId',
        'DeleteAdoptedOnDelete',
        'ProviderName',
        'RetainOnDelete',
        'SecretId',
        'SecretJsonKey',
        'ServiceToken',
      ].sort(),
    );
  });

  it('takes the client id from context as the GitHubClientId parameter default', () => {
    built.template.hasParameter('GitHubClientId', {
      Type: 'String',
      Default: CLIENT_ID,
      AllowedPattern: '^[A-Za-z0-9._-]{8,64}$',
    });
  });

  it('gives the handler time to wait for AgentCore, within what the Provider framework waits for it', () => {
    // 10 minutes: the 8-minute wait (MAX_WAIT_MS) plus the calls around it; the framework's function waits 15.
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('OAuth2 credential provider'),
      Timeout: 600,
    });
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('framework - onEvent'),
      Timeout: 900,
    });
  });
});

describe('outputs', () => {
  it('exports the chat URL, the provider attributes, the workload identity and both tables', () => {
    const provider = logicalIdOf(OAUTH_PROVIDER_RESOURCE_TYPE);
    const outputs = built.template.toJSON().Outputs as Record<
      string,
      { Value: unknown; Description: string }
    >;

    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ChatInvokePolicyArn',
        'ChatUrl',
        'DashboardUrl',
        'GitHubCallbackUrl',
        'OAuthProviderArn',
        'PlansTableName',
        'SessionsTableName',
        'WorkloadIdentityName',
      ].sort(),
    );
    expect(outputs.ChatUrl?.Value).toEqual({
      'Fn::GetAtt': [logicalIdOf('AWS::Lambda::Url'), 'FunctionUrl'],
    });
    expect(outputs.GitHubCallbackUrl?.Value).toEqual({ 'Fn::GetAtt': [provider, 'CallbackUrl'] });
    expect(outputs.OAuthProviderArn?.Value).toEqual({ 'Fn::GetAtt': [provider, 'ProviderArn'] });
    expect(outputs.WorkloadIdentityName?.Value).toEqual({
      Ref: logicalIdOf('AWS::BedrockAgentCore::WorkloadIdentity'),
    });
    expect(outputs.SessionsTableName?.Value).toEqual({ Ref: expect.stringMatching(/^TablesSessions/) });
    expect(outputs.PlansTableName?.Value).toEqual({ Ref: expect.stringMatching(/^TablesPlans/) });
  });

  it('tells the operator to register the callback URL in the GitHub OAuth App', () => {
    built.template.hasOutput('GitHubCallbackUrl', {
      Description: Match.stringLikeRegexp('Authorization callback URL'),
    });
  });
});

describe('least privilege', () => {
  const scopedPrefixes = ['bedrock:', 'bedrock-agentcore:', 'dynamodb:', 'secretsmanager:'];

  it('names every resource of bedrock, bedrock-agentcore, dynamodb and secretsmanager actions (no *)', () => {
    const scoped = policyStatements(built.template).filter((statement) =>
      actionsOf(statement).some((action) => scopedPrefixes.some((prefix) => action.startsWith(prefix))),
    );
    // The one reviewed exception (acknowledged in lib/nag-suppressions.ts): the provider handler reads and deletes
    // providers of any name, so a rename cannot orphan the old one.
    const anyProvider = `arn:aws:bedrock-agentcore:${REGION}:${ACCOUNT}:token-vault/default/oauth2credentialprovider/*`;

    expect(scoped.length).toBeGreaterThan(5);
    for (const statement of scoped) {
      for (const resource of resourcesOf(statement).filter((r) => r !== anyProvider)) {
        expect(resource).not.toContain('*');
      }
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
    }
  });

  it('lets the chat function invoke only the configured profile, and its model only through that profile', () => {
    const statements = policyStatements(built.template, 'ChatFunction');
    const invoke = statements.filter((statement) =>
      actionsOf(statement).some((a) => a.startsWith('bedrock:')),
    );
    const profileArn = `arn:aws:bedrock:${REGION}:${ACCOUNT}:inference-profile/${DEFAULT_MODEL_ID}`;

    expect(invoke.map((statement) => [resourcesOf(statement), statement.Condition ?? null])).toEqual([
      [[profileArn], null],
      [
        ['ap-southeast-2', 'ap-southeast-4', 'ap-southeast-6'].map(
          (region) => `arn:aws:bedrock:${region}::foundation-model/anthropic.claude-sonnet-4-6`,
        ),
        { StringEquals: { 'bedrock:InferenceProfileArn': expect.anything() } },
      ],
    ]);
    for (const statement of invoke) {
      expect(actionsOf(statement).sort()).toEqual([
        'bedrock:InvokeModel',
        'bedrock:InvokeModelWithResponseStream',
      ]);
    }
  });

  it('limits the chat function to six item-level DynamoDB actions on its two tables', () => {
    const [dynamo, ...others] = policyStatements(built.template, 'ChatFunction').filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('dynamodb:')),
    );

    expect(others).toEqual([]);
    expect(actionsOf(dynamo as never).sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(resourcesOf(dynamo as never).sort()).toEqual(
      ['<TablesPlans', '<TablesSessions'].map((prefix) =>
        expect.stringMatching(new RegExp(`^${prefix}\\w+\\.Arn>$`)),
      ),
    );
  });

  it("scopes the chat function's AgentCore calls to its workload identity, the vault and the GitHub provider", () => {
    const agentCore = policyStatements(built.template, 'ChatFunction').filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('bedrock-agentcore:')),
    );
    const arn = (resource: string) => `arn:aws:bedrock-agentcore:${REGION}:${ACCOUNT}:${resource}`;

    expect(
      agentCore.map((statement) => [actionsOf(statement).sort(), resourcesOf(statement).sort()]),
    ).toEqual([
      [
        ['bedrock-agentcore:GetWorkloadAccessTokenForUserId'],
        [
          arn('workload-identity-directory/default'),
          arn('workload-identity-directory/default/workload-identity/github-coding-agent'),
        ],
      ],
      [
        ['bedrock-agentcore:CompleteResourceTokenAuth', 'bedrock-agentcore:GetResourceOauth2Token'],
        [
          arn('token-vault/default'),
          arn('token-vault/default/oauth2credentialprovider'),
          arn('token-vault/default/oauth2credentialprovider/github-provider'),
          arn('workload-identity-directory/default'),
          arn('workload-identity-directory/default/workload-identity/github-coding-agent'),
        ],
      ],
    ]);
  });

  it("lets the chat function and the provider handler read only the operator's client-secret secret", () => {
    const secretReads = policyStatements(built.template).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
    );

    expect(secretReads).toHaveLength(2);
    for (const statement of secretReads) {
      expect(actionsOf(statement).sort()).toEqual([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ]);
      expect(resourcesOf(statement)).toEqual([
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:github-coding-agent/oauth-??????`,
      ]);
    }
  });

  it("lets only AgentCore, not the chat function's own code, read the client secret with the chat role", () => {
    const [chatRead, ...others] = policyStatements(built.template, 'ChatFunction').filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
    );

    expect(others).toEqual([]);
    expect(chatRead?.Condition).toEqual({
      'ForAnyValue:StringEquals': { 'aws:CalledVia': ['bedrock-agentcore.amazonaws.com'] },
    });
  });

  it('lets the provider handler read the secret itself (it checks the JSON key before creating the provider)', () => {
    const [handlerRead] = policyStatements(built.template, 'GitHubOAuthProviderHandler').filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
    );

    expect(handlerRead?.Condition).toBeUndefined();
  });

  it('lets the provider handler create and update only the GitHub provider, and read or delete any name', () => {
    const agentCore = policyStatements(built.template, 'GitHubOAuthProviderHandler').filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('bedrock-agentcore:')),
    );
    const arn = (resource: string) => `arn:aws:bedrock-agentcore:${REGION}:${ACCOUNT}:${resource}`;
    const vault = [arn('token-vault/default'), arn('token-vault/default/oauth2credentialprovider')];

    expect(agentCore.map((statement) => [actionsOf(statement).sort(), resourcesOf(statement)])).toEqual([
      [
        [
          'bedrock-agentcore:CreateOauth2CredentialProvider',
          'bedrock-agentcore:UpdateOauth2CredentialProvider',
        ],
        [...vault, arn('token-vault/default/oauth2credentialprovider/github-provider')],
      ],
      [
        ['bedrock-agentcore:DeleteOauth2CredentialProvider', 'bedrock-agentcore:GetOauth2CredentialProvider'],
        [...vault, arn('token-vault/default/oauth2credentialprovider/*')],
      ],
      [
        ['bedrock-agentcore:CreateTokenVault', 'bedrock-agentcore:GetTokenVault'],
        [arn('token-vault/default')],
      ],
    ]);
  });

  it('offers a managed policy that lets a caller invoke the chat URL and nothing else', () => {
    const statements = policyStatements(built.template, 'ChatInvokePolicy');
    // The URL is on the alias: IAM checks the alias ARN (`function:<name>:live`), which is what Ref gives.
    const chatFunctionArn = { Ref: logicalIdOf('AWS::Lambda::Alias') };

    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: chatFunctionArn,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: chatFunctionArn,
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } },
      }),
    ]);
  });

  it('never lets the invoke policy call the function directly (Invoke without the function URL)', () => {
    const direct = policyStatements(built.template, 'ChatInvokePolicy').filter((statement) =>
      actionsOf(statement).includes('lambda:InvokeFunction'),
    );

    expect(direct.length).toBeGreaterThan(0);
    for (const statement of direct) {
      expect(statement.Condition).toEqual({ Bool: { 'lambda:InvokedViaFunctionUrl': true } });
    }
  });
});

describe('operations: canary deploys, alarms, dashboard', () => {
  const alarmNamed = (name: string) => {
    const found = Object.entries(built.template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
      id.startsWith(`Alarms${name}`),
    );
    expect(found, name).toHaveLength(1);
    return (found[0] as [string, { Properties: Record<string, unknown> }])[1].Properties;
  };
  /** The metric-math expression of an alarm, and the metric names it reads. */
  const mathOf = (properties: Record<string, unknown>) => {
    const queries = properties.Metrics as Array<{
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown[] }; Stat: string };
    }>;
    return {
      expression: queries.find((query) => query.Expression)?.Expression,
      metrics: queries
        .flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric.MetricName] : []))
        .sort(),
      namespaces: [...new Set(queries.flatMap((query) => query.MetricStat?.Metric.Namespace ?? []))],
    };
  };

  it('points the live alias at the published version, updated through CodeDeploy', () => {
    const [alias] = Object.values(built.template.findResources('AWS::Lambda::Alias'));

    expect(alias?.Properties).toEqual({
      Name: 'live',
      FunctionName: { Ref: expect.stringMatching(/^ChatFunction/) },
      FunctionVersion: { 'Fn::GetAtt': [logicalIdOf('AWS::Lambda::Version'), 'Version'] },
    });
    expect(alias?.UpdatePolicy).toEqual({
      CodeDeployLambdaAliasUpdate: {
        ApplicationName: { Ref: logicalIdOf('AWS::CodeDeploy::Application') },
        DeploymentGroupName: { Ref: logicalIdOf('AWS::CodeDeploy::DeploymentGroup') },
      },
    });
  });

  it('shifts 10 % for 5 minutes and rolls back on the error and first-token alarms', () => {
    built.template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      AlarmConfiguration: {
        Enabled: true,
        Alarms: [
          { Name: { Ref: Match.stringLikeRegexp('^AlarmsErrorRate') } },
          { Name: { Ref: Match.stringLikeRegexp('^AlarmsFunctionErrorRate') } },
          { Name: { Ref: Match.stringLikeRegexp('^AlarmsFirstTokenLatency') } },
        ],
      },
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
      },
    });
  });

  it('keeps the ChatUrl output on the alias URL (it does not change when a version is published)', () => {
    const url = Object.values(built.template.findResources('AWS::Lambda::Url'))[0]?.Properties;

    expect(url?.Qualifier).toBe('live');
    expect(JSON.stringify(url)).not.toMatch(/CurrentVersion/);
  });

  it('alarms when more than 1 % of at least 10 turns in 5 minutes end in a server-side error', () => {
    const alarm = alarmNamed('ErrorRate');

    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
    expect(alarm.TreatMissingData).toBe('notBreaching');
    expect(mathOf(alarm)).toEqual({
      expression: 'IF(turns >= 10, 100 * errors / turns, 0)',
      metrics: ['TurnErrors', 'Turns'],
      namespaces: ['GitHubCodingAgent'],
    });
  });

  it("alarms on the live alias's own error rate too (a broken cold start writes no turn metric)", () => {
    const { metrics, expression } = mathOf(alarmNamed('FunctionErrorRate'));

    expect(expression).toBe('IF(invocations >= 10, 100 * errors / invocations, 0)');
    expect(metrics).toEqual(['Errors', 'Invocations']);
  });

  it('alarms when p95 time to first token exceeds 2 s over 5 minutes', () => {
    expect(alarmNamed('FirstTokenLatency')).toMatchObject({
      Namespace: 'GitHubCodingAgent',
      MetricName: 'TimeToFirstToken',
      Dimensions: [{ Name: 'service', Value: 'GitHubCodingAgent' }],
      ExtendedStatistic: 'p95',
      Period: 300,
      Threshold: 2000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms when fewer than 90 % of at least 10 consents in an hour complete', () => {
    const alarm = alarmNamed('OAuthSuccess');

    expect(alarm).toMatchObject({ Threshold: 90, ComparisonOperator: 'LessThanThreshold' });
    expect(mathOf(alarm).metrics).toEqual(['ConsentsCompleted', 'ConsentsExpired', 'ConsentsFailed']);
    expect(mathOf(alarm).expression).toMatch(/^IF\(\(FILL\(completed, 0\) \+ .* >= 10, 100 \* FILL/);
    expect((alarm.Metrics as Array<{ MetricStat?: { Period: number } }>)[1]?.MetricStat?.Period).toBe(3600);
  });

  it('alarms on any Lambda throttle and any DynamoDB throttle of either table', () => {
    expect(alarmNamed('FunctionThrottles')).toMatchObject({
      MetricName: 'Throttles',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(mathOf(alarmNamed('DynamoDbThrottles')).metrics).toEqual([
      'ReadThrottleEvents',
      'ReadThrottleEvents',
      'WriteThrottleEvents',
      'WriteThrottleEvents',
    ]);
  });

  it('alarms when the estimated model cost of a day exceeds 50 USD', () => {
    expect(alarmNamed('DailyCost')).toMatchObject({
      MetricName: 'EstimatedCostUsd',
      Statistic: 'Sum',
      Period: 86_400,
      Threshold: 50,
    });
  });

  it('creates no SNS topic unless an alarm e-mail is given', () => {
    expect(built.template.findResources('AWS::SNS::Topic')).toEqual({});
  });

  it('draws each target on the dashboard as a horizontal line', () => {
    const dashboard = built.template.findResources('AWS::CloudWatch::Dashboard')[
      logicalIdOf('AWS::CloudWatch::Dashboard')
    ];
    const body = JSON.parse(
      (dashboard.Properties.DashboardBody['Fn::Join'] as [string, unknown[]])[1]
        .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
        .join(''),
    ) as {
      widgets: Array<{
        properties: { title: string; annotations?: { horizontal: { label: string; value: number }[] } };
      }>;
    };
    const lines = Object.fromEntries(
      body.widgets.map((widget) => [
        widget.properties.title,
        (widget.properties.annotations?.horizontal ?? []).map((line) => line.value),
      ]),
    );

    expect(lines).toMatchObject({
      'Time to first token (ms)': [500, 2000],
      'Error rate (% of turns)': [1, 1],
      'OAuth success (% of finished consents, hourly)': [95, 90],
      'Estimated model cost per day (USD)': [50],
    });
    expect(Object.keys(lines)).toEqual(
      expect.arrayContaining([
        'Reviews (hourly)',
        'Tokens per day',
        'Throttles',
        'Concurrent executions',
        'Alarms',
      ]),
    );
  });
});

describe('synth validation', () => {
  it("passes aws-cdk-lib's CloudFormation schema validation without a finding", () => {
    const report = JSON.parse(readFileSync(join(built.app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations?: unknown[] }[];
    };

    expect(report.pluginReports.flatMap((plugin) => plugin.violations ?? [])).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports during synth how many rules ran and that none failed', () => {
    expect(built.nagSummaries).toHaveLength(1);
    const [summary] = built.nagSummaries;
    expect(summary?.failed).toBe(0);
    expect(summary?.rules).toBeGreaterThan(50);
    expect(summary?.resources).toBe(Object.keys(built.template.toJSON().Resources).length);
    expect(summary?.acknowledged).toBe(6);
  });

  it('reports no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.stack);

    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual(
      [],
    );
    expect(report.success).toBe(true);
  });

  it('acknowledges only reviewed findings, each with a reason', () => {
    const acknowledged = built.stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));

    expect(acknowledged.map(([id]) => id.replace(/^Annotation::/i, '').replace(/\[.*$/, '')).sort()).toEqual([
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-IAM5',
    ]);
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(60);
  });
});

describe('chat function bundle', () => {
  it('ships the ESM bundle with its source map and the prompts/ folder', () => {
    const code = chatFunction().Properties.Code as { S3Key: string };
    const assetDir = join(built.app.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);

    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'prompts']);
    expect(existsSync(join(assetDir, 'prompts', 'system.md'))).toBe(true);
  });
});
