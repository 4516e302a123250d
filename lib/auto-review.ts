import { join } from 'node:path';
import {
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_lambda_event_sources as eventSources,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  aws_secretsmanager as secretsmanager,
  type aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULT_METRICS_NAMESPACE } from '../lambdas/metrics/names';
import {
  bundlingOptions,
  FUNCTION_ARCHITECTURE,
  FUNCTION_RUNTIME,
  PROJECT_ROOT,
  SOURCE_MAP_ENV,
} from './bundling';
import { grantGitHubTokens, grantModel } from './chat-function';
import type { ModelAccess } from './model-access';
import { AUTO_REVIEW_BY_USER_INDEX, addAutoReviewTable } from './tables';

/** The worker's timeout: a large review plans, runs up to 60 model calls and posts. */
export const WORKER_TIMEOUT = Duration.minutes(10);
/**
 * The queue's visibility timeout: six times the worker's, as AWS advises for a Lambda event source (a job is never
 * handed to a second worker while the first may still be running it, retries included).
 */
export const QUEUE_VISIBILITY_TIMEOUT = Duration.minutes(60);
/** Attempts before a job goes to the dead-letter queue (the worker records a failure on the last one). */
export const MAX_RECEIVE_COUNT = 3;
/** The receiver answers within this; GitHub gives up on a delivery after 10 s. */
export const RECEIVER_TIMEOUT = Duration.seconds(10);
/** Reviews running at once: each holds model capacity and the subscriber's GitHub rate limit. */
export const WORKER_MAX_CONCURRENCY = 5;

export interface AutoReviewProps {
  modelId: string;
  modelAccess: ModelAccess;
  plansTable: dynamodb.ITable;
  workloadIdentityName: string;
  workloadIdentityRef: string;
  providerName: string;
  providerRef: string;
  clientSecretArn: string;
  oauthScopes: string[];
  returnUrls: string[];
  reviewPathPrefixes: string[];
  /** REVIEW_SEVERITY_THRESHOLD, SELF_CHECK and the self-check's own model, as the chat function reviews. */
  reviewSeverityThreshold: string;
  selfCheck: boolean;
  selfCheckModel?: { modelId: string; access: ModelAccess };
  logLevel: string;
  metricsService: string;
  /** Where the dead-letter alarm notifies (the stack's alarm topic), when there is one. */
  alarmTopic?: sns.ITopic;
}

export interface AutoReview {
  table: dynamodb.Table;
  secret: secretsmanager.Secret;
  queue: sqs.Queue;
  deadLetterQueue: sqs.Queue;
  receiver: nodejs.NodejsFunction;
  receiverUrl: lambda.FunctionUrl;
  worker: nodejs.NodejsFunction;
  deadLetterAlarm: cloudwatch.Alarm;
}

/**
 * Auto-review (docs/auto-review.md): the AutoReview table, the generated webhook secret, the webhook receiver behind
 * its own function URL (auth NONE: GitHub cannot sign with SigV4; every delivery must carry the HMAC signature), the
 * job queue with its dead-letter queue and alarm, and the worker that reviews as each subscriber.
 */
export function addAutoReview(scope: Construct, props: AutoReviewProps, id = 'AutoReview'): AutoReview {
  const construct = new Construct(scope, id);
  const table = addAutoReviewTable(construct, 'Table');

  const secret = new secretsmanager.Secret(construct, 'WebhookSecret', {
    description:
      'GitHub webhook secret: signs every delivery to the auto-review webhook (X-Hub-Signature-256)',
    // Letters and digits only: it is typed into GitHub's hook settings and sent in JSON by the chat function.
    generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    removalPolicy: RemovalPolicy.DESTROY,
  });

  const deadLetterQueue = new sqs.Queue(construct, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(construct, 'Queue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: QUEUE_VISIBILITY_TIMEOUT,
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
  });

  const common = {
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
    runtime: FUNCTION_RUNTIME,
    architecture: FUNCTION_ARCHITECTURE,
  };
  const metricsEnv = {
    LOG_LEVEL: props.logLevel,
    METRICS: 'emf',
    METRICS_NAMESPACE: DEFAULT_METRICS_NAMESPACE,
    METRICS_SERVICE: props.metricsService,
    ...SOURCE_MAP_ENV,
  };

  const receiver = new nodejs.NodejsFunction(construct, 'Receiver', {
    ...common,
    entry: join(PROJECT_ROOT, 'lambdas/webhook/handler.ts'),
    memorySize: 256,
    timeout: RECEIVER_TIMEOUT,
    bundling: bundlingOptions({ copyPrompts: false }),
    // The variables of webhookConfigSchema (lambdas/webhook/config.ts).
    environment: {
      AUTO_REVIEW_TABLE: table.tableName,
      AUTO_REVIEW_QUEUE_URL: queue.queueUrl,
      WEBHOOK_SECRET_ARN: secret.secretArn,
      ...metricsEnv,
    },
    logGroup: new logs.LogGroup(construct, 'ReceiverLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    description: 'GitHub coding agent: webhook receiver (auto-review), HMAC-verified',
  });
  receiver.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'WebhookSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secret.secretArn],
    }),
  );
  receiver.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'DeliveriesAndSubscribers',
      // PutItem/DeleteItem: the delivery ledger (claim, release); Query: a repo's subscribers (table, not index).
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      resources: [table.tableArn],
    }),
  );
  receiver.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'EnqueueJobs',
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
    }),
  );
  const receiverUrl = receiver.addFunctionUrl({
    // GitHub signs deliveries with the shared secret, not SigV4: the HMAC check is the authentication.
    authType: lambda.FunctionUrlAuthType.NONE,
    invokeMode: lambda.InvokeMode.BUFFERED,
  });

  const worker = new nodejs.NodejsFunction(construct, 'Worker', {
    ...common,
    entry: join(PROJECT_ROOT, 'lambdas/autoreview/handler.ts'),
    memorySize: 1024,
    timeout: WORKER_TIMEOUT,
    bundling: bundlingOptions({ copyPrompts: true }),
    // The variables of workerConfigSchema (lambdas/autoreview/config.ts).
    environment: {
      MODEL_ID: props.modelId,
      PLANS_TABLE: props.plansTable.tableName,
      AUTO_REVIEW_TABLE: table.tableName,
      AUTO_REVIEW_MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
      WORKLOAD_IDENTITY_NAME: props.workloadIdentityRef,
      OAUTH_PROVIDER_NAME: props.providerRef,
      OAUTH_SCOPES: props.oauthScopes.join(','),
      OAUTH_RETURN_URLS: props.returnUrls.join(','),
      REVIEW_PATH_PREFIXES: props.reviewPathPrefixes.join(','),
      REVIEW_SEVERITY_THRESHOLD: props.reviewSeverityThreshold,
      SELF_CHECK: props.selfCheck ? 'on' : 'off',
      ...(props.selfCheckModel ? { SELF_CHECK_MODEL_ID: props.selfCheckModel.modelId } : {}),
      IDENTITY_PROVIDER: 'agentcore',
      ...metricsEnv,
    },
    logGroup: new logs.LogGroup(construct, 'WorkerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    description: 'GitHub coding agent: auto-review worker (reviews as each subscriber)',
  });
  grantModel(worker, props.modelAccess);
  if (props.selfCheckModel) grantModel(worker, props.selfCheckModel.access, 'SelfCheck');
  worker.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReviewPlans',
      // The unattended review's plan: create, read, claim and complete (no Query: it never lists a session's plans).
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [props.plansTable.tableArn],
    }),
  );
  worker.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'Subscriptions',
      // Query: the job's subscription; UpdateItem: mark it broken, record its last result.
      actions: ['dynamodb:Query', 'dynamodb:UpdateItem'],
      resources: [table.tableArn],
    }),
  );
  grantGitHubTokens(worker, {
    workloadIdentityName: props.workloadIdentityName,
    providerName: props.providerName,
    clientSecretArn: props.clientSecretArn,
    // Only reading a stored token: consents are completed in chat, never by the worker.
    vaultActions: ['bedrock-agentcore:GetResourceOauth2Token'],
  });
  worker.addEventSource(
    new eventSources.SqsEventSource(queue, {
      batchSize: 1,
      reportBatchItemFailures: true,
      maxConcurrency: WORKER_MAX_CONCURRENCY,
    }),
  );

  const deadLetterAlarm = new cloudwatch.Alarm(construct, 'DeadLetterAlarm', {
    alarmDescription:
      'An auto-review job failed every attempt and is in the dead-letter queue (docs/operations.md, "Auto-review").',
    metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  if (props.alarmTopic) deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));

  return { table, secret, queue, deadLetterQueue, receiver, receiverUrl, worker, deadLetterAlarm };
}

/**
 * What the chat function needs for the subscribe commands: read the webhook secret (it goes into the hook it creates)
 * and keep the caller's subscriptions (add, remove, list by user through the index, mark).
 */
export function grantChatSubscriptions(fn: lambda.IFunction, autoReview: AutoReview): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'WebhookSecretForHooks',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [autoReview.secret.secretArn],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'AutoReviewSubscriptionsRead',
      actions: ['dynamodb:Query'],
      resources: [
        autoReview.table.tableArn,
        `${autoReview.table.tableArn}/index/${AUTO_REVIEW_BY_USER_INDEX}`,
      ],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'AutoReviewSubscriptionsWrite',
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
      resources: [autoReview.table.tableArn],
    }),
  );
}
