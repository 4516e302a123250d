import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createBedrockModel } from '../agent/bedrock';
import type { ModelPort } from '../agent/model';
import {
  awsTimeouts,
  createAgentCoreClient,
  createBedrockRuntimeClient,
  createDynamoDbClient,
} from '../aws-clients';
import { type CreateOctokitOptions, createGitHubAccess, createOctokit } from '../github';
import { createTokenPortFromConfig, type GitHubTokenPort, type IdentityDeps } from '../identity';
import { createLogger, type Logger } from '../log';
import { type AutoReviewMetrics, autoReviewMetricsFor } from '../metrics/auto-review';
import { createEmfMetrics } from '../metrics/emf';
import { meterModel } from '../metrics/model-meter';
import type { MetricsPort } from '../metrics/port';
import { priceFor } from '../metrics/prices';
import { randomToken } from '../random-token';
import { createReviewGitHub } from '../review/github-adapter';
import { createSelfCheckModel } from '../review/self-check-model';
import { reviewSettingsFromConfig } from '../review/settings';
import { createPlanStore } from '../sessions/plans';
import type { WorkerConfig } from './config';
import { createSubscriptionStore } from './subscriptions';
import type { WorkerDeps } from './worker';

/** Collaborators the local server and tests supply instead of the ones built from the config. */
export interface WorkerOverrides {
  logger?: Logger;
  dynamo?: Pick<DynamoDBClient, 'send'>;
  model?: ModelPort;
  bedrock?: Pick<BedrockRuntimeClient, 'send'>;
  tokenPort?: GitHubTokenPort;
  identity?: IdentityDeps;
  octokit?: Partial<Omit<CreateOctokitOptions, 'token'>>;
  metrics?: AutoReviewMetrics;
  now?: () => Date;
}

/**
 * Builds the worker's dependencies once per cold start: the same model, token port (AgentCore, same workload
 * identity as the chat function) and review settings as the chat function, and the plan and subscription stores.
 */
export function createWorkerDeps(config: WorkerConfig, overrides: WorkerOverrides = {}): WorkerDeps {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL, 'github-coding-agent-autoreview');
  const aws = { region: config.AWS_REGION, timeouts: awsTimeouts(config) };
  const dynamo = overrides.dynamo ?? createDynamoDbClient(aws);
  const emf = config.METRICS === 'emf';
  const reviewMetrics: MetricsPort | undefined = emf
    ? createEmfMetrics({ namespace: config.METRICS_NAMESPACE, service: config.METRICS_SERVICE, logger })
    : undefined;
  // One Bedrock client for the review model and the self-check's own model (one connection pool), made on first use.
  let bedrockClient: Pick<BedrockRuntimeClient, 'send'> | undefined;
  const bedrock = () => {
    bedrockClient ??= overrides.bedrock ?? createBedrockRuntimeClient(aws);
    return bedrockClient;
  };
  const bareModel =
    overrides.model ??
    createBedrockModel({
      client: bedrock(),
      modelId: config.MODEL_ID,
      idleTimeoutMs: config.MODEL_IDLE_TIMEOUT_MS,
      promptCache: config.PROMPT_CACHE,
      structuredOutput: config.STRUCTURED_OUTPUT,
      logger,
    });
  const model = reviewMetrics
    ? meterModel(bareModel, reviewMetrics, priceFor(config.MODEL_ID, config.MODEL_PRICES))
    : bareModel;
  const selfCheckModel = createSelfCheckModel(config, {
    model,
    modelOverridden: overrides.model !== undefined,
    bedrock,
    logger,
    metrics: reviewMetrics,
  });
  const tokenPort =
    overrides.tokenPort ??
    createTokenPortFromConfig(config, {
      agentCoreClient: overrides.identity?.agentCoreClient ?? createAgentCoreClient(aws),
      logger,
      ...overrides.identity,
    });
  const plans = createPlanStore({ client: dynamo, tableName: config.PLANS_TABLE });
  const now = overrides.now ?? (() => new Date());

  return {
    subscriptions: createSubscriptionStore({ client: dynamo, tableName: config.AUTO_REVIEW_TABLE }),
    reviewFor: (userId, signal) => ({
      // This job's subscriber only: the token is fetched on first use and lives as long as the job.
      github: createReviewGitHub(
        createGitHubAccess({
          tokenPort,
          userId,
          logger,
          octokitFactory: (token) =>
            createOctokit({
              baseUrl: config.GITHUB_API_URL,
              logger,
              requestTimeoutMs: config.GITHUB_REQUEST_TIMEOUT_MS,
              onRateLimit: reviewMetrics && ((hit) => reviewMetrics.gitHubRateLimit(hit)),
              ...overrides.octokit,
              token,
            }),
        }),
        signal,
      ),
      plans,
      model,
      settings: reviewSettingsFromConfig(config),
      selfCheckModel,
      now,
      newId: () => `p_${randomToken(9, 'base64url')}`,
      logger,
      metrics: reviewMetrics,
    }),
    metrics: overrides.metrics ?? autoReviewMetricsFor(config, logger),
    logger,
    maxReceiveCount: config.AUTO_REVIEW_MAX_RECEIVE_COUNT,
  };
}
