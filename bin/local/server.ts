import { createHash } from 'node:crypto';
import type { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import {
  type AwsTimeouts,
  awsTimeouts,
  createAgentCoreClient,
  createBedrockRuntimeClient,
  createDynamoDbClient,
} from '../../lambdas/aws-clients';
import { createChatHandler } from '../../lambdas/chat/app';
import { createAppDeps } from '../../lambdas/chat/wiring';
import { type Config, configSchema, loadConfig } from '../../lambdas/config';
import { createLogger, type LogLevel } from '../../lambdas/log';
import { type AgentCoreStandin, startAgentCoreStandin } from '../../test/support/agentcore-standin';
import {
  type BedrockStandin,
  type Responder,
  type ScriptedTurn,
  startBedrockStandin,
} from '../../test/support/bedrock-standin';
import {
  createAgentTable,
  createAutoReviewTable,
  type LocalDynamo,
  startDynalite,
} from '../../test/support/dynalite';
import {
  fastOctokitOptions,
  type GitHubStandin,
  SAMPLE_LOGIN,
  startGitHubStandin,
} from '../../test/support/github-standin';
import { pullRequestPayload, pushCommit, sendDelivery } from '../../test/support/github-standin/webhooks';
import { offlineResponder } from '../../test/support/offline-model';
import { type LocalAutoReview, type LocalQueueSettings, startLocalAutoReview } from './auto-review';
import { type LocalFunctionUrl, startLocalFunctionUrl } from './function-url';
import { installLambdaGlobals } from './lambda-runtime';
import { loadStandinState, saveStandinState } from './standin-state';

/** How to run the chat function on this machine. */
export interface LocalServerOptions {
  port?: number;
  host?: string;
  /** The local IAM user every request is signed as (`--user`). */
  user?: string;
  /** Let requests choose their user with `x-local-user` (tests; several users on one server). */
  allowUserHeader?: boolean;
  /** Persist DynamoDB data, and offline the stand-ins' GitHub and consents, in this folder (`--data`). */
  dataDir?: string;
  /**
   * Use local stand-ins for Bedrock, AgentCore Identity and GitHub (`--offline`). Without it the model is Bedrock
   * and GitHub access follows IDENTITY_PROVIDER (a GITHUB_TOKEN, the device flow, or AgentCore).
   */
  offline?: boolean;
  /** Configuration variables on top of the local defaults (normally `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Offline only: what the model says (default: the demo's canned assistant). */
  responder?: Responder;
  /** Offline only: a fixed script instead of a responder. */
  script?: ScriptedTurn[];
  /** The function timeout (default 300 s). */
  timeoutMs?: number;
  heartbeatMs?: number;
  logLevel?: LogLevel;
  /** The webhook endpoint's port (auto-review; default: an ephemeral one). */
  webhookPort?: number;
  /** The local auto-review queue's visibility timeout and redrive (tests shorten them). */
  autoReviewQueue?: LocalQueueSettings;
}

/** A running local server and what it is connected to. */
export interface LocalServer {
  url: string;
  config: Config;
  /** One line per connection, for the startup banner. */
  connections: string[];
  dynamo: LocalDynamo;
  bedrock?: BedrockStandin;
  agentcore?: AgentCoreStandin;
  github?: GitHubStandin;
  functionUrl: LocalFunctionUrl;
  /** The webhook endpoint, its queue and worker (absent when AUTO_REVIEW_TABLE is set to nothing). */
  autoReview?: LocalAutoReview;
  close(): Promise<void>;
}

/** The least request timeout for the embedded dynalite (see startLocalServer). */
const EMBEDDED_DYNAMO_REQUEST_MS = 60_000;

/** What the local stand-ins accept (they check no signature). */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const LOCAL_DEFAULTS: Record<string, string> = {
  AWS_REGION: 'ap-southeast-2',
  MODEL_ID: 'au.anthropic.claude-sonnet-4-6',
  SESSIONS_TABLE: 'local-sessions',
  PLANS_TABLE: 'local-plans',
  AUTO_REVIEW_TABLE: 'local-auto-review',
  LOG_LEVEL: 'WARN',
};

/**
 * Starts the chat function locally behind a function-URL stand-in: the same handler code as in Lambda, with
 * dynalite for DynamoDB (tables created at start) and, offline, stand-ins for Bedrock, AgentCore Identity and GitHub.
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  installLambdaGlobals();
  const offline = options.offline ?? false;
  const env: NodeJS.ProcessEnv = { ...LOCAL_DEFAULTS, ...options.env };
  if (options.logLevel) env.LOG_LEVEL = options.logLevel;
  const connections: string[] = [];
  const closers: Array<() => Promise<void>> = [];

  try {
    // Validated before anything starts (a bad variable fails with its name); the clients' timeouts come from it.
    const timeouts = awsTimeouts(loadConfig(env));
    // AWS_ENDPOINT_URL_DYNAMODB (e.g. DynamoDB Local) wins over the embedded dynalite.
    const external = env.AWS_ENDPOINT_URL_DYNAMODB;
    const dynamo = external
      ? externalDynamo(external, env.AWS_REGION ?? '', timeouts)
      : await startDynalite({
          path: options.dataDir,
          // The chat function's own client (timeouts, reset retry), as in Lambda, with a longer request timeout:
          // dynalite shares this process's event loop, so under hundreds of streams its answers wait for the loop,
          // not for a hung network, and the turns should be slow rather than fail.
          client: (endpoint) =>
            createDynamoDbClient({
              endpoint,
              region: env.AWS_REGION ?? '',
              timeouts: { ...timeouts, requestMs: Math.max(timeouts.requestMs, EMBEDDED_DYNAMO_REQUEST_MS) },
              credentials: LOCAL_CREDENTIALS,
            }),
        });
    closers.push(() => dynamo.close());
    for (const table of [env.SESSIONS_TABLE ?? '', env.PLANS_TABLE ?? '']) await ensureTable(dynamo, table);
    if (env.AUTO_REVIEW_TABLE) await ensureTable(dynamo, env.AUTO_REVIEW_TABLE, createAutoReviewTable);
    connections.push(
      external
        ? `DynamoDB: ${external} (AWS_ENDPOINT_URL_DYNAMODB)`
        : `DynamoDB: dynalite ${options.dataDir ? `(data in ${options.dataDir})` : '(in memory)'}`,
    );

    let bedrock: BedrockStandin | undefined;
    let agentcore: AgentCoreStandin | undefined;
    let github: GitHubStandin | undefined;
    let autoReview: LocalAutoReview | undefined;
    /** The demo's "push a commit to PR #4": a push on the stand-in and GitHub's signed delivery of it. */
    const demoPush = async (repo: string, number: number): Promise<string> => {
      if (!github || !autoReview)
        return 'Auto-review is off in this local server (AUTO_REVIEW_TABLE is empty).';
      const pushed = pushCommit(github.state, repo, number);
      const payload = pullRequestPayload(github.state, repo, number, 'synchronize', {
        before: pushed.before,
      });
      const delivery = await sendDelivery(autoReview, 'pull_request', payload);
      const queued = Number((delivery.body as { queued?: unknown }).queued ?? 0);
      return (
        `Pushed ${pushed.after.slice(0, 7)} to ${repo}#${number} (adds ${pushed.file}); GitHub sent a signed ` +
        `synchronize delivery to ${autoReview.url}: HTTP ${delivery.status}, ${queued} auto-review job(s) queued. ` +
        (queued > 0
          ? 'The review appears on the pull request in a few seconds as the subscriber.'
          : `Nobody subscribes to auto-reviews of ${repo} yet: say "auto-review ${repo}" first.`)
      );
    };
    let bedrockClient: BedrockRuntimeClient | undefined;
    let agentCoreClient: BedrockAgentCoreClient | undefined;
    if (offline) {
      const saved = options.dataDir ? loadStandinState(options.dataDir) : undefined;
      const save = () => {
        if (options.dataDir && github && agentcore) {
          saveStandinState(options.dataDir, { github: github.state, agentcore: agentcore.bindings() });
        }
      };
      bedrock = await startBedrockStandin({
        responder: options.script
          ? undefined
          : (options.responder ?? offlineResponder({ pushCommit: (repo, number) => demoPush(repo, number) })),
        script: options.script,
      });
      closers.push(() => bedrock?.close() ?? Promise.resolve());
      github = await startGitHubStandin({
        data: saved?.github,
        onViolation: (violation) =>
          console.error(`GitHub stand-in: request outside GitHub's API: ${JSON.stringify(violation)}`),
        onChange: save,
      });
      closers.push(() => github?.close() ?? Promise.resolve());
      const standinGitHub = github;
      agentcore = await startAgentCoreStandin({
        // The workload identity's allowed return URLs, as the stack registers them.
        allowedReturnUrls: configSchema.shape.OAUTH_RETURN_URLS.parse(env.OAUTH_RETURN_URLS),
        // A token per user and grant, so a revoked token can be replaced by a new consent; GitHub sees the
        // scopes the consent asked for (OAUTH_SCOPES, plus admin:repo_hook after an auto-review consent).
        githubToken: (userId, grant, scopes) => {
          const token = `gho_local_${createHash('sha256').update(userId).digest('hex').slice(0, 16)}_${grant}`;
          standinGitHub.addToken(token, SAMPLE_LOGIN, scopes);
          return token;
        },
        bindings: saved?.agentcore,
        onBindingsChange: save,
      });
      // Consents from an earlier run: their tokens still work on the (restored) GitHub stand-in.
      for (const binding of saved?.agentcore ?? [])
        github.addToken(binding.token, SAMPLE_LOGIN, binding.scopes ?? ['repo', 'read:user']);
      closers.push(() => agentcore?.close() ?? Promise.resolve());
      Object.assign(env, { IDENTITY_PROVIDER: 'agentcore', GITHUB_API_URL: github.url });
      const standin = { region: env.AWS_REGION ?? '', timeouts, credentials: LOCAL_CREDENTIALS };
      bedrockClient = createBedrockRuntimeClient({ ...standin, endpoint: bedrock.url });
      agentCoreClient = createAgentCoreClient({ ...standin, endpoint: agentcore.url });
      connections.push(`Bedrock: local stand-in ${bedrock.url} (scripted demo model)`);
      connections.push(`AgentCore Identity: local stand-in ${agentcore.url}`);
      connections.push(`GitHub: local stand-in ${github.url} (user ${SAMPLE_LOGIN}, sample repos and a PR)`);
      if (options.dataDir) {
        connections.push(
          `Stand-in state: ${options.dataDir}/standins.json (${saved ? 'restored' : 'new'}: GitHub data and consents)`,
        );
      }
    } else {
      env.IDENTITY_PROVIDER ??= env.GITHUB_TOKEN
        ? 'static'
        : env.GITHUB_OAUTH_CLIENT_ID
          ? 'device'
          : 'agentcore';
      connections.push(
        `Bedrock: ${env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME ?? `Amazon Bedrock in ${env.AWS_REGION}`} (model ${env.MODEL_ID})`,
      );
      connections.push(
        `GitHub: ${env.GITHUB_API_URL ?? 'https://api.github.com'} via ${describeIdentity(env)}`,
      );
    }

    const logger = createLogger(loadConfig(env).LOG_LEVEL);
    if (env.AUTO_REVIEW_TABLE) {
      autoReview = await startLocalAutoReview({
        env,
        dynamo: dynamo.client,
        logger,
        bedrock: bedrockClient,
        agentCoreClient,
        octokit: offline ? fastOctokitOptions() : undefined,
        port: options.webhookPort,
        host: options.host,
        queue: options.autoReviewQueue,
        jobTimeoutMs: options.timeoutMs,
      });
      const started = autoReview;
      closers.push(() => started.close());
      // The subscribe commands register this URL as the repository's webhook.
      env.WEBHOOK_URL = autoReview.url;
      // ...and sign them with the secret the local receiver verifies.
      env.WEBHOOK_SECRET ??= autoReview.secret;
      connections.push(`Webhook (auto-review): POST ${autoReview.url} (signed with WEBHOOK_SECRET)`);
    }
    const config = loadConfig(env);
    const deps = createAppDeps(config, {
      logger,
      dynamo: dynamo.client,
      bedrock: bedrockClient,
      identity: agentCoreClient ? { agentCoreClient } : undefined,
      heartbeatMs: options.heartbeatMs,
      // The stand-in has no real rate limits: no spacing between writes, and injected Retry-After waits in ms.
      octokit: offline ? fastOctokitOptions() : undefined,
    });
    const user = options.user ?? 'developer';
    const functionUrl = await startLocalFunctionUrl({
      handler: awslambda.streamifyResponse(createChatHandler(deps)),
      port: options.port,
      host: options.host,
      userArn: `arn:aws:iam::000000000000:user/${user}`,
      allowUserHeader: options.allowUserHeader,
      timeoutMs: options.timeoutMs,
    });
    closers.push(() => functionUrl.close());
    connections.unshift(`Signed in as: arn:aws:iam::000000000000:user/${user}`);

    return {
      url: functionUrl.url,
      config,
      connections,
      dynamo,
      bedrock,
      agentcore,
      github,
      functionUrl,
      autoReview,
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

/** A DynamoDB the caller runs (its endpoint from AWS_ENDPOINT_URL_DYNAMODB); closing only drops the client. */
function externalDynamo(endpoint: string, region: string, timeouts: AwsTimeouts): LocalDynamo {
  // DynamoDB Local accepts any credentials; a machine without AWS credentials should still reach it.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(new URL(endpoint).hostname);
  const client = createDynamoDbClient({
    endpoint,
    region,
    timeouts,
    ...(loopback ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
  return { endpoint, client, close: async () => client.destroy() };
}

async function ensureTable(
  dynamo: LocalDynamo,
  tableName: string,
  create: typeof createAgentTable = createAgentTable,
): Promise<void> {
  try {
    await create(dynamo.client, tableName);
  } catch (error) {
    // A persisted data folder already has its tables.
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
}

function describeIdentity(env: NodeJS.ProcessEnv): string {
  switch (env.IDENTITY_PROVIDER) {
    case 'static':
      return 'GITHUB_TOKEN';
    case 'device':
      return `GitHub device flow (OAuth App ${env.GITHUB_OAUTH_CLIENT_ID})`;
    default:
      return `AgentCore Identity (workload ${env.WORKLOAD_IDENTITY_NAME ?? 'github-coding-agent'})`;
  }
}

async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => undefined);
}
