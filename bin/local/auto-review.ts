import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadWorkerConfig } from '../../lambdas/autoreview/config';
import { createWorkerDeps } from '../../lambdas/autoreview/wiring';
import { processJobBatch } from '../../lambdas/autoreview/worker';
import type { CreateOctokitOptions } from '../../lambdas/github';
import type { Logger } from '../../lambdas/log';
import { createWebhookHandler } from '../../lambdas/webhook/app';
import { loadWebhookConfig } from '../../lambdas/webhook/config';
import { createReceiverDeps } from '../../lambdas/webhook/wiring';
import { type LocalQueue, startLocalQueue } from '../../test/support/queue-standin';
import { toFunctionUrlEvent } from './function-url';
import { startLocalHttpServer } from './local-http';
import { listenNames, readGuardedBody } from './request-guards';

/** The local webhook secret when WEBHOOK_SECRET is not set: local runs only, never a deployed stack's. */
export const LOCAL_WEBHOOK_SECRET = 'local-webhook-secret-not-for-production';

/** How the local queue behaves (SQS's visibility timeout and redrive policy, scaled down for a laptop). */
export interface LocalQueueSettings {
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  concurrency?: number;
}

export interface LocalAutoReviewOptions {
  env: NodeJS.ProcessEnv;
  dynamo: Pick<DynamoDBClient, 'send'>;
  logger: Logger;
  bedrock?: Pick<BedrockRuntimeClient, 'send'>;
  agentCoreClient?: Pick<BedrockAgentCoreClient, 'send'>;
  octokit?: Partial<Omit<CreateOctokitOptions, 'token'>>;
  port?: number;
  host?: string;
  queue?: LocalQueueSettings;
  /** The worker's time per job (the Lambda timeout in AWS). Default 300 s. */
  jobTimeoutMs?: number;
}

/** The webhook endpoint, its queue and its worker, running in this process. */
export interface LocalAutoReview {
  /** POST GitHub deliveries here (`/webhook`; any path is served, as a function URL does). */
  url: string;
  secret: string;
  queue: LocalQueue;
  close(): Promise<void>;
}

/**
 * Runs auto-review locally: the webhook receiver's own handler behind a function-URL stand-in with auth NONE (its own
 * port: the chat URL's stand-in is IAM-authenticated), the in-process queue with visibility timeout and DLQ, and the
 * worker consuming it with the same model, identity and GitHub as the chat function.
 */
export async function startLocalAutoReview(options: LocalAutoReviewOptions): Promise<LocalAutoReview> {
  const { env, logger } = options;
  const secret = env.WEBHOOK_SECRET ?? LOCAL_WEBHOOK_SECRET;
  const workerDeps = createWorkerDeps(loadWorkerConfig(env), {
    logger,
    dynamo: options.dynamo,
    bedrock: options.bedrock,
    identity: options.agentCoreClient ? { agentCoreClient: options.agentCoreClient } : undefined,
    octokit: options.octokit,
  });
  const jobTimeoutMs = options.jobTimeoutMs ?? 300_000;
  const queue = startLocalQueue({
    visibilityTimeoutMs: options.queue?.visibilityTimeoutMs ?? 6 * jobTimeoutMs,
    maxReceiveCount: options.queue?.maxReceiveCount ?? workerDeps.maxReceiveCount,
    concurrency: options.queue?.concurrency ?? 4,
    consumer: (records) => processJobBatch(workerDeps, records, AbortSignal.timeout(jobTimeoutMs)),
  });
  const receiverDeps = createReceiverDeps(
    loadWebhookConfig({
      ...env,
      WEBHOOK_SECRET: secret,
      AUTO_REVIEW_QUEUE_URL: 'http://127.0.0.1/local-queue',
    }),
    { dynamo: options.dynamo, queue, logger },
  );
  const handler = createWebhookHandler(receiverDeps);
  const maxBodyBytes = receiverDeps.maxBodyBytes + 64 * 1024;
  const extraHosts = listenNames(options.host);

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readGuardedBody(req, res, {
      extraHosts,
      maxBodyBytes,
      who: 'The local webhook',
      tooLarge: `The body is over ${receiverDeps.maxBodyBytes} bytes`,
    });
    if (body === undefined) return;
    // Auth NONE: a function URL sends no authorizer; the handler's HMAC check is the only gate, as in AWS.
    const result = await handler(toFunctionUrlEvent(req, body, undefined));
    const answer = typeof result === 'string' ? { statusCode: 200, body: result, headers: {} } : result;
    res.writeHead(answer.statusCode ?? 200, { 'content-type': 'application/json' });
    res.end(answer.body ?? '');
  };
  const { baseUrl, close } = await startLocalHttpServer(serve, options);
  return {
    url: `${baseUrl}/webhook`,
    secret,
    queue,
    close: async () => {
      await queue.close();
      await close();
    },
  };
}
