import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsCredentialIdentity, NodeHttpHandlerOptions } from '@smithy/types';
import type { Config } from './config';
import { withJsonFastPath } from './dynamodb-json';
import { ResetRetryHandler } from './reset-retry-handler';

/**
 * The chat function's AWS SDK clients, each with connection and request timeouts. The SDK sets none by default, so a
 * black-holed endpoint would hang a turn until the function's own timeout with no `error` and no `done`.
 */

/** How long an AWS dependency may take before the call fails with the SDK's `TimeoutError`. */
export interface AwsTimeouts {
  /** TCP/TLS connection phase. */
  connectMs: number;
  /** A whole DynamoDB or AgentCore request and response, per attempt. */
  requestMs: number;
}

/** Where and as whom a client connects; endpoint and credentials only for local stand-ins. */
export interface AwsClientSettings {
  region: string;
  timeouts: AwsTimeouts;
  endpoint?: string;
  credentials?: AwsCredentialIdentity;
}

/** The timeouts the config asks for. */
export function awsTimeouts(
  config: Pick<Config, 'DEPENDENCY_CONNECT_TIMEOUT_MS' | 'DEPENDENCY_REQUEST_TIMEOUT_MS'>,
): AwsTimeouts {
  return {
    connectMs: config.DEPENDENCY_CONNECT_TIMEOUT_MS,
    requestMs: config.DEPENDENCY_REQUEST_TIMEOUT_MS,
  };
}

/**
 * Options for an HTTP/1.1 `NodeHttpHandler`: a connection timeout, and a request timeout that throws (without
 * `throwOnRequestTimeout` the handler only logs a warning and keeps waiting).
 */
function http1Handler(timeouts: AwsTimeouts): NodeHttpHandlerOptions {
  return {
    connectionTimeout: timeouts.connectMs,
    requestTimeout: timeouts.requestMs,
    throwOnRequestTimeout: true,
  };
}

/**
 * DynamoDB (sessions, plans, consent bindings), its item and query calls on the JSON fast path (withJsonFastPath);
 * the SDK's standard retry classification and backoff still apply to each timed-out attempt. A
 * request that a reused keep-alive connection lost to the server closing it is sent once more on a new connection
 * (ResetRetryHandler): otherwise, after an idle spell, every pooled connection is stale and the SDK's three attempts
 * can all land on one, losing a turn's save.
 */
export function createDynamoDbClient(settings: AwsClientSettings): DynamoDBClient {
  return withJsonFastPath(
    withoutSdkLogging(
      new DynamoDBClient({
        region: settings.region,
        endpoint: settings.endpoint,
        credentials: settings.credentials,
        requestHandler: new ResetRetryHandler(http1Handler(settings.timeouts)),
      }),
    ),
    { timeouts: settings.timeouts },
  );
}

/** Secrets Manager (the webhook secret). */
export function createSecretsManagerClient(settings: AwsClientSettings): SecretsManagerClient {
  return withoutSdkLogging(
    new SecretsManagerClient({
      region: settings.region,
      endpoint: settings.endpoint,
      credentials: settings.credentials,
      requestHandler: http1Handler(settings.timeouts),
    }),
  );
}

/** SQS (the auto-review queue). */
export function createSqsClient(settings: AwsClientSettings): SQSClient {
  return withoutSdkLogging(
    new SQSClient({
      region: settings.region,
      endpoint: settings.endpoint,
      credentials: settings.credentials,
      requestHandler: http1Handler(settings.timeouts),
    }),
  );
}

/** AgentCore Identity's data plane (per-user GitHub tokens). */
export function createAgentCoreClient(settings: AwsClientSettings): BedrockAgentCoreClient {
  return withoutSdkLogging(
    new BedrockAgentCoreClient({
      region: settings.region,
      endpoint: settings.endpoint,
      credentials: settings.credentials,
      requestHandler: http1Handler(settings.timeouts),
    }),
  );
}

/**
 * Bedrock Runtime for ConverseStream, over HTTP/2. The bound is the model adapter's idle timer
 * (`createBedrockModel`'s `idleTimeoutMs`: connection, first byte and every gap between events, never the length of an
 * answer that keeps streaming), which aborts the call; the handler then closes the stream. The handler gets no
 * `requestTimeout` of its own: it would end an answer that is still streaming as if complete, and its timer outlives
 * the stream, keeping every finished call's HTTP/2 session and buffers alive for that long (docs/performance.md (f)).
 * One attempt: the adapter retries, and only before any output.
 */
export function createBedrockRuntimeClient(settings: AwsClientSettings): BedrockRuntimeClient {
  return withoutSdkLogging(
    new BedrockRuntimeClient({
      region: settings.region,
      endpoint: settings.endpoint,
      credentials: settings.credentials,
      maxAttempts: 1,
      // A new session per request is the SDK's own default for this client; replacing its options must keep it.
      requestHandler: { disableConcurrentStreams: true },
    }),
  );
}

/**
 * Removes the SDK's logger middleware. We configure no SDK logger, yet the middleware still runs every input and
 * output through the schema's sensitive-data filter on each call, for a no-op logger: measurable CPU per chat turn
 * (docs/performance.md (f)). Errors still reach our code as thrown errors, and we log those ourselves.
 */
export function withoutSdkLogging<C extends { middlewareStack: { remove(name: string): boolean } }>(
  client: C,
): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
