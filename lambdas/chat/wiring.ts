import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createBedrockModel, type RetryPolicy } from '../agent/bedrock';
import { createCurrentTimeTool } from '../agent/builtin-tools';
import { type ModelPort, observeUsage, type TokenUsage } from '../agent/model';
import type { ToolContext } from '../agent/tool';
import { createToolSet } from '../agent/tool-specs';
import type { ChatTurnDeps, PendingWritesDeps, PlanCommands, TurnScope } from '../agent/turn';
import { createAutoReviewCommands } from '../autoreview/chat-setup';
import {
  awsTimeouts,
  createAgentCoreClient,
  createBedrockRuntimeClient,
  createDynamoDbClient,
  createSecretsManagerClient,
} from '../aws-clients';
import type { Config } from '../config';
import { createGitHubAccess, type GitHubAccess } from '../github/access';
import type { CreateOctokitOptions } from '../github/client';
import { createGitHubTools } from '../github/tools';
import { createTokenPortFromConfig, type GitHubTokenPort, type IdentityDeps } from '../identity';
import { createLogger, type Logger } from '../log';
import { createEmfMetrics } from '../metrics/emf';
import { meterModel } from '../metrics/model-meter';
import type { MetricsPort } from '../metrics/port';
import { priceFor } from '../metrics/prices';
import { meterTokenPort } from '../metrics/token-port-meter';
import { loadPrompt } from '../prompts';
import { randomToken } from '../random-token';
import { parsePlanCommand, runPlanCommand } from '../review/commands';
import { createReviewGitHub, describeReviewGitHubError } from '../review/github-adapter';
import { formatRef } from '../review/plan';
import type { ReviewDeps } from '../review/ports';
import { createSelfCheckModel } from '../review/self-check-model';
import { reviewSettingsFromConfig } from '../review/settings';
import { createPlanReviewTool } from '../review/tool';
import { createTurnBudget } from '../sessions/budget';
import { createConsentBindings } from '../sessions/consents';
import { createSessionStore } from '../sessions/messages';
import { createPendingWriteStore } from '../sessions/pending-writes';
import { createPlanStore } from '../sessions/plans';
import { createSessionTrust } from '../sessions/session-trust';
import { stopTurnOnTimeout } from '../timeouts';
import { createWriteGate } from '../writes/gate';
import type { ChatAppDeps } from './app';

/** Collaborators a caller may supply instead of the ones built from the config (the local server and tests do). */
export interface AppOverrides {
  logger?: Logger;
  dynamo?: Pick<DynamoDBClient, 'send'>;
  model?: ModelPort;
  bedrock?: Pick<BedrockRuntimeClient, 'send'>;
  modelRetry?: Partial<RetryPolicy>;
  tokenPort?: GitHubTokenPort;
  identity?: IdentityDeps;
  /** Extra Octokit settings (tests pass fast throttling groups). */
  octokit?: Partial<Omit<CreateOctokitOptions, 'token'>>;
  heartbeatMs?: number;
  now?: () => Date;
  /** Where metrics go instead of the one METRICS selects (tests read them). */
  metrics?: MetricsPort;
}

/** Time kept back from the invocation for saving the turn and ending the stream. */
const RESERVE_MS = 5_000;

/**
 * Builds the handler's dependencies from the validated config: AWS clients (which honour the SDK's
 * `AWS_ENDPOINT_URL_<SERVICE>` variables), the Bedrock model, the session store, the GitHub token port and the tools.
 * Called once per cold start by `handler.ts` and once by the local server.
 */
export function createAppDeps(config: Config, overrides: AppOverrides = {}): ChatAppDeps {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  // Every client has connection and request timeouts: a hung dependency ends the turn with an error, not silence.
  const aws = { region: config.AWS_REGION, timeouts: awsTimeouts(config) };
  const dynamo = overrides.dynamo ?? createDynamoDbClient(aws);
  const metrics = overrides.metrics ?? createMetrics(config, logger);
  // One Bedrock client for the review model and the self-check's own model (one connection pool), made on first use.
  let bedrockClient: Pick<BedrockRuntimeClient, 'send'> | undefined;
  const bedrock = () => {
    bedrockClient ??= overrides.bedrock ?? createBedrockRuntimeClient(aws);
    return bedrockClient;
  };
  const bareModel =
    overrides.model ??
    createBedrockModel({
      // Retries are the adapter's: it only retries while nothing has been streamed yet.
      client: bedrock(),
      modelId: config.MODEL_ID,
      idleTimeoutMs: config.MODEL_IDLE_TIMEOUT_MS,
      promptCache: config.PROMPT_CACHE,
      structuredOutput: config.STRUCTURED_OUTPUT,
      retry: overrides.modelRetry,
      logger,
    });
  const price = priceFor(config.MODEL_ID, config.MODEL_PRICES);
  // Review calls are metered per call; the chat loop's calls are summed into each turn's line (see meterTurn).
  const model = metrics ? meterModel(bareModel, metrics, price) : bareModel;
  const selfCheckModel = createSelfCheckModel(config, {
    model,
    modelOverridden: overrides.model !== undefined,
    bedrock,
    retry: overrides.modelRetry,
    logger,
    metrics,
  });
  const bareTokenPort =
    overrides.tokenPort ??
    createTokenPortFromConfig(config, {
      agentCoreClient: overrides.identity?.agentCoreClient ?? createAgentCoreClient(aws),
      logger,
      ...overrides.identity,
    });
  const tokenPort = metrics ? meterTokenPort(bareTokenPort, metrics) : bareTokenPort;
  const sessions = createSessionStore({
    client: dynamo,
    tableName: config.SESSIONS_TABLE,
    ttlDays: config.SESSION_TTL_DAYS,
  });
  const consents = createConsentBindings({ client: dynamo, tableName: config.SESSIONS_TABLE });
  const now = overrides.now ?? (() => new Date());
  const currentTime = createCurrentTimeTool(now);
  const reviewScope =
    config.REVIEW_PATH_PREFIXES.length === 0
      ? 'the whole repository'
      : config.REVIEW_PATH_PREFIXES.join(', ');

  const plans = createPlanStore({ client: dynamo, tableName: config.PLANS_TABLE });

  /** One user's GitHub for one turn: the token is fetched on first use and lives only as long as the turn. */
  const accessFor = (scope: TurnScope, scopes?: string[]) =>
    createGitHubAccess({
      tokenPort,
      userId: scope.userId,
      returnUrl: scope.returnUrl,
      scopes,
      logger,
      // Octokit (~130 KB of the bundle) is loaded by the first turn that calls GitHub, not at cold start.
      octokitFactory: async (token) =>
        (await import('../github/client')).createOctokit({
          baseUrl: config.GITHUB_API_URL,
          logger,
          requestTimeoutMs: config.GITHUB_REQUEST_TIMEOUT_MS,
          onRateLimit: metrics && ((hit) => metrics.gitHubRateLimit(hit)),
          ...overrides.octokit,
          token,
        }),
    });
  /** `onUsage`: the turn's token budget counts the review's model calls too. */
  const reviewWith = (
    access: GitHubAccess,
    signal?: AbortSignal,
    onUsage?: (usage: TokenUsage) => void,
  ): ReviewDeps => ({
    github: createReviewGitHub(access, signal),
    plans,
    model: onUsage ? observeUsage(model, onUsage) : model,
    settings: reviewSettingsFromConfig(config),
    selfCheckModel: onUsage ? observeUsage(selfCheckModel, onUsage) : selfCheckModel,
    now,
    newId: () => `p_${randomToken(9, 'base64url')}`,
    logger,
    metrics,
  });

  // Built once per cold start and shared by every turn; each turn binds its own GitHub access (bindTurn below).
  const githubOf = (context: ToolContext): GitHubAccess => {
    if (!context.github) throw new Error('No GitHub access is bound to this turn');
    return context.github;
  };
  const tools = createToolSet(
    [
      currentTime,
      ...createGitHubTools(githubOf),
      createPlanReviewTool((context) => ({
        ...reviewWith(githubOf(context), undefined, context.onUsage),
        describeGitHubError: describeReviewGitHubError,
      })),
    ].map(stopTurnOnTimeout),
  );
  const planCommands: PlanCommands = {
    parse: parsePlanCommand,
    run: (scope, command, signal) =>
      runPlanCommand(reviewWith(accessFor(scope), signal, scope.onUsage), {
        userId: scope.userId,
        sessionId: scope.sessionId,
        command,
        emit: scope.emit,
        signal,
      }),
    listPending: async (scope) =>
      (await plans.listPending(scope.userId, scope.sessionId)).map((plan) => ({
        id: plan.planId,
        description: `review of ${formatRef(plan.ref)} ${plan.title}`,
      })),
  };
  const pendingWriteStore = createPendingWriteStore({ client: dynamo, tableName: config.PLANS_TABLE });
  const pendingWrites: PendingWritesDeps = {
    store: pendingWriteStore,
    trust: createSessionTrust({
      client: dynamo,
      tableName: config.SESSIONS_TABLE,
      ttlDays: config.SESSION_TTL_DAYS,
    }),
    hold: createWriteGate({
      writes: pendingWriteStore,
      ttlMinutes: config.WRITE_APPROVAL_TTL_MINUTES,
      now,
      newId: () => randomToken(9, 'base64url'),
    }),
  };

  const turn: ChatTurnDeps = {
    model: bareModel,
    ...(metrics ? { meterModelCalls: { price } } : {}),
    sessions,
    consents,
    limits: {
      maxIterations: config.MAX_TOOL_ITERATIONS,
      maxOutputTokens: config.MAX_OUTPUT_TOKENS,
      reserveMs: RESERVE_MS,
      historyTokenBudget: config.HISTORY_TOKEN_BUDGET,
    },
    systemPrompt: loadPrompt('system', { review_scope: reviewScope }).trim(),
    tools,
    // One access per turn: every tool shares its token (and so at most one consent).
    bindTurn: (scope) => ({ github: accessFor(scope), ...(scope.onUsage ? { onUsage: scope.onUsage } : {}) }),
    planCommands,
    directCommands: createAutoReviewCommands(config, {
      dynamo,
      secretsManager: () => createSecretsManagerClient(aws),
      tokenPort,
      accessFor,
      hold: pendingWrites.hold,
      now,
      logger,
    }),
    pendingWrites,
    newSessionId: () => randomToken(16, 'base64url'),
    logger,
    metrics,
    budget:
      config.USER_TURNS_PER_HOUR > 0 || config.USER_TOKENS_PER_HOUR > 0
        ? createTurnBudget({
            client: dynamo,
            tableName: config.SESSIONS_TABLE,
            turnsPerHour: config.USER_TURNS_PER_HOUR,
            tokensPerHour: config.USER_TOKENS_PER_HOUR,
            now: () => now().getTime(),
          })
        : undefined,
  };

  return {
    turn,
    tokenPort,
    consents,
    sessionView: { sessions, plans, writes: pendingWriteStore },
    logger,
    heartbeatMs: overrides.heartbeatMs,
  };
}

/** The metrics METRICS selects: EMF lines in Lambda, none locally (a priceless model is said once, at cold start). */
function createMetrics(config: Config, logger: Logger): MetricsPort | undefined {
  if (config.METRICS === 'off') return undefined;
  if (!priceFor(config.MODEL_ID, config.MODEL_PRICES)) {
    logger.warn('No price for the model: EstimatedCostUsd is not reported; set MODEL_PRICES', {
      modelId: config.MODEL_ID,
    });
  }
  return createEmfMetrics({ namespace: config.METRICS_NAMESPACE, service: config.METRICS_SERVICE, logger });
}
