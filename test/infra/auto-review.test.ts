import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../lambdas/autoreview/config';
import { loadWebhookConfig } from '../../lambdas/webhook/config';
import { MAX_RECEIVE_COUNT } from '../../lib/auto-review';
import { actionsOf, policyStatements, resourcesOf, type Statement, type Synthesized, synth } from './synth';

const CLIENT_ID = 'Ov23liTestClientId01';

let built: Synthesized;

beforeAll(() => {
  // No bundling (the chat stack's test bundles); schema validation on, as the new resources are what changed.
  built = synth({ githubClientId: CLIENT_ID }, { validate: true });
}, 180_000);

type Resource = { Properties: Record<string, unknown>; DeletionPolicy?: string };

const only = (type: string, props: Record<string, unknown> = {}): [string, Resource] => {
  const found = Object.entries(built.template.findResources(type, { Properties: props }));
  if (found.length !== 1) throw new Error(`expected one ${type} matching, found ${found.length}`);
  return found[0] as [string, Resource];
};
const fn = (description: string) =>
  only('AWS::Lambda::Function', { Description: Match.stringLikeRegexp(description) });
const env = (description: string) =>
  (fn(description)[1].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
const roleStatements = (description: string): Statement[] => {
  const role = (fn(description)[1].Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(built.template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(String(role)))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
};
const bySid = (statements: Statement[]) =>
  Object.fromEntries(
    statements
      .filter((statement) => statement.Sid !== undefined)
      .map((statement) => [
        statement.Sid,
        { actions: actionsOf(statement).sort(), resources: resourcesOf(statement) },
      ]),
  );

/** The AutoReview table: the one with a global secondary index. */
const tableId = () => only('AWS::DynamoDB::Table', { GlobalSecondaryIndexes: Match.anyValue() })[0];

describe('auto-review resources', () => {
  it('adds the table, secret, queue and DLQ, two functions, the event source and the DLQ alarm', () => {
    const counts: Record<string, number> = {};
    for (const resource of Object.values(
      built.template.toJSON().Resources as Record<string, { Type: string }>,
    )) {
      counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
    }

    expect(counts).toMatchObject({
      'AWS::DynamoDB::Table': 3,
      'AWS::SecretsManager::Secret': 1,
      'AWS::SQS::Queue': 2,
      'AWS::Lambda::Function': 5,
      'AWS::Lambda::Url': 2,
      'AWS::Lambda::EventSourceMapping': 1,
      'AWS::CloudWatch::Alarm': 8,
    });
  });

  it('makes the AutoReview table like the others, with the byUser index on user_pk/pk', () => {
    const [, table] = only('AWS::DynamoDB::Table', { GlobalSecondaryIndexes: Match.anyValue() });

    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byUser',
          KeySchema: [
            { AttributeName: 'user_pk', KeyType: 'HASH' },
            { AttributeName: 'pk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('serves only the webhook with auth NONE (buffered), and the chat URL stays AWS_IAM', () => {
    const urls = Object.values(built.template.findResources('AWS::Lambda::Url')).map((url) => url.Properties);
    const [receiverId] = fn('webhook receiver');

    expect(urls.filter((url) => url.AuthType === 'NONE')).toEqual([
      { AuthType: 'NONE', InvokeMode: 'BUFFERED', TargetFunctionArn: { 'Fn::GetAtt': [receiverId, 'Arn'] } },
    ]);
    expect(urls.filter((url) => url.AuthType === 'AWS_IAM')).toHaveLength(1);
  });

  it('lets anyone invoke the receiver only through its URL, not with a direct Invoke', () => {
    const permissions = Object.values(built.template.findResources('AWS::Lambda::Permission')).map(
      (permission) => permission.Properties,
    );

    expect(permissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'lambda:InvokeFunctionUrl',
          FunctionUrlAuthType: 'NONE',
          Principal: '*',
        }),
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          InvokedViaFunctionUrl: true,
          Principal: '*',
        }),
      ]),
    );
    expect(permissions.filter((permission) => permission.Principal === '*')).toHaveLength(2);
  });

  it('encrypts both queues, refuses non-TLS access, and redrives after 3 receives', () => {
    const [dlqId] = only('AWS::SQS::Queue', { RedrivePolicy: Match.absent() });
    const [, queue] = only('AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });

    expect(queue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    for (const each of Object.values(built.template.findResources('AWS::SQS::Queue'))) {
      expect(each.Properties.SqsManagedSseEnabled).toBe(true);
    }
    const policies = Object.values(built.template.findResources('AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]);
    }
  });

  it("keeps a job invisible longer than the worker's timeout (six times, as AWS advises)", () => {
    const [, queue] = only('AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
    const workerTimeout = fn('auto-review worker')[1].Properties.Timeout as number;

    expect(queue.Properties.VisibilityTimeout as number).toBeGreaterThan(workerTimeout);
    expect(queue.Properties.VisibilityTimeout).toBe(6 * workerTimeout);
  });

  it('feeds the worker one job at a time with partial batch failures and bounded concurrency', () => {
    const [, mapping] = only('AWS::Lambda::EventSourceMapping');

    expect(mapping.Properties).toMatchObject({
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('answers GitHub within its 10 s: the receiver times out at 10 s', () => {
    expect(fn('webhook receiver')[1].Properties.Timeout).toBe(10);
  });

  it('alarms when any job reaches the dead-letter queue', () => {
    const [dlqId] = only('AWS::SQS::Queue', { RedrivePolicy: Match.absent() });

    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('notifies the alarm topic of a dead letter when alarm e-mails are on', () => {
    const withTopic = synth({ githubClientId: CLIENT_ID, alarmEmail: 'ops@example.com' });
    const [topicId] = Object.keys(withTopic.template.findResources('AWS::SNS::Topic'));

    withTopic.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('generates the webhook secret in Secrets Manager (no value in the template)', () => {
    const [, secret] = only('AWS::SecretsManager::Secret');

    expect(secret.Properties.GenerateSecretString).toEqual({
      ExcludePunctuation: true,
      IncludeSpace: false,
      PasswordLength: 48,
    });
    expect(secret.Properties.SecretString).toBeUndefined();
  });

  it('outputs WebhookUrl from the receiver URL', () => {
    const [urlId] = only('AWS::Lambda::Url', { AuthType: 'NONE' });

    built.template.hasOutput('WebhookUrl', { Value: { 'Fn::GetAtt': [urlId, 'FunctionUrl'] } });
  });

  it('creates nothing of auto-review with -c autoReview=false', () => {
    const off = synth({ githubClientId: CLIENT_ID, autoReview: false });

    expect(off.template.findResources('AWS::SQS::Queue')).toEqual({});
    expect(off.template.findOutputs('WebhookUrl')).toEqual({});
  });
});

describe('auto-review environments', () => {
  it("sets the receiver's environment to what lambdas/webhook/config.ts accepts", () => {
    const variables = env('webhook receiver');
    const concrete = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        typeof value === 'string'
          ? value
          : name.endsWith('_URL')
            ? 'https://sqs.example/queue'
            : 'x-resolved',
      ]),
    );

    expect(() => loadWebhookConfig({ AWS_REGION: 'ap-southeast-2', ...concrete })).not.toThrow();
    expect(Object.keys(variables).sort()).toEqual(
      [
        'AUTO_REVIEW_QUEUE_URL',
        'AUTO_REVIEW_TABLE',
        'LOG_LEVEL',
        'METRICS',
        'METRICS_NAMESPACE',
        'METRICS_SERVICE',
        'NODE_OPTIONS',
        'WEBHOOK_SECRET_ARN',
      ].sort(),
    );
  });

  it("sets the worker's environment to what lambdas/autoreview/config.ts accepts", () => {
    const concrete = Object.fromEntries(
      Object.entries(env('auto-review worker')).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : 'resolved-name',
      ]),
    );

    expect(() => loadWorkerConfig({ AWS_REGION: 'ap-southeast-2', ...concrete })).not.toThrow();
    expect(concrete.AUTO_REVIEW_MAX_RECEIVE_COUNT).toBe(String(MAX_RECEIVE_COUNT));
  });

  it('reviews in the worker with the same severity threshold and self-check settings as chat', () => {
    const tuned = synth({
      githubClientId: CLIENT_ID,
      reviewSeverityThreshold: 'major',
      selfCheckModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    });
    const worker = Object.entries(tuned.template.findResources('AWS::Lambda::Function')).find(
      ([, resource]) => String(resource.Properties?.Description ?? '').includes('auto-review worker'),
    );
    if (!worker) throw new Error('no auto-review worker in the template');
    const variables = (worker[1].Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    expect(variables).toMatchObject({
      REVIEW_SEVERITY_THRESHOLD: 'major',
      SELF_CHECK: 'on',
      SELF_CHECK_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    });
  });

  it('tells the chat function the table, the secret ARN and the webhook URL (for the subscribe commands)', () => {
    const [urlId] = only('AWS::Lambda::Url', { AuthType: 'NONE' });
    const [secretId] = only('AWS::SecretsManager::Secret');

    expect(env('streaming chat')).toMatchObject({
      AUTO_REVIEW_TABLE: { Ref: tableId() },
      WEBHOOK_SECRET_ARN: { Ref: secretId },
      WEBHOOK_URL: { 'Fn::GetAtt': [urlId, 'FunctionUrl'] },
    });
  });
});

describe('auto-review least privilege', () => {
  const table = () => `<${tableId()}.Arn>`;
  const queue = () => `<${only('AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() })[0]}.Arn>`;
  const secret = () => `<Ref:${only('AWS::SecretsManager::Secret')[0]}>`;

  it('lets the receiver read the one secret, claim/release deliveries, query subscribers and send jobs: no more', () => {
    expect(bySid(roleStatements('webhook receiver'))).toEqual({
      WebhookSecret: { actions: ['secretsmanager:GetSecretValue'], resources: [secret()] },
      DeliveriesAndSubscribers: {
        actions: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        resources: [table()],
      },
      EnqueueJobs: { actions: ['sqs:SendMessage'], resources: [queue()] },
    });
    expect(roleStatements('webhook receiver').every((statement) => statement.Sid !== undefined)).toBe(true);
  });

  it('lets the worker use its plans and subscriptions, read tokens (not complete consents) and consume the queue', () => {
    const statements = roleStatements('auto-review worker');
    const sids = bySid(statements);

    expect(Object.keys(sids).sort()).toEqual(
      [
        'ClientSecretReadByAgentCoreOnly',
        'GitHubTokenFromVault',
        'InvokeFoundationModel',
        'InvokeInferenceProfile',
        'ReviewPlans',
        'Subscriptions',
        'WorkloadAccessToken',
      ].sort(),
    );
    expect(sids.ReviewPlans?.actions).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(sids.Subscriptions).toEqual({
      actions: ['dynamodb:Query', 'dynamodb:UpdateItem'],
      resources: [table()],
    });
    expect(sids.GitHubTokenFromVault?.actions).toEqual(['bedrock-agentcore:GetResourceOauth2Token']);
    const unnamed = statements.filter((statement) => statement.Sid === undefined);
    // The SQS event source's own grant: receive and delete on the job queue only.
    expect(unnamed.flatMap(actionsOf).sort()).toEqual(
      [
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ].sort(),
    );
    expect(unnamed.flatMap(resourcesOf)).toEqual([queue()]);
  });

  it('gives the chat function the webhook secret and item-level access to the AutoReview table only', () => {
    const sids = bySid(roleStatements('streaming chat'));

    expect(sids.WebhookSecretForHooks).toEqual({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secret()],
    });
    expect(sids.AutoReviewSubscriptionsRead).toEqual({
      actions: ['dynamodb:Query'],
      resources: [table(), `<${tableId()}.Arn>/index/byUser`],
    });
    expect(sids.AutoReviewSubscriptionsWrite).toEqual({
      actions: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [table()],
    });
  });

  it('grants no action on * anywhere in the new roles', () => {
    const statements = [...roleStatements('webhook receiver'), ...roleStatements('auto-review worker')];

    for (const statement of statements) expect(resourcesOf(statement)).not.toContain('*');
    expect(policyStatements(built.template).length).toBeGreaterThan(statements.length);
  });
});

describe('auto-review cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding with auto-review on', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.stack);

    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual(
      [],
    );
    expect(built.nagSummaries[0]?.failed).toBe(0);
  });

  it('acknowledges only the two functions log policy and the webhook secret rotation, with reasons', () => {
    const acknowledged = (built.nagSummaries[0]?.acknowledged ?? 0) - 6;

    // The chat stack's six, the receiver's and worker's AWSLambdaBasicExecutionRole, and SMG4 on the secret.
    expect(acknowledged).toBe(3);
    const secretNotes = built.stack.node
      .findAll()
      .filter((construct) => construct.node.path.endsWith('WebhookSecret'))
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules');
    expect(JSON.stringify(secretNotes)).toContain('AwsSolutions-SMG4');
  });
});
