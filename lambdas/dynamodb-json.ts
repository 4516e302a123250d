import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  InternalServerError,
  ItemCollectionSizeLimitExceededException,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  RequestLimitExceeded,
  ResourceNotFoundException,
  TransactionConflictException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { ResponseMetadata, SdkError } from '@smithy/types';
import { createHttpPost, type HttpPostOptions, type PostResponse } from './http-post';
import { signJsonPost } from './sigv4';

/**
 * DynamoDB's item and query calls without the AWS SDK's per-call pipeline. A command's input already is the body of
 * DynamoDB's JSON protocol (as the API reference shows it), so it goes out as one POST, signed with SigV4
 * (`sigv4.ts`) and sent over a keep-alive pool with connection and request timeouts and a resend of a request a reused
 * connection lost (`http-post.ts`). The SDK's middleware stack, schema serialisation, signer and HTTP handler cost more
 * CPU per chat turn than the rest of the turn's own logic (docs/performance.md (f)).
 *
 * Everything else comes from the SDK client's configuration: region, endpoint (custom, `AWS_ENDPOINT_URL_DYNAMODB`,
 * or the partition's regional one), credentials (its memoised chain), attempts, and the SDK's own retry
 * classification and backoff. Errors are the SDK's exception classes, so `instanceof ConditionalCheckFailedException`
 * and `isDependencyTimeout` work unchanged. Binary (`B`, `BS`) attributes are not supported: no table of ours has any.
 * Nor is the SDK's clock-skew correction: Lambda's clock is kept in sync; a skewed one gets DynamoDB's signature error.
 */

/** The commands that take the JSON path; any other command (CreateTable, say) goes through the SDK as before. */
const OPERATIONS = new Map<abstract new (...args: never[]) => unknown, string>([
  [GetItemCommand, 'GetItem'],
  [PutItemCommand, 'PutItem'],
  [UpdateItemCommand, 'UpdateItem'],
  [DeleteItemCommand, 'DeleteItem'],
  [QueryCommand, 'Query'],
  [BatchWriteItemCommand, 'BatchWriteItem'],
]);

/** Modelled DynamoDB errors the stores may test with `instanceof`, by their wire name. */
const EXCEPTIONS: Record<
  string,
  new (options: {
    message: string;
    $metadata: ResponseMetadata;
  }) => DynamoDBServiceException
> = {
  ConditionalCheckFailedException,
  InternalServerError,
  ItemCollectionSizeLimitExceededException,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  TransactionConflictException,
};

/** The SDK's standard backoff: full jitter on a base doubled per attempt (500 ms for throttling), capped at 20 s. */
const BASE_DELAY_MS = 100;
const THROTTLING_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

export interface DynamoDbJsonOptions {
  /** Connection and request timeouts of each attempt (default: the config's defaults, 3 s and 5 s). */
  timeouts?: HttpPostOptions;
  /** Waits before a retry (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter of each backoff. */
  random?: () => number;
}

/** What one request needs, resolved from the SDK client's configuration on first use. */
interface Target {
  url: URL;
  region: string;
  maxAttempts: number;
}

/**
 * Sends `client`'s GetItem, PutItem, UpdateItem, DeleteItem, Query and BatchWriteItem commands through the JSON path,
 * configured as the client is; any other command, or a call with handler options or a callback, still goes through
 * the SDK. Returns the same client.
 */
export function withJsonFastPath(client: DynamoDBClient, options: DynamoDbJsonOptions = {}): DynamoDBClient {
  const call = createJsonCall(client, options);
  const sdkSend = client.send.bind(client) as (...args: unknown[]) => unknown;
  const send = (command: { input: unknown }, ...rest: unknown[]) => {
    const operation = OPERATIONS.get(command.constructor as abstract new (...args: never[]) => unknown);
    return operation === undefined || rest.length > 0
      ? sdkSend(command, ...rest)
      : call(operation, command.input);
  };
  // One implementation behind the SDK's overloads: ours resolve to the command's output, as the SDK's do.
  client.send = send as unknown as DynamoDBClient['send'];
  return client;
}

/** One DynamoDB JSON-protocol call, `operation` with `input`, resolving to the output with `$metadata`. */
function createJsonCall(
  client: DynamoDBClient,
  options: DynamoDbJsonOptions,
): (operation: string, input: unknown) => Promise<unknown> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const post = createHttpPost(options.timeouts ?? { connectMs: 3_000, requestMs: 5_000 });
  const { config } = client;
  let target: Promise<Target> | undefined;

  const resolveTarget = async (): Promise<Target> => {
    const region = await config.region();
    return {
      url: await resolveJsonEndpoint(client, region),
      region,
      maxAttempts: Math.max(1, await config.maxAttempts()),
    };
  };

  const call = async (operation: string, input: unknown): Promise<unknown> => {
    target ??= resolveTarget().catch((error: unknown) => {
      target = undefined;
      throw error;
    });
    const { url, region, maxAttempts } = await target;
    const body = JSON.stringify(input);
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
    };
    let totalRetryDelay = 0;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        // The client's memoised provider: refreshed before the credentials expire, as for its own calls.
        const credentials = await config.credentials();
        const signed = signJsonPost({ host: url.host, path: url.pathname, headers, body }, credentials, {
          region,
          service: 'dynamodb',
        });
        const response = await post(url, signed, body);
        const text = response.body;
        const $metadata: ResponseMetadata = {
          httpStatusCode: response.statusCode,
          requestId: headerOf(response.headers, 'x-amzn-requestid'),
          attempts: attempt,
          totalRetryDelay,
        };
        if (response.statusCode === 200) return { ...(JSON.parse(text) as object), $metadata };
        failure = toServiceError(response.statusCode, text, $metadata);
      } catch (error) {
        failure = error;
      }
      const kind = retryKind(failure);
      if (attempt >= maxAttempts || kind === undefined) throw withAttempts(failure, attempt, totalRetryDelay);
      const throttled = kind === 'throttling';
      const base = throttled ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
      const delay = Math.floor(random() * Math.min(MAX_DELAY_MS, base * 2 ** (attempt - 1)));
      totalRetryDelay += delay;
      await sleep(delay);
    }
  };

  return call;
}

/**
 * Where the SDK client would send a request: its custom endpoint, one configured for it (`AWS_ENDPOINT_URL_DYNAMODB`,
 * the config file), or the partition's regional one.
 */
export async function resolveJsonEndpoint(client: DynamoDBClient, region: string): Promise<URL> {
  const { config } = client;
  if (config.isCustomEndpoint && config.endpoint) {
    const endpoint = await config.endpoint();
    const port = endpoint.port === undefined ? '' : `:${endpoint.port}`;
    return new URL(`${endpoint.protocol}//${endpoint.hostname}${port}${endpoint.path}`);
  }
  const configured = await config.serviceConfiguredEndpoint?.();
  if (configured) return new URL(configured);
  const resolved = config.endpointProvider({
    Region: region,
    UseFIPS: await config.useFipsEndpoint(),
    UseDualStack: await config.useDualstackEndpoint(),
  });
  return new URL(resolved.url.href);
}

function headerOf(headers: PostResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The SDK's exception for an error response: `__type` names it (`com.amazonaws…#Name`), `message` explains it. */
function toServiceError(status: number, text: string, $metadata: ResponseMetadata): DynamoDBServiceException {
  let parsed: { __type?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const type = typeof parsed.__type === 'string' ? parsed.__type : '';
  const name =
    type.slice(type.lastIndexOf('#') + 1) || (status >= 500 ? 'InternalServerError' : 'UnknownError');
  const rawMessage = parsed.message ?? parsed.Message;
  const message = typeof rawMessage === 'string' ? rawMessage : `DynamoDB answered HTTP ${status}`;
  const Exception = EXCEPTIONS[name];
  if (Exception) return new Exception({ message, $metadata });
  return new DynamoDBServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    message,
    $metadata,
  });
}

/** The SDK's own classification (its standard retry mode): throttling, or timeouts, lost connections and 5xx. */
function retryKind(failure: unknown): 'throttling' | 'transient' | undefined {
  if (!(failure instanceof Error)) return undefined;
  const error = failure as SdkError;
  if (isThrottlingError(error)) return 'throttling';
  return isTransientError(error) ? 'transient' : undefined;
}

/** As the SDK does, a failed call's error says how many attempts it took (`$metadata.attempts`). */
function withAttempts(failure: unknown, attempts: number, totalRetryDelay: number): unknown {
  if (failure instanceof Error) {
    const error = failure as SdkError;
    Object.assign(error, { $metadata: { ...error.$metadata, attempts, totalRetryDelay } });
  }
  return failure;
}
