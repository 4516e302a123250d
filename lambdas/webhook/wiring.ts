import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsJobQueue, type JobQueue } from '../autoreview/queue';
import { createSubscriptionStore } from '../autoreview/subscriptions';
import { createDynamoDbClient, createSecretsManagerClient, createSqsClient } from '../aws-clients';
import { createLogger, type Logger } from '../log';
import { type AutoReviewMetrics, autoReviewMetricsFor } from '../metrics/auto-review';
import type { WebhookConfig } from './config';
import { createDeliveryLedger } from './deliveries';
import type { ReceiverDeps } from './receiver';
import { createCachedSecret, secretsManagerFetch } from './secret';

/** Collaborators the local server and tests supply instead of AWS clients. */
export interface ReceiverOverrides {
  dynamo?: Pick<DynamoDBClient, 'send'>;
  secretsManager?: Pick<SecretsManagerClient, 'send'>;
  sqs?: Pick<SQSClient, 'send'>;
  queue?: JobQueue;
  logger?: Logger;
  metrics?: AutoReviewMetrics;
}

/** A rotated secret is looked up again at most this often when signatures stop matching. */
const SECRET_MIN_REFRESH_MS = 60_000;

/** Builds the receiver's dependencies once per cold start (clients with short timeouts: GitHub waits 10 s). */
export function createReceiverDeps(config: WebhookConfig, overrides: ReceiverOverrides = {}): ReceiverDeps {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL, 'github-coding-agent-webhook');
  const aws = {
    region: config.AWS_REGION,
    timeouts: {
      connectMs: config.DEPENDENCY_CONNECT_TIMEOUT_MS,
      requestMs: config.DEPENDENCY_REQUEST_TIMEOUT_MS,
    },
  };
  const dynamo = overrides.dynamo ?? createDynamoDbClient(aws);
  const localSecret = config.WEBHOOK_SECRET;
  const fetchSecret =
    localSecret !== undefined
      ? async () => localSecret
      : secretsManagerFetch(
          overrides.secretsManager ?? createSecretsManagerClient(aws),
          config.WEBHOOK_SECRET_ARN ?? '',
        );
  return {
    secret: createCachedSecret({
      fetch: fetchSecret,
      ttlMs: config.WEBHOOK_SECRET_TTL_SECONDS * 1000,
      minRefreshMs: SECRET_MIN_REFRESH_MS,
    }),
    deliveries: createDeliveryLedger({ client: dynamo, tableName: config.AUTO_REVIEW_TABLE }),
    subscriptions: createSubscriptionStore({ client: dynamo, tableName: config.AUTO_REVIEW_TABLE }),
    queue:
      overrides.queue ??
      createSqsJobQueue({
        client: overrides.sqs ?? createSqsClient(aws),
        queueUrl: config.AUTO_REVIEW_QUEUE_URL,
      }),
    metrics: overrides.metrics ?? autoReviewMetricsFor(config, logger),
    logger,
    maxBodyBytes: config.WEBHOOK_MAX_BODY_BYTES,
    deadlineMs: config.WEBHOOK_DEADLINE_MS,
  };
}
