import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Context, StreamifyHandler } from 'aws-lambda';

/**
 * The parts of the Lambda Node.js runtime that response streaming relies on, reproduced for local runs and tests:
 * the `awslambda` global (`streamifyResponse`, `HttpResponseStream.from`) and the runtime's response stream, which
 * writes a handler's metadata prelude (JSON + 8 NUL bytes) only when the first chunk is written. A handler that calls
 * `end()` before any `write()` loses its status and headers here exactly as it does in Lambda.
 */

/** The content type `HttpResponseStream.from` sets: a JSON prelude, 8 NUL bytes, then the body. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const DELIMITER_LENGTH = 8;

type FirstWriteHook = (write: (chunk: string | Uint8Array) => void) => void;

/** The runtime's response stream: chunks go to `sink` as they are written. */
export class LocalResponseStream extends Writable {
  contentType = 'application/octet-stream';
  /** Set by `HttpResponseStream.from`; called with a raw writer just before the first chunk. */
  _onBeforeFirstWrite?: FirstWriteHook;
  private started = false;

  constructor(private readonly sink: (chunk: Buffer) => void) {
    super();
  }

  setContentType(contentType: string): void {
    if (this.started) throw new Error('Cannot set the content type after the first write');
    this.contentType = contentType;
  }

  /** Chunks written while the stream was corked arrive together, as one chunk, as Lambda's runtime sends them. */
  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.send(Buffer.concat(chunks.map(({ chunk }) => chunk)), callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, callback);
  }

  private send(chunk: Buffer, callback: (error?: Error | null) => void): void {
    // The runtime writes the prelude with the first chunk; `end()` without a chunk never writes it.
    if (!this.started) {
      this.started = true;
      this._onBeforeFirstWrite?.((raw) => this.sink(Buffer.from(raw)));
    }
    // A chunk the front end cannot take (the client left) fails the write and errors the stream, as in Lambda.
    let failure: Error | null = null;
    try {
      this.sink(chunk);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    callback(failure);
  }
}

/** `awslambda.HttpResponseStream`: only its static `from` is public API. */
const LocalHttpResponseStream = {
  from(underlying: Writable, prelude: Record<string, unknown>): Writable {
    const stream = underlying as unknown as LocalResponseStream;
    stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const metadata = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(DELIMITER_LENGTH));
    };
    return stream;
  },
};

/**
 * Defines the `awslambda` global's streaming members as the Lambda runtime does. Other libraries may have created the
 * object already (@aws/lambda-invoke-store adds `InvokeStore` to it), so members are added, never replaced.
 */
export function installLambdaGlobals(): void {
  const scope = globalThis as { awslambda?: Record<string, unknown> };
  const global = scope.awslambda ?? {};
  scope.awslambda = global;
  global.streamifyResponse ??= <T extends object>(handler: T): T => {
    Object.defineProperty(handler, STREAMING, { value: 'response' });
    return handler;
  };
  global.HttpResponseStream ??= LocalHttpResponseStream;
}

/** A Lambda context whose remaining time counts down from `timeoutMs`. */
export function createLocalContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** What the function URL front end makes of a streamed response. */
export interface StreamedResponseHead {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
}

/**
 * Splits the runtime's byte stream the way the function URL front end does: with the http-integration content type,
 * everything up to 8 NUL bytes is the JSON prelude (status, headers, cookies) and the rest is the body.
 */
export function createPreludeParser(
  contentType: () => string,
  onHead: (head: StreamedResponseHead) => void,
  onBody: (chunk: Buffer) => void,
): (chunk: Buffer) => void {
  let head: StreamedResponseHead | undefined;
  let pending = Buffer.alloc(0);
  return (chunk) => {
    if (head) return onBody(chunk);
    if (contentType() !== HTTP_INTEGRATION_CONTENT_TYPE) {
      head = { statusCode: 200, headers: { 'content-type': contentType() }, cookies: [] };
      onHead(head);
      return onBody(chunk);
    }
    pending = Buffer.concat([pending, chunk]);
    const end = pending.indexOf(Buffer.alloc(DELIMITER_LENGTH));
    if (end === -1) return;
    const prelude = JSON.parse(pending.subarray(0, end).toString('utf8')) as Partial<StreamedResponseHead>;
    head = {
      statusCode: prelude.statusCode ?? 200,
      headers: Object.fromEntries(
        Object.entries(prelude.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      ),
      cookies: prelude.cookies ?? [],
    };
    onHead(head);
    const rest = pending.subarray(end + DELIMITER_LENGTH);
    if (rest.length > 0) onBody(rest);
  };
}

/** True when `handler` was wrapped by `awslambda.streamifyResponse`. */
export function isStreamingHandler(handler: unknown): handler is StreamifyHandler {
  return (
    typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[STREAMING] === 'response'
  );
}
